"""The audit log: who among organizers and exhibitors changed what, when, from what to what."""
