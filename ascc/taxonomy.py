"""Shared vocabulary from the source documents: sectors of sessions, needs and solutions. Pure."""

from __future__ import annotations

# Codes are stable (stored, used in URLs); labels live in the catalogues as "sector.<code>".
SECTORS = (
    "water",
    "waste",
    "energy",
    "mobility",
    "ict",
    "disaster",
    "health",
    "safety",
    "urban_planning",
    "cleaner_production",
    "mice_ppp",
)
