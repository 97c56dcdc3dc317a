"""Cleaning and checking of text that people type. Pure: no web framework, no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

# C0/C1 control characters except tab and newline (NUL breaks PostgreSQL text columns), invisible
# spaces (U+200B, U+2060, U+FEFF) and bidirectional overrides that make text read differently from what
# is stored. ZWJ and ZWNJ stay: emoji sequences and Indic scripts need them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_WHITESPACE_RUN = re.compile(r"[\t\n\r ]+")

NAME_MAX = 200
PASSWORD_MIN = 8
PASSWORD_MAX = 1024


class FieldError(ValueError):
    """A value a person typed is not acceptable; `key` is a message catalogue key."""

    def __init__(self, field: str, key: str, **params: object) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key
        self.params = params


def collect(errors: dict[str, tuple[str, dict[str, Any]]], check: Callable[..., Any], *args: Any) -> Any:
    """Run a check such as required_line; record its FieldError in `errors` (field -> (key, params)).

    Forms report every wrong field at once: each check returns None on failure instead of raising (so the
    result is Any: the caller reads it once `errors` is known to be empty).
    """
    try:
        return check(*args)
    except FieldError as exc:
        errors[exc.field] = (exc.key, exc.params)
        return None


def clean_line(value: str | None) -> str:
    """One line of text: NFC, no control characters, runs of white space folded, trimmed."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL.sub("", value.replace("\r\n", "\n"))
    return _WHITESPACE_RUN.sub(" ", value).strip()


def clean_block(value: str | None) -> str:
    """Several lines of text: like clean_line but keeps line breaks."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    return _CONTROL.sub("", value).strip()


def required_line(field: str, value: str | None, max_length: int = NAME_MAX) -> str:
    cleaned = clean_line(value)
    if not cleaned:
        raise FieldError(field, "error.required")
    if len(cleaned) > max_length:
        raise FieldError(field, "error.too_long", max=max_length)
    return cleaned


def optional_line(field: str, value: str | None, max_length: int = NAME_MAX) -> str | None:
    cleaned = clean_line(value)
    if len(cleaned) > max_length:
        raise FieldError(field, "error.too_long", max=max_length)
    return cleaned or None


def normalize_email(field: str, value: str | None) -> str:
    """The address as it is stored: domain in lower case (IDNA-checked), local part as typed."""
    raw = clean_line(value)
    if not raw:
        raise FieldError(field, "error.required")
    if len(raw) > 254:
        raise FieldError(field, "error.email_invalid")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError(field, "error.email_invalid") from exc
    return result.normalized


def email_key(normalized: str) -> str:
    """Addresses differing only in letter case belong to the same person."""
    return normalized.casefold()


def latin_name(field: str, value: str | None, max_length: int = NAME_MAX) -> str:
    """A name in Latin script (accents allowed: Nguyễn), as in a passport; full-width letters are folded."""
    cleaned = required_line(field, unicodedata.normalize("NFKC", value or ""), max_length)
    letters = [ch for ch in cleaned if ch.isalpha()]
    if not letters or any(not unicodedata.name(ch, "").startswith("LATIN") for ch in letters):
        raise FieldError(field, "error.latin_only")
    return cleaned


def check_password(field: str, value: str | None) -> str:
    if not value or len(value) < PASSWORD_MIN or not value.strip():
        raise FieldError(field, "error.password_short", min=PASSWORD_MIN)
    if len(value) > PASSWORD_MAX:
        raise FieldError(field, "error.too_long", max=PASSWORD_MAX)
    return value


SEARCH_MAX = 100  # characters of a search that count: no name or address is longer


def like_pattern(query: str) -> str:
    """A LIKE pattern that finds `query` literally (% and _ typed by people are not wildcards).

    Cut to SEARCH_MAX: PostgreSQL's ILIKE costs the pattern's length on every row (10,000 characters took
    seconds on a list of registrations)."""
    escaped = query.strip()[:SEARCH_MAX].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_LATIN_MARKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
_LETTERS_WITHOUT_MARKS = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O"})


def _latin_mark(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _LATIN_MARKS)


def fold_name(value: str | None) -> str:
    """A person's name as every name search compares it: "Đặng Thị Minh" and "dang thi minh" fold alike.

    Width (NFKC), accents (the marks of Latin letters; Japanese voiced marks stay: ガ is not カ), đ/Đ (a letter
    of its own in Vietnamese, not a d with a mark), case, katakana as hiragana, runs of spaces as one."""
    if not value:
        return ""
    wide = unicodedata.normalize("NFKC", value).translate(_LETTERS_WITHOUT_MARKS)
    bare = "".join(ch for ch in unicodedata.normalize("NFD", wide) if not _latin_mark(ch))
    folded = unicodedata.normalize("NFC", bare).casefold().translate(_KATAKANA_TO_HIRAGANA)
    return " ".join(folded.split())


def name_key(value: str) -> str:
    """Key to find the same organization typed differently (case, width, spacing)."""
    return clean_line(unicodedata.normalize("NFKC", value)).casefold()


def safe_next_path(value: str | None, default: str = "/") -> str:
    """Only local absolute paths may be redirect targets (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ch in value for ch in "\r\n\x00"):
        return default
    return value


def optional_url(field: str, value: str | None, max_length: int = 300) -> str | None:
    """A web address people may click: http(s) only (never javascript: or data:), no spaces."""
    cleaned = clean_line(value)
    if not cleaned:
        return None
    if len(cleaned) > max_length:
        raise FieldError(field, "error.too_long", max=max_length)
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in cleaned:
        raise FieldError(field, "error.url_invalid")
    return cleaned


def optional_block(field: str, value: str | None, max_length: int) -> str:
    cleaned = clean_block(value)
    if len(cleaned) > max_length:
        raise FieldError(field, "error.too_long", max=max_length)
    return cleaned


def local_time(errors: dict, name: str, day: str, hhmm: str, tz: tzinfo) -> datetime | None:
    """A day (YYYY-MM-DD) and a time (HH:MM) typed in a form, in the edition's time zone."""
    try:
        return datetime.combine(
            datetime.strptime(clean_line(day), "%Y-%m-%d").date(),
            datetime.strptime(clean_line(hhmm), "%H:%M").time(),
            tz,
        )
    except ValueError:
        errors[name] = ("error.time_invalid", {})
        return None


def as_number(raw: str | None) -> int | None:
    """A whole number written in decimal digits (ASCII, or full-width as Japanese input methods type them; any
    script int() reads), else None.

    Not str.isdigit(): it says yes to "²", on which int() fails. At most 18 digits: int() refuses more than
    4,300, and 18 always fit a 64-bit database integer (an id of 20 digits would overflow it, not miss a row)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) <= 18 else None


def whole_number(errors: dict, name: str, raw: str, low: int, high: int, required: bool) -> int | None:
    """A whole number typed in a form, between `low` and `high`; an empty field is None unless required."""
    raw = clean_line(raw)
    if not raw:
        if required:
            errors[name] = ("error.required", {})
        return None
    number = as_number(raw)
    if number is None or not low <= number <= high:
        errors[name] = ("error.number_range", {"min": low, "max": high})
        return None
    return number
