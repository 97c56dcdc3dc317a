"""Visa invitation letters: a confirmed in-person participant asks for one with their passport number, date of
birth and nationality; an organizer approves it (one or many at once) or revokes it; the person (their
delegation's head, organizers) then downloads the bilingual letter, and a consulate verifies its reference on
a public page that says valid or revoked and shows no personal data.

The passport data is sealed at rest (ascc.sealed) and deleted after the edition by the retention rule
`visa_passport_data` (ascc.privacy): the letter's reference, status and dates stay, so it can still be verified.

Under concurrency (docs/concurrency.md):
- at most one open (requested or approved) letter per person and edition: the partial unique index
  uq_visa_letter_open decides; the person is locked first (locks.lock_people), so a double click is told
  "already requested" rather than meeting the index;
- a request is approved once, whoever approves it at the same moment (two organizers, a bulk approval and a
  single one): a conditional UPDATE ... WHERE status = 'requested'; only the request that changed the row
  mails the person and writes the audit entry. Revoking is a conditional UPDATE from an open status too.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock, sealed
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.db import rows_changed
from ascc.editions import services as editions
from ascc.editions.models import Edition
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import is_country
from ascc.mail import services as mail
from ascc.registration.models import Delegation, Registration, VisaLetter
from ascc.registration.registering import lock_person_of
from ascc.registration.services import my_registration
from ascc.text import clean_line

PURPOSE = "ascc-visa-letter"
OPEN = ("requested", "approved")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
FIELDS = ("passport_number", "date_of_birth", "nationality")  # the request form, the API body


@dataclass(frozen=True)
class Passport:
    number: str
    date_of_birth: date
    nationality: str  # ISO 3166 alpha-2, as registration's country


@dataclass(frozen=True)
class Verification:
    status: str  # valid | revoked | unknown
    reference: str
    edition_en: str = ""
    edition_ja: str = ""
    issued_on: date | None = None


# --- Input ------------------------------------------------------------------------------------------------


def _ascii(value: str | None) -> str:
    """Full-width letters and digits (Ｐ１２３, as Japanese input methods type them) are the ASCII ones."""
    return unicodedata.normalize("NFKC", clean_line(value or ""))


def parse(passport_number: str | None, date_of_birth: str | None, nationality: str | None) -> Passport:
    """The passport data as typed; every wrong field is named with its reason."""
    errors: dict[str, tuple[str, dict]] = {}
    number = _ascii(passport_number).replace(" ", "").replace("-", "").upper()
    if not number:
        errors["passport_number"] = ("error.required", {})
    elif (
        not 5 <= len(number) <= 20
        or not number.isascii()
        or not number.isalnum()
        or not any(ch.isdigit() for ch in number)  # every passport number has digits
    ):
        errors["passport_number"] = ("visa.error_passport_number", {"min": 5, "max": 20})
    born: date | None = None
    typed = _ascii(date_of_birth)
    if not typed:
        errors["date_of_birth"] = ("error.required", {})
    else:
        try:
            born = date.fromisoformat(typed) if len(typed) == 10 else None
        except ValueError:
            born = None
        today = clock.now().date()
        if born is None:
            errors["date_of_birth"] = ("error.date_invalid", {})
        elif born >= today or born < date(1900, 1, 1):
            errors["date_of_birth"] = ("visa.error_date_of_birth_past", {})
    code = _ascii(nationality).upper()
    if not code:
        errors["nationality"] = ("error.required", {})
    elif len(code) != 2 or not code.isascii() or not code.isalpha() or not is_country(code):
        errors["nationality"] = ("visa.error_nationality", {})
    if errors or born is None:
        raise ValidationFailed(errors)
    return Passport(number, born, code)


def seal_passport(passport: Passport, secret: str) -> bytes:
    plain = {
        "number": passport.number,
        "born": passport.date_of_birth.isoformat(),
        "nat": passport.nationality,
    }
    return sealed.seal(json.dumps(plain), secret, PURPOSE)


def passport_of(letter: VisaLetter, secret: str) -> Passport | None:
    """The letter's passport data, or None once it is deleted (or sealed with another key)."""
    text = sealed.unseal(letter.passport_data, secret, PURPOSE)
    if text is None:
        return None
    try:
        plain = json.loads(text)
        return Passport(plain["number"], date.fromisoformat(plain["born"]), plain["nat"])
    except (ValueError, KeyError, TypeError):
        return None


def new_reference() -> str:
    """Random and unguessable: printed on the letter, typed by a consulate ("V-7KQ4-M2XP")."""
    part = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"V-{part[:4]}-{part[4:]}"


def normal_reference(value: str | None) -> str:
    return _ascii(value).replace(" ", "").upper()[:20]


# --- Reading ----------------------------------------------------------------------------------------------


def _loaded() -> tuple[Any, ...]:
    return (joinedload(VisaLetter.user), joinedload(VisaLetter.registration))


async def mine(session: AsyncSession, edition_id: int, user_id: int) -> VisaLetter | None:
    """The person's latest letter in the edition (the open one, when there is one)."""
    return await session.scalar(
        select(VisaLetter)
        .where(VisaLetter.edition_id == edition_id, VisaLetter.user_id == user_id)
        .options(*_loaded())
        .order_by(VisaLetter.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def queue(session: AsyncSession, edition_id: int, status: str | None = "requested") -> list[VisaLetter]:
    """The edition's letters in one status (all when None), oldest request first, with person and registration."""
    query = select(VisaLetter).where(VisaLetter.edition_id == edition_id).options(*_loaded())
    if status is not None:
        query = query.where(VisaLetter.status == status)
    return list(
        (await session.scalars(query.order_by(VisaLetter.requested_at, VisaLetter.id))).unique().all()
    )


async def counts(session: AsyncSession, edition_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(VisaLetter.status, VisaLetter.id).where(VisaLetter.edition_id == edition_id)
    )
    found = {status: 0 for status in ("requested", "approved", "revoked")}
    for status, _ in rows.tuples():
        found[status] = found.get(status, 0) + 1
    return found


async def delegation_letters(session: AsyncSession, edition_id: int, head_user_id: int) -> list[VisaLetter]:
    """The approved letters of the members of the delegation this person leads (not their own)."""
    rows = await session.scalars(
        select(VisaLetter)
        .join(Registration, Registration.id == VisaLetter.registration_id)
        .join(Delegation, Delegation.id == Registration.delegation_id)
        .where(
            VisaLetter.edition_id == edition_id,
            VisaLetter.status == "approved",
            Delegation.head_user_id == head_user_id,
            VisaLetter.user_id != head_user_id,
        )
        .options(*_loaded())
        .order_by(VisaLetter.id)
    )
    return list(rows.unique().all())


async def letter_to_download(
    session: AsyncSession, reference: str, viewer_id: int, organizer: bool
) -> VisaLetter:
    """The letter, for the person, the head of their delegation or an organizer (anyone else: not found);
    refused with a clear reason while it is not approved, or once its passport data is deleted."""
    letter = await session.scalar(
        select(VisaLetter).where(VisaLetter.reference == normal_reference(reference)).options(*_loaded())
    )
    if letter is None:
        raise NotFound("visa_letter")
    if not organizer and letter.user_id != viewer_id:
        head = None
        if letter.registration.delegation_id is not None:
            head = await session.scalar(
                select(Delegation.head_user_id).where(Delegation.id == letter.registration.delegation_id)
            )
        if head != viewer_id:
            raise NotFound("visa_letter")
    if letter.status == "requested":
        raise DomainError("visa.error_not_approved", "visa_not_approved", status=409)
    if letter.status != "approved" or letter.registration.status != "confirmed":
        raise DomainError("visa.error_revoked", "visa_revoked", status=409)
    if letter.passport_data is None:
        raise DomainError("visa.error_data_deleted", "visa_data_deleted", status=409)
    return letter


async def verify(session: AsyncSession, reference: str | None) -> Verification:
    """What the public page says of a reference: valid, revoked or unknown; the edition and the issue date."""
    wanted = normal_reference(reference)
    row = None
    if wanted:
        row = (
            await session.execute(
                select(VisaLetter, Registration.status, Edition)
                .join(Registration, Registration.id == VisaLetter.registration_id)
                .join(Edition, Edition.id == VisaLetter.edition_id)
                .where(VisaLetter.reference == wanted, VisaLetter.status != "requested")
            )
        ).first()
    if row is None:
        return Verification("unknown", wanted)
    letter, registration_status, edition = row
    valid = letter.status == "approved" and registration_status == "confirmed"
    issued = letter.approved_at.astimezone(ZoneInfo(edition.timezone)).date() if letter.approved_at else None
    return Verification("valid" if valid else "revoked", wanted, edition.name_en, edition.name_ja, issued)


# --- Changes ----------------------------------------------------------------------------------------------


def _mail_context(edition: Edition, letter: VisaLetter, name: str, base_url: str) -> dict:
    return {
        "name": name,
        "edition_en": edition.name_en,
        "edition_ja": edition.name_ja,
        "reference": letter.reference,
        "starts_on": edition.starts_on,
        "ends_on": edition.ends_on,
        "venue_en": ", ".join(filter(None, (edition.venue_name_en, edition.venue_address_en))),
        "venue_ja": "、".join(filter(None, (edition.venue_name_ja, edition.venue_address_ja))),
        "link": f"{base_url}/registration/visa",
    }


async def _mail(session: AsyncSession, kind: str, letter: VisaLetter, base_url: str) -> None:
    user = await accounts.get_user(session, letter.user_id)
    edition = await editions.get_by_id(session, letter.edition_id)
    await mail.queue_mail(
        session,
        to=user.email,
        name=user.name_latin,
        lang=user.preferred_lang,
        kind=kind,
        context=_mail_context(edition, letter, user.name_latin, base_url),
    )


async def request_letter(
    session: AsyncSession, edition_id: int, user_id: int, passport: Passport, secret: str, base_url: str
) -> VisaLetter:
    """Ask for the letter; the person is mailed that the request was received."""
    registration = await my_registration(session, edition_id, user_id)
    if registration is None:
        raise NotFound("registration")
    await lock_person_of(session, registration)  # a double click waits here, then finds the first request
    if registration.status != "confirmed" or registration.mode != "in_person":
        raise DomainError("visa.error_needs_confirmed", "visa_needs_confirmed_in_person", status=409)
    existing = await mine(session, edition_id, user_id)
    if existing is not None and existing.status in OPEN:
        raise DomainError("visa.error_already_requested", "visa_already_requested", status=409)
    try:
        async with session.begin_nested():  # the index decides whatever the race
            letter = VisaLetter(
                edition_id=edition_id,
                user_id=user_id,
                registration_id=registration.id,
                reference=new_reference(),
                status="requested",
                passport_data=seal_passport(passport, secret),
                requested_at=clock.now(),
            )
            session.add(letter)
    except IntegrityError as exc:
        raise DomainError("visa.error_already_requested", "visa_already_requested", status=409) from exc
    await _mail(session, "visa_letter_requested", letter, base_url)
    return letter


async def _get(session: AsyncSession, edition_id: int, letter_id: int) -> VisaLetter:
    letter = await session.scalar(
        select(VisaLetter)
        .where(VisaLetter.id == letter_id, VisaLetter.edition_id == edition_id)
        .options(*_loaded())
        .execution_options(populate_existing=True)
    )
    if letter is None:
        raise NotFound("visa_letter")
    return letter


def _label(letter: VisaLetter) -> str:
    return f"{letter.reference} {letter.user.display_name}"


async def approve(
    session: AsyncSession, edition_id: int, ids: list[int], base_url: str, actor: audit.Actor | None = None
) -> int:
    """Approve the selected requests (those still requested, of a confirmed registration); how many changed.

    Each approval is a conditional UPDATE from "requested": approved at the same moment by two organizers,
    or by a bulk approval and a single one, a request is approved once, mailed once and logged once."""
    wanted = sorted(set(ids))
    if not wanted:
        raise ValidationFailed({"ids": ("visa.error_none_selected", {})})
    found = await session.scalars(
        select(VisaLetter)
        .where(VisaLetter.id.in_(wanted), VisaLetter.edition_id == edition_id)
        .options(*_loaded())
        .order_by(VisaLetter.id)
        .execution_options(populate_existing=True)
    )
    letters = list(found.all())  # one query for a bulk approval, not one per letter
    if len(letters) != len(wanted):
        raise NotFound("visa_letter")
    verb = "registration.visa_bulk_approve" if len(wanted) > 1 else "registration.visa_approve"
    done = 0
    for letter in letters:
        if letter.registration.status != "confirmed":
            continue
        changed = await rows_changed(
            session,
            update(VisaLetter)
            .where(VisaLetter.id == letter.id, VisaLetter.status == "requested")
            .values(status="approved", approved_at=clock.now()),
        )
        if changed != 1:
            continue  # approved (or revoked) by someone else meanwhile
        await session.refresh(letter)
        await _mail(session, "visa_letter_approved", letter, base_url)
        await audit.record(
            session,
            actor,
            verb,
            "visa_letter",
            letter.id,
            _label(letter),
            before={"status": "requested"},
            after={"status": "approved"},
            edition_id=edition_id,
        )
        done += 1
    if len(wanted) == 1 and done == 0:
        raise DomainError("visa.error_not_requested", "visa_not_requested", status=409)
    return done


async def revoke(
    session: AsyncSession, edition_id: int, letter_id: int, actor: audit.Actor | None = None
) -> VisaLetter:
    """Revoke a request or an approved letter: the public page then says revoked. Once."""
    letter = await _get(session, edition_id, letter_id)
    before = letter.status
    changed = await rows_changed(
        session,
        update(VisaLetter)
        .where(VisaLetter.id == letter.id, VisaLetter.status.in_(OPEN))
        .values(status="revoked", revoked_at=clock.now()),
    )
    if changed != 1:
        raise DomainError("visa.error_already_revoked", "visa_already_revoked", status=409)
    await session.refresh(letter)
    await audit.record(
        session,
        actor,
        "registration.visa_revoke",
        "visa_letter",
        letter.id,
        _label(letter),
        before={"status": before},
        after={"status": "revoked"},
        edition_id=edition_id,
    )
    return letter


# --- Retention --------------------------------------------------------------------------------------------


async def _past_retention(session: AsyncSession, days: int) -> list[tuple[VisaLetter, int]]:
    today = clock.now().date()
    rows = await session.execute(
        select(VisaLetter, Edition.ends_on)
        .join(Edition, Edition.id == VisaLetter.edition_id)
        .where(VisaLetter.passport_data.is_not(None))
    )
    return [
        (letter, letter.edition_id)
        for letter, ends_on in rows.tuples()
        if ends_on + timedelta(days=days) < today
    ]


async def passport_data_due(session: AsyncSession, days: int) -> dict[int, int]:
    """How many letters' passport data is past retention (`days` after the edition's last day), per edition."""
    found: dict[int, int] = {}
    for _, edition_id in await _past_retention(session, days):
        found[edition_id] = found.get(edition_id, 0) + 1
    return found


async def purge_passport_data(session: AsyncSession, days: int) -> int:
    """Delete the passport data of letters whose edition ended more than `days` ago (the privacy domain's
    `visa_passport_data` rule); the reference and status stay for verification."""
    due = await _past_retention(session, days)
    now: datetime = clock.now()
    for letter, _ in due:
        letter.passport_data = None
        letter.purged_at = now
    await session.flush()
    return len(due)


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """A person deleting their account (or forgotten by the retention rules): their passport data goes now;
    the letters' references stay (revoked once the registration is cancelled) for verification."""
    await session.execute(
        update(VisaLetter)
        .where(VisaLetter.user_id == user_id, VisaLetter.passport_data.is_not(None))
        .values(passport_data=None, purged_at=clock.now())
    )


async def export_of(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    """The person's visa letters for their data export (the passport data itself stays sealed: on file or not)."""
    rows = await session.scalars(
        select(VisaLetter).where(VisaLetter.user_id == user_id).order_by(VisaLetter.id)
    )
    return [
        {
            "edition_id": letter.edition_id,
            "reference": letter.reference,
            "status": letter.status,
            "requested_at": letter.requested_at.isoformat(),
            "approved_at": letter.approved_at.isoformat() if letter.approved_at else None,
            "revoked_at": letter.revoked_at.isoformat() if letter.revoked_at else None,
            "passport_data_on_file": letter.passport_data is not None,
        }
        for letter in rows.all()
    ]
