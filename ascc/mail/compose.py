"""Bilingual mail bodies from text templates in templates/mail/. Pure: no web framework, no database.

Every message carries both languages, the recipient's first, so that a delegate whose colleague
set the wrong language can still read it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ascc import dates
from ascc.i18n import LANGUAGES, other_lang, translate

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "mail"
SEPARATOR = "\n\n" + "-" * 60 + "\n\n"
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@cache
def _environment() -> Environment:
    # Plain text mail: no HTML escaping, but undefined variables are errors, not blanks.
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_one(kind: str, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of one message kind in one language."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    # The named formats of the pages (ascc/dates.py), in this part's language.
    helpers = {
        "fmt_date": lambda value, name="date": dates.format_date(value, lang, name),
        "fmt_dates": lambda first, last, name="date": dates.date_range(first, last, lang, name),
        "fmt_when": lambda value, tz, name="datetime": dates.format_moment(value, lang, tz, name),
        "fmt_range": lambda start, end, tz, name="datetime_range": dates.format_range(
            start, end, lang, tz, name
        ),
        "fmt_zone": lambda tz: dates.zone_label(tz, lang),
    }
    body = _environment().get_template(f"{kind}.txt").render(**context, **helpers, t=t, lang=lang)
    subject = translate(lang, f"mail.{kind}.subject", **context.get("subject_params", {}))
    # Optional lines leave empty ones behind: one blank line between paragraphs, never more.
    return subject, _BLANK_LINES.sub("\n\n", body).strip()


def compose(kind: str, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject "first / second" and the body in both languages, the recipient's language first."""
    first = lang if lang in LANGUAGES else "en"
    second = other_lang(first)
    subject_1, body_1 = render_one(kind, first, context)
    subject_2, body_2 = render_one(kind, second, context)
    subject = subject_1 if subject_1 == subject_2 else f"{subject_1} / {subject_2}"
    return subject, body_1 + SEPARATOR + body_2 + "\n"
