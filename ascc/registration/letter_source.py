"""What a letter says of a registration: the registration letter and the visa letter (ascc.registration.letter)
are filled from the same fields of the registration, its person and the edition."""

from __future__ import annotations

from datetime import date
from typing import Any

from ascc.i18n import country_name
from ascc.registration.letter import LetterData, VisaDetails


def letter_data(mine: Any, edition: Any, issued_on: date, visa: VisaDetails | None = None) -> LetterData:
    """`mine`: a registration loaded with its user and organization; `visa`: set for the visa letter."""
    return LetterData(
        reference=mine.reference,
        issued_on=issued_on,
        name_latin=mine.user.name_latin,
        name_local=mine.user.name_local,
        position=mine.position,
        organization=mine.organization.name_en if mine.organization else None,
        country_name_en=country_name(mine.country, "en") or None,
        edition_name_en=edition.name_en,
        edition_name_ja=edition.name_ja,
        starts_on=edition.starts_on,
        ends_on=edition.ends_on,
        venue_en=edition.venue_name_en,
        venue_address_en=edition.venue_address_en,
        venue_ja=edition.venue_name_ja,
        venue_address_ja=edition.venue_address_ja,
        mode=mine.mode,
        status=mine.status,
        visa=visa,
    )
