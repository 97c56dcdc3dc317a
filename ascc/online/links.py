"""Short-lived signed links to stream and meeting-room addresses.

A link names what it opens (a stream or a meeting room), for whom, and until when, with an HMAC of the
server's secret; the provider's address itself stays on the server. A link works only for the person it
was made for, only until it expires (a few minutes: enough to start a player or click "join"), and the
server checks again at every use that the person may still attend, so a cancelled registration closes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

KINDS = ("stream", "room", "network")  # network: an off-season meeting of the year-round network
LIFETIME = 600  # seconds


class LinkRefused(Exception):
    """The link is malformed, forged or expired; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    kind: str
    target_id: int
    user_id: int
    expires: int  # Unix seconds


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"ascc online links\x00" + secret.encode()).digest()


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, kind: str, target_id: int, user_id: int, now: float, lifetime: int = LIFETIME) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    body = f"{kind}.{target_id}.{user_id}.{int(now) + lifetime}"
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str, now: float) -> Claim:
    parts = token.split(".")
    if (
        not token.isascii()
        or len(parts) != 5
        or parts[0] not in KINDS
        or not all(p.isdigit() for p in parts[1:4])
    ):
        raise LinkRefused("malformed")
    body, mac = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise LinkRefused("forged")
    claim = Claim(parts[0], int(parts[1]), int(parts[2]), int(parts[3]))
    if now >= claim.expires:
        raise LinkRefused("expired")
    return claim
