"""Mail campaigns to segments of participants, and reminders before sessions, tours and meetings."""
