"""docs/badge-format.md is enough to verify a badge: a verifier written from that page alone (the `cryptography`
package, no ascc code) accepts its test vector and the badges ascc.badges.signing makes, and the vector is
still what signing.sign produces for the same inputs."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ascc.badges import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "badge-format.md"


# --- what the document says, read from the document ------------------------------------------------------


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    found = re.search(rf"<!-- {re.escape(marker)}[^>]*-->\s*```text\n(.*?)```", _doc(), re.S)
    assert found is not None, f"no ```text block after <!-- {marker} --> in {DOC.name}"
    return found.group(1)


def _vector() -> dict[str, str]:
    """Each line is "name (notes): value more words"; the name without its notes, and the value's first word."""
    fields = {}
    for line in _block_after("badge-test-vector:").splitlines():
        name, _, rest = line.partition(":")
        fields[name.split(" (")[0].strip()] = rest.split()[0]
    return fields


def _table(heading: str) -> tuple[str, ...]:
    """The `| index | name |` table under a heading, in index order."""
    section = _doc().split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (\d+) \| `([a-z_]+)` \|$", section, re.M)
    assert [int(index) for index, _ in rows] == list(range(len(rows)))
    return tuple(name for _, name in rows)


# --- a verifier written from docs/badge-format.md only ---------------------------------------------------

SIGNED_BYTES = 21  # "The signed bytes (21 bytes)"
RECORD_BYTES = 85  # 21 signed bytes and a 64-byte Ed25519 signature
MAX_TEXT = 512
URL_SAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")  # RFC 4648 §5, padding tolerated


@dataclass(frozen=True)
class Badge:
    version: int
    edition: int
    category: str
    mode: str
    nonce: bytes
    valid_from: int
    valid_until: int
    signed: bytes
    signature: bytes


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode(text: str, categories: tuple[str, ...], modes: tuple[str, ...]) -> Badge:
    text = text.strip()
    if not text or len(text) > MAX_TEXT or not text.isascii() or not URL_SAFE_BASE64.fullmatch(text):
        raise Refused("malformed")
    unpadded = text.rstrip("=")
    try:
        record = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), altchars=b"-_", validate=True)
    except ValueError:
        raise Refused("malformed") from None
    if (
        len(record) != RECORD_BYTES
        or record[0] != 1
        or record[3] >= len(categories)
        or record[4] >= len(modes)
    ):
        raise Refused("malformed")
    return Badge(
        version=record[0],
        edition=int.from_bytes(record[1:3], "big"),
        category=categories[record[3]],
        mode=modes[record[4]],
        nonce=record[5:13],
        valid_from=int.from_bytes(record[13:17], "big"),
        valid_until=int.from_bytes(record[17:21], "big"),
        signed=record[:SIGNED_BYTES],
        signature=record[SIGNED_BYTES:],
    )


def nonce_entry(nonce: bytes) -> str:
    """A revocation list entry: the nonce in URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(nonce).decode().rstrip("=")


def verify(
    text: str,
    public_key: Ed25519PublicKey,
    edition: int,
    now: float,
    revoked: list[str],
    categories: tuple[str, ...],
    modes: tuple[str, ...],
) -> Badge:
    badge = decode(text, categories, modes)
    try:
        public_key.verify(badge.signature, badge.signed)
    except InvalidSignature:
        raise Refused("signature") from None
    if badge.edition != edition:
        raise Refused("other_edition")
    if now < badge.valid_from:
        raise Refused("not_yet_valid")
    if now > badge.valid_until:
        raise Refused("expired")
    if nonce_entry(badge.nonce) in revoked:
        raise Refused("revoked")
    return badge


def published_key(pem: str) -> Ed25519PublicKey:
    """The key as GET /api/v1/badges/public-key answers it: a SubjectPublicKeyInfo PEM."""
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, Ed25519PublicKey)
    return key


# --- the tests -------------------------------------------------------------------------------------------


@pytest.fixture
def tables() -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _table("Category"), _table("Mode")


def _check(text: str, key: Ed25519PublicKey, tables, edition: int = 12, now: float | None = None, revoked=()):
    vector = _vector()
    moment = int(vector["valid_from"]) + 3600 if now is None else now
    return verify(text, key, edition, moment, list(revoked), *tables)


def test_test_vector_verifies_with_the_documented_algorithm(tables) -> None:
    vector = _vector()
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["private key seed"]))
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw_public.hex() == vector["public key"]
    pem_key = published_key(_block_after("badge-test-vector-pem"))
    assert pem_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw_public

    text = vector["QR text"]
    badge = _check(text, pem_key, tables)

    assert len(text) == 114
    assert badge.signed.hex() == vector["signed bytes"]
    assert badge.signature.hex() == vector["signature"]
    assert (badge.version, badge.edition) == (int(vector["version"]), int(vector["edition"]))
    categories, modes = tables
    assert (badge.category, badge.mode) == (categories[int(vector["category"])], modes[int(vector["mode"])])
    assert (badge.category, badge.mode) == ("company", "in_person")
    assert badge.nonce.hex() == vector["nonce"]
    assert (badge.valid_from, badge.valid_until) == (int(vector["valid_from"]), int(vector["valid_until"]))
    assert nonce_entry(badge.nonce) == vector["revocation list entry"]


@pytest.mark.parametrize(
    ("moment", "edition", "revoked", "reason"),
    [
        ("valid_from-1", 12, False, "not_yet_valid"),
        ("valid_until+1", 12, False, "expired"),
        ("valid_until+0.5", 12, False, "expired"),
        ("inside", 13, False, "other_edition"),
        ("inside", 12, True, "revoked"),
    ],
)
def test_test_vector_is_refused_outside_its_edition_validity_or_when_revoked(
    tables, moment: str, edition: int, revoked: bool, reason: str
) -> None:
    vector = _vector()
    start, end = int(vector["valid_from"]), int(vector["valid_until"])
    now = {
        "valid_from-1": start - 1,
        "valid_until+1": end + 1,
        "valid_until+0.5": end + 0.5,
        "inside": start,
    }[moment]
    key = published_key(_block_after("badge-test-vector-pem"))
    with pytest.raises(Refused) as refused:
        _check(
            vector["QR text"], key, tables, edition, now, [vector["revocation list entry"]] if revoked else []
        )
    assert refused.value.reason == reason


def test_test_vector_is_valid_at_both_ends_of_its_validity(tables) -> None:
    vector = _vector()
    key = published_key(_block_after("badge-test-vector-pem"))
    for now in (int(vector["valid_from"]), int(vector["valid_until"])):
        assert _check(vector["QR text"], key, tables, now=now).nonce.hex() == vector["nonce"]


@pytest.mark.parametrize(
    ("offset", "reason"), [(0, "malformed"), (2, "signature"), (9, "signature"), (40, "signature")]
)
def test_test_vector_with_one_byte_changed_is_refused(tables, offset: int, reason: str) -> None:
    vector = _vector()
    record = bytearray(bytes.fromhex(vector["signed bytes"]) + bytes.fromhex(vector["signature"]))
    record[offset] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(record)).decode().rstrip("=")
    key = published_key(_block_after("badge-test-vector-pem"))
    with pytest.raises(Refused) as refused:
        _check(forged, key, tables)
    assert refused.value.reason == reason


@pytest.mark.parametrize("text", ["", "AQAM", "A" * 600, "AQAMAQABI0VniavN72VHrfBlVNzv+PdXlyv", "ÄQAM" * 30])
def test_text_that_is_not_a_badge_is_malformed(tables, text: str) -> None:
    with pytest.raises(Refused) as refused:
        decode(text, *tables)
    assert refused.value.reason == "malformed"


def test_test_vector_matches_what_signing_produces_for_the_same_inputs() -> None:
    vector = _vector()
    categories, modes = _table("Category"), _table("Mode")
    payload = signing.Payload(
        edition_id=int(vector["edition"]),
        category=categories[int(vector["category"])],
        mode=modes[int(vector["mode"])],
        nonce=bytes.fromhex(vector["nonce"]),
        valid_from=datetime.fromtimestamp(int(vector["valid_from"]), UTC),
        valid_until=datetime.fromtimestamp(int(vector["valid_until"]), UTC),
    )
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["private key seed"]))

    assert payload.to_bytes().hex() == vector["signed bytes"]
    assert signing.sign(payload, key) == vector["QR text"]
    assert signing.nonce_text(payload.nonce) == vector["revocation list entry"]
    assert signing.public_pem(key.public_key()) == _block_after("badge-test-vector-pem")
    assert signing.CODE_LENGTH == 114


def test_category_and_mode_tables_match_the_code(tables) -> None:
    assert tables == (signing.CATEGORY_CODES, signing.MODE_CODES)


@pytest.mark.parametrize("category", signing.CATEGORY_CODES)
def test_fresh_badge_from_signing_verifies_with_the_documented_algorithm(tables, category: str) -> None:
    key = signing.new_private_key()
    mode = signing.MODE_CODES[len(category) % len(signing.MODE_CODES)]
    payload = signing.Payload(
        edition_id=65_535,
        category=category,
        mode=mode,
        nonce=signing.new_nonce(),
        valid_from=datetime(2026, 11, 30, 15, 0, 0, 999_999, UTC),
        valid_until=datetime(2026, 12, 9, 14, 59, 59, 999_999, UTC),
    )
    text = signing.sign(payload, key)
    pem = signing.public_pem(key.public_key())  # what GET /api/v1/badges/public-key answers

    badge = verify(
        text, published_key(pem), 65_535, datetime(2026, 12, 7, tzinfo=UTC).timestamp(), [], *tables
    )

    assert (badge.edition, badge.category, badge.mode, badge.nonce) == (65_535, category, mode, payload.nonce)
    assert badge.valid_from == int(datetime(2026, 11, 30, 15, tzinfo=UTC).timestamp())  # the fraction dropped
    assert badge.valid_until == int(datetime(2026, 12, 9, 14, 59, 59, tzinfo=UTC).timestamp())
    assert nonce_entry(badge.nonce) == signing.nonce_text(payload.nonce)
    other = signing.public_pem(signing.new_private_key().public_key())
    with pytest.raises(Refused) as refused:
        verify(text, published_key(other), 65_535, badge.valid_from, [], *tables)
    assert refused.value.reason == "signature"


def test_fresh_badge_with_a_random_nonce_round_trips_every_byte(tables) -> None:
    key = signing.new_private_key()
    nonce = secrets.token_bytes(8)
    payload = signing.Payload(
        1,
        "press",
        "online",
        nonce,
        datetime(2023, 11, 5, 15, tzinfo=UTC),
        datetime(2023, 11, 15, 15, tzinfo=UTC),
    )
    badge = decode(signing.sign(payload, key), *tables)
    assert badge.signed == payload.to_bytes()
    assert len(badge.signature) == 64
