"""The organizers' cockpit: the live dashboard and the edition report with its comparison between editions."""
