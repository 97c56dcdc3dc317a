"""On-page notifications: what changed for a person (programme changes now; tours and meetings later)."""
