"""Japanese and English: message catalogues, the language of a request, bilingual content fields.
Dates and times are written by ascc/dates.py.

Pure: no web framework and no database, so services (mail) and pages share it.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any, TypeGuard

from babel import Locale

LANGUAGES = ("en", "ja")
DEFAULT_LANG = "en"
LANG_COOKIE = "ascc_lang"
_LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    with (_LOCALES_DIR / f"{lang}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def translate(lang: str, key: str, **params: Any) -> str:
    """The message for `key` in `lang`, falling back to English, then to the key itself."""
    text = catalogue(lang if lang in LANGUAGES else DEFAULT_LANG).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG).get(key, key)
    return text.format(**params) if params else text


def other_lang(lang: str) -> str:
    return "ja" if lang == "en" else "en"


def parse_accept_language(header: str | None) -> str | None:
    """The first of our languages in an Accept-Language header, by quality."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip().split(";")
        code = piece[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in piece[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code in LANGUAGES and quality > 0:
            choices.append((-quality, index, code))
    return min(choices)[2] if choices else None


def negotiate(cookie: str | None, user_pref: str | None, accept_language: str | None) -> str:
    """An explicit choice (cookie) wins, then the account's preference, then the browser's."""
    for candidate in (cookie, user_pref, parse_accept_language(accept_language)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANG


def pick(obj: Any, field: str, lang: str) -> str:
    """A bilingual content field (`<field>_en` / `<field>_ja`) in `lang`, else the other language."""
    value = getattr(obj, f"{field}_{lang}", None) if not isinstance(obj, dict) else obj.get(f"{field}_{lang}")
    if value:
        return value
    other = other_lang(lang)
    value = (
        getattr(obj, f"{field}_{other}", None) if not isinstance(obj, dict) else obj.get(f"{field}_{other}")
    )
    return value or ""


# Babel's territories that are not countries of ISO 3166-1 (regions, reserved and private-use codes).
_NOT_COUNTRIES = {"ZZ", "XA", "XB", "EU", "EZ", "UN", "QO", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
# Where ASCC participants come from: listed first, so nobody scrolls past 250 names to find them.
FREQUENT_COUNTRIES = (
    "JP",
    "PH",
    "VN",
    "TH",
    "MY",
    "ID",
    "LK",
    "BD",
    "MN",
    "KH",
    "LA",
    "MM",
    "IN",
    "NP",
    "PK",
    "KR",
    "CN",
    "TW",
    "SG",
)


def _sort_key(name: str) -> str:
    # Accents do not move a name to the end (Åland sorts with A).
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    ).casefold()


@cache
def countries(lang: str) -> list[tuple[str, str]]:
    """ISO 3166 alpha-2 codes with their names in `lang`: frequent ASCC countries first, then by name."""
    territories = Locale.parse(lang).territories
    pairs = {code: name for code, name in territories.items() if len(code) == 2 and code.isalpha()}
    for code in _NOT_COUNTRIES:
        pairs.pop(code, None)
    frequent = [(code, pairs[code]) for code in FREQUENT_COUNTRIES if code in pairs]
    rest = sorted(
        ((c, n) for c, n in pairs.items() if c not in FREQUENT_COUNTRIES), key=lambda p: _sort_key(p[1])
    )
    return frequent + rest


def country_name(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return Locale.parse(lang).territories.get(code.upper(), code.upper())


def is_country(code: str | None) -> TypeGuard[str]:
    if not code:
        return False
    return code.upper() in dict(countries(DEFAULT_LANG))
