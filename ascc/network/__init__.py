"""The year-round network: participants who stay in a directory between editions, and their meetings."""
