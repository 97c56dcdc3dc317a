"""An edition's life across the domains: preparing the next edition from this one (orchestration)."""
