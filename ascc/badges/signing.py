"""The signed QR payload of a badge: compact, free of personal data, verifiable offline. Pure.

Layout (version 1, big-endian), then a 64-byte Ed25519 signature over those bytes, all in base64url
without padding (about 114 characters: a version 7 QR code at error correction M):

    version u8 | edition u16 | category u8 | mode u8 | nonce 8 bytes | valid_from u32 | valid_until u32

The nonce names the badge (random, so codes cannot be enumerated); times are Unix seconds. The same
layout is read by static/js/checkin.js, which verifies badges in the browser when the network is down.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
_LAYOUT = struct.Struct(">BHBB8sII")
SIGNATURE_BYTES = 64
CODE_LENGTH = len(base64.urlsafe_b64encode(bytes(_LAYOUT.size + SIGNATURE_BYTES)).rstrip(b"="))
MAX_INPUT = 512  # anything longer is not a badge; refuse before decoding

# Indexes are part of the signed format: append, never reorder.
CATEGORY_CODES = (
    "city_official",
    "company",
    "international",
    "academia",
    "ngo",
    "press",
    "speaker",
    "organizer_staff",
)
MODE_CODES = ("in_person", "online")


@dataclass(frozen=True)
class Payload:
    edition_id: int
    category: str
    mode: str
    nonce: bytes
    valid_from: datetime
    valid_until: datetime

    def to_bytes(self) -> bytes:
        return _LAYOUT.pack(
            VERSION,
            self.edition_id,
            CATEGORY_CODES.index(self.category),
            MODE_CODES.index(self.mode),
            self.nonce,
            int(self.valid_from.timestamp()),
            int(self.valid_until.timestamp()),
        )


class BadCode(ValueError):
    """Why a scanned text is not a valid badge: malformed | signature | other_edition | expired | not_yet_valid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_nonce() -> bytes:
    return secrets.token_bytes(8)


def nonce_text(nonce: bytes) -> str:
    """How a badge's nonce appears in the revocation list and the API."""
    return base64.urlsafe_b64encode(nonce).rstrip(b"=").decode()


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_private(pem: str | bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the badge key must be an Ed25519 private key")
    return key


def load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def sign(payload: Payload, key: Ed25519PrivateKey) -> str:
    data = payload.to_bytes()
    return base64.urlsafe_b64encode(data + key.sign(data)).rstrip(b"=").decode()


def decode(code: str) -> tuple[Payload, bytes, bytes]:
    """The payload, its signed bytes and the signature of `code`; BadCode("malformed") if it is not one."""
    text = code.strip()
    if not text or len(text) > MAX_INPUT or not text.isascii():
        raise BadCode("malformed")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadCode("malformed") from None
    if len(raw) != _LAYOUT.size + SIGNATURE_BYTES or raw[0] != VERSION:
        raise BadCode("malformed")
    data, signature = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    _, edition_id, category, mode, nonce, valid_from, valid_until = _LAYOUT.unpack(data)
    if category >= len(CATEGORY_CODES) or mode >= len(MODE_CODES):
        raise BadCode("malformed")
    payload = Payload(
        edition_id,
        CATEGORY_CODES[category],
        MODE_CODES[mode],
        nonce,
        datetime.fromtimestamp(valid_from, UTC),
        datetime.fromtimestamp(valid_until, UTC),
    )
    return payload, data, signature


def verify(code: str, key: Ed25519PublicKey, edition_id: int, now: datetime) -> Payload:
    """The payload of a genuine, current badge of `edition_id`; BadCode with the reason otherwise."""
    payload, data, signature = decode(code)
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise BadCode("signature") from None
    if payload.edition_id != edition_id:
        raise BadCode("other_edition")
    if now < payload.valid_from:
        raise BadCode("not_yet_valid")
    if now > payload.valid_until:
        raise BadCode("expired")
    return payload
