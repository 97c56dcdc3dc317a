"""Signing webhook deliveries as the Standard Webhooks specification says (docs/webhooks.md). Pure.

Each endpoint has its own secret, `whsec_` + base64 of 24 random bytes; the HMAC key is the decoded bytes.
Every attempt sends three headers: `webhook-id` (the event's id, the same on every attempt, for receivers to
drop duplicates), `webhook-timestamp` (the attempt's Unix time in seconds, for receivers to refuse replays)
and `webhook-signature`: `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

SECRET_PREFIX = "whsec_"


class SecretUnreadable(RuntimeError):
    """The sealed secret does not open under ASCC_SECRET_KEY (it changed since): the secret must be renewed."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def _fernet(app_secret: str) -> Fernet:
    # A label of its own: the same ASCC_SECRET_KEY also seals badge keys and signs sessions.
    digest = hashlib.sha256(b"ascc-webhook-secret:" + app_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str, app_secret: str) -> str:
    return _fernet(app_secret).encrypt(secret.encode()).decode()


def unseal(sealed: str, app_secret: str) -> str:
    try:
        return _fernet(app_secret).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "the endpoint's signing secret cannot be read with ASCC_SECRET_KEY: make a new secret"
        ) from None
