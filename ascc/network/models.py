"""Tables of the network domain."""

from __future__ import annotations
