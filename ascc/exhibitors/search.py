"""Free-text search for a language without spaces between words. Pure.

Text and queries are folded the same way (NFKC, case, katakana to hiragana, spaces), and each query word
must occur in the folded text as a substring. For Japanese that is exactly what an n-gram index answers
("汚泥処理" is found inside "下水汚泥処理施設" although nothing separates the words), and for Latin
scripts it also finds "plastic" in "plastics". The database stores the folded text once per item, so the
same LIKE query works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TERMS = 8
MAX_TERM_LENGTH = 60
_SPLIT = re.compile(r"[\s\u3000、。，．・,.;:!?！？「」『』（）()\[\]\"'/\\|<>]+")
_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}  # ァ..ヶ -> ぁ..ゖ


def fold(text: str | None) -> str:
    """The form in which text is stored for search and in which queries are compared with it."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_KATAKANA)
    return " ".join(folded.split())


def document(*parts: str | None) -> str:
    """The `search_text` of an item: every searchable part, folded, one per line, each line starting with a
    space so that every word follows a space or a sign (see needle)."""
    return "\n".join(" " + fold(p) for p in parts if p)


def needle(term: str) -> str:
    """What to look for: a short Latin word ("ev", "ict") only at the start of a word, so that it does not
    match inside "development" or "district"; anything else anywhere (Japanese has no word starts)."""
    return f" {term}" if len(term) <= 3 and term.isascii() and term.isalnum() else term


def query_terms(query: str | None) -> list[str]:
    """The words of a query (split at spaces and punctuation), folded, without repeats; at most 8."""
    terms: list[str] = []
    for word in _SPLIT.split(fold(query)):
        word = word.strip("-_*%")[:MAX_TERM_LENGTH]
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def matches(text: str, terms: list[str]) -> bool:
    """Whether folded text contains every term (the meaning of the database query, for checks and tests)."""
    return all(needle(term) in text for term in terms)
