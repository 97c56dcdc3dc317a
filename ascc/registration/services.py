"""Registration for the current edition: register, change, switch mode, cancel; seats through capacity.

A registration holds a seat in the pool of its mode ("edition:<id>:in_person" / ":online") while it
is confirmed, or a place in that pool's queue while it is waiting. Pending registrations (categories
that need an organizer's approval) hold nothing until they are approved.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.capacity import services as capacity
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import is_country
from ascc.mail import services as mail
from ascc.organizations import services as organizations
from ascc.registration.answers import ANSWER_MAX, QuestionSpec, check_answers
from ascc.registration.models import (
    ACTIVE_STATUSES,
    CATEGORIES,
    INTERPRETATION,
    MODES,
    Delegation,
    DelegationInvite,
    InvitationCode,
    Question,
    Quota,
    Registration,
    RegistrationSettings,
)
from ascc.taxonomy import SECTORS
from ascc.text import FieldError, email_key, optional_line

__all__ = ["ACTIVE_STATUSES", "CATEGORIES", "INTERPRETATION", "MODES", "Registration", "RegistrationInput"]


OPEN_STATUSES = ("registration_open", "live")


def pool_key(edition_id: int, mode: str) -> str:
    return f"edition:{edition_id}:{mode}"


def holder(registration_id: int) -> str:
    return f"registration:{registration_id}"


def registration_id_of(holder_key: str) -> int:
    return int(holder_key.removeprefix("registration:"))


_BADGE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people type these from a badge


def new_badge_code() -> str:
    """Eight random characters as XXXX-XXXX (40 bits: not guessable from another person's code)."""
    chars = "".join(secrets.choice(_BADGE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def normalize_badge_code(value: str) -> str:
    """What people type: any case, spaces or no dash, full-width characters from a Japanese keyboard."""
    folded = unicodedata.normalize("NFKC", value or "").upper()
    chars = "".join(c for c in folded if c.isalnum())
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == 8 else chars


async def find_by_badge_code(session: AsyncSession, edition_id: int, code: str) -> Registration | None:
    """The active registration whose badge carries `code`, with its person and organization."""
    return await session.scalar(
        select(Registration)
        .where(
            Registration.edition_id == edition_id,
            Registration.badge_code == normalize_badge_code(code),
            Registration.status.in_(ACTIVE_STATUSES),
        )
        .options(joinedload(Registration.user), joinedload(Registration.organization))
    )


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class RegistrationInput:
    mode: str = "in_person"
    category: str = "city_official"
    organization: str | None = None
    position: str | None = None
    country: str | None = None
    city: str | None = None
    interpretation: str = "none"
    dietary: str | None = None
    accessibility: str | None = None
    interests: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    consent_directory: bool = False
    consent_scanning: bool = False
    consent_recommendations: bool = False
    consent_photos: bool = False
    privacy_accepted: bool = False
    code: str | None = None


# --- settings and questions -----------------------------------------------------------------------------------


async def get_settings(session: AsyncSession, edition_id: int) -> RegistrationSettings:
    """The edition's settings, created with no limits on first use; the seat pools exist with them."""
    query = select(RegistrationSettings).where(RegistrationSettings.edition_id == edition_id)
    settings = await session.scalar(query)
    if settings is None:
        try:
            async with session.begin_nested():  # two first requests at once: one creates, the other reads it
                settings = RegistrationSettings(
                    edition_id=edition_id,
                    approval_categories=[],
                    invitation_categories=[],
                    privacy_version="2023-1",
                )
                session.add(settings)
        except IntegrityError:
            settings = await session.scalar(query)
            assert settings is not None
    for mode in MODES:
        await capacity.ensure_pool(session, pool_key(edition_id, mode), _limit(settings, mode))
    return settings


def _limit(settings: RegistrationSettings, mode: str) -> int | None:
    return settings.in_person_capacity if mode == "in_person" else settings.online_capacity


async def list_questions(session: AsyncSession, edition_id: int) -> list[Question]:
    rows = await session.scalars(
        select(Question).where(Question.edition_id == edition_id).order_by(Question.sort_order, Question.id)
    )
    return list(rows.all())


def _specs(questions: list[Question]) -> list[QuestionSpec]:
    return [
        QuestionSpec(q.id, q.kind, q.required, tuple(c["value"] for c in (q.choices or [])))
        for q in questions
    ]


# --- validation ---------------------------------------------------------------------------------------------


async def _validate(
    session: AsyncSession, edition_id: int, data: RegistrationInput, *, new: bool
) -> tuple[dict[str, Any], dict[str, tuple[str, dict]]]:
    errors: dict[str, tuple[str, dict]] = {}

    def line(name: str, max_length: int = 200) -> None:
        try:
            setattr(data, name, optional_line(name, getattr(data, name), max_length))
        except FieldError as exc:
            errors[name] = (exc.key, exc.params)

    for name in ("organization", "position"):
        line(name)
    for name in ("city",):
        line(name, 120)
    for name in ("dietary", "accessibility"):
        line(name, 300)
    if data.mode not in MODES:
        errors["mode"] = ("error.choice_invalid", {})
    if data.category not in CATEGORIES:
        errors["category"] = ("error.choice_invalid", {})
    if data.interpretation not in INTERPRETATION:
        errors["interpretation"] = ("error.choice_invalid", {})
    data.country = (data.country or "").strip().upper() or None
    if data.country and not is_country(data.country):
        errors["country"] = ("error.country_invalid", {})
    if any(sector not in SECTORS for sector in data.interests):
        errors["interests"] = ("error.choice_invalid", {})
    if new and not data.privacy_accepted:
        errors["privacy_accepted"] = ("error.privacy_required", {})
    answers, answer_errors = check_answers(_specs(await list_questions(session, edition_id)), data.answers)
    for name, key in answer_errors.items():
        errors[name] = (key, {"max": ANSWER_MAX})
    return answers, errors


# --- registering --------------------------------------------------------------------------------------------


async def my_registration(session: AsyncSession, edition_id: int, user_id: int) -> Registration | None:
    return await session.scalar(
        select(Registration)
        .where(Registration.edition_id == edition_id, Registration.user_id == user_id)
        .options(joinedload(Registration.organization), joinedload(Registration.delegation))
        .execution_options(populate_existing=True)
    )


async def _use_code(
    session: AsyncSession, edition_id: int, raw: str, organization_id: int | None
) -> InvitationCode:
    code = await session.scalar(
        select(InvitationCode).where(
            InvitationCode.edition_id == edition_id, InvitationCode.code == raw.strip().upper()
        )
    )
    if code is None:
        raise ValidationFailed({"code": ("error.code_invalid", {})})
    if code.expires_at is not None and code.expires_at < clock.now():
        raise ValidationFailed({"code": ("error.code_expired", {})})
    if code.organization_id is not None and code.organization_id != organization_id:
        raise ValidationFailed({"code": ("error.code_other_organization", {})})
    # Conditional update: of two people racing for a single-use code only one gets it.
    bounded = InvitationCode.max_uses.is_(None) | (InvitationCode.uses < InvitationCode.max_uses)
    result = await session.execute(
        update(InvitationCode)
        .where(InvitationCode.id == code.id, bounded)
        .values(uses=InvitationCode.uses + 1)
    )
    if result.rowcount != 1:
        raise ValidationFailed({"code": ("error.code_used_up", {})})
    return code


async def find_invite(session: AsyncSession, raw_token: str) -> DelegationInvite:
    invite = await session.scalar(
        select(DelegationInvite)
        .where(DelegationInvite.token_hash == token_hash(raw_token or ""))
        .options(joinedload(DelegationInvite.delegation).joinedload(Delegation.organization))
    )
    if invite is None or invite.status == "revoked":
        raise DomainError("error.invite_invalid", "invite_invalid", status=404)
    if invite.status == "accepted":
        raise DomainError("error.invite_used", "invite_used", status=409)
    return invite


async def _check_quota(
    session: AsyncSession, edition_id: int, organization_id: int | None, exclude: int | None
) -> None:
    """In-person seats of one organization; call with the in-person pool locked so two cannot both pass."""
    if organization_id is None:
        return
    seats = await session.scalar(
        select(Quota.seats).where(Quota.edition_id == edition_id, Quota.organization_id == organization_id)
    )
    if seats is None:
        return
    taken = await session.scalar(
        select(func.count()).where(
            Registration.edition_id == edition_id,
            Registration.organization_id == organization_id,
            Registration.mode == "in_person",
            Registration.status.in_(ACTIVE_STATUSES),
            Registration.id != (exclude or 0),
        )
    )
    if (taken or 0) >= seats:
        raise DomainError("error.quota_full", "quota_full", field="organization", status=409, seats=seats)


async def register(
    session: AsyncSession,
    edition_id: int,
    user_id: int,
    data: RegistrationInput,
    base_url: str,
    invite_token: str | None = None,
    *,
    require_open: bool = True,
    notify: bool = True,
    privacy_version: str | None = None,
) -> Registration:
    """Register `user_id` for the edition. Nothing is stored when any check fails.

    `require_open=False` and `notify=False` are for operators (the demo seed) adding people without mail.
    """
    if require_open and (await editions.get_by_id(session, edition_id)).status not in OPEN_STATUSES:
        raise DomainError("error.registration_closed", "registration_closed", status=409)
    # The person first: a double-submitted form runs twice, one after the other, and the second finds the
    # first's registration ("already registered") instead of failing on the unique index.
    await locks.lock_people(session, user_id)
    settings = await get_settings(session, edition_id)
    answers, errors = await _validate(session, edition_id, data, new=True)
    existing = await my_registration(session, edition_id, user_id)
    if existing is not None and existing.status in ACTIVE_STATUSES:
        raise DomainError("error.already_registered", "already_registered", status=409)
    invite = await find_invite(session, invite_token) if invite_token else None
    # Read everything the mail needs now: after lock_pool below, other registrations wait for this one.
    user = await accounts.get_user(session, user_id)
    await editions.get_by_id(session, edition_id)
    if invite is not None and email_key(user.email) != invite.email_key:
        raise DomainError("error.invite_foreign", "invite_foreign", status=403)
    if errors:
        raise ValidationFailed(errors)

    if invite is not None:
        organization_id: int | None = invite.delegation.organization_id
    elif data.organization:
        organization_id = (await organizations.find_or_create(session, data.organization, data.country)).id
    else:
        organization_id = None
    code = await _use_code(session, edition_id, data.code, organization_id) if data.code else None
    unlocked = set(code.categories) if code else set()
    if data.category in settings.invitation_categories and invite is None and data.category not in unlocked:
        raise ValidationFailed({"category": ("error.invitation_required", {})})

    key = pool_key(edition_id, data.mode)
    await capacity.lock_pool(session, key)  # serialises quota checks and seat claims of this pool
    if data.mode == "in_person":
        await _check_quota(session, edition_id, organization_id, exclude=existing.id if existing else None)

    registration = existing or Registration(edition_id=edition_id, user_id=user_id)
    _apply(registration, data, answers)
    registration.organization_id = organization_id
    registration.delegation_id = invite.delegation_id if invite else None
    registration.invitation_code_id = code.id if code else None
    # The version of the notice in effect (callers pass privacy.services.current_version), else the setting.
    registration.privacy_version = privacy_version or settings.privacy_version
    registration.privacy_accepted_at = clock.now()
    registration.cancelled_at = registration.decided_at = None
    registration.status = "pending"
    registration.badge_code = registration.badge_code or new_badge_code()
    if existing is None:
        session.add(registration)
    await session.flush()
    if data.category not in settings.approval_categories:
        registration.status = (await capacity.claim(session, key, holder(registration.id))).status
    if invite is not None:
        invite.status, invite.registration_id = "accepted", registration.id
    await session.flush()
    if notify:
        await _mail_status(session, registration, base_url, user=user)
    return await get_registration(session, registration.id)


def _apply(registration: Registration, data: RegistrationInput, answers: dict[str, Any]) -> None:
    registration.mode = data.mode
    registration.category = data.category
    registration.position = data.position
    registration.country = data.country
    registration.city = data.city
    registration.interpretation = data.interpretation
    registration.dietary = data.dietary
    registration.accessibility = data.accessibility
    registration.interests = list(dict.fromkeys(data.interests))
    registration.answers = answers
    registration.consent_directory = data.consent_directory
    registration.consent_scanning = data.consent_scanning
    registration.consent_recommendations = data.consent_recommendations
    registration.consent_photos = data.consent_photos


async def update_details(
    session: AsyncSession, registration: Registration, data: RegistrationInput
) -> Registration:
    """Change what one may change without a new decision: not the mode (switch_mode), category or organization."""
    data.mode, data.category = registration.mode, registration.category
    answers, errors = await _validate(session, registration.edition_id, data, new=False)
    if errors:
        raise ValidationFailed(errors)
    _apply(registration, data, answers)
    await session.flush()
    return registration


async def lock_person_of(session: AsyncSession, registration: Registration) -> None:
    """Lock the registration's person and read the registration again: a change decided on what another
    request has changed since (a cancellation, an organizer's decision) would undo it."""
    await locks.lock_people(session, registration.user_id)
    await session.refresh(registration, [column.key for column in Registration.__mapper__.column_attrs])


async def switch_mode(
    session: AsyncSession, registration: Registration, mode: str, base_url: str
) -> Registration:
    """In person <-> online. The seat left behind goes to the next person waiting for it at once."""
    if mode not in MODES:
        raise ValidationFailed({"mode": ("error.choice_invalid", {})})
    await lock_person_of(session, registration)
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError("error.registration_not_active", "not_active", status=409)
    if mode == registration.mode:
        return registration
    old_key, new_key = (
        pool_key(registration.edition_id, registration.mode),
        pool_key(registration.edition_id, mode),
    )
    # Both pools locked in one order, so two people switching in opposite directions cannot deadlock.
    for key in sorted((old_key, new_key)):
        await capacity.lock_pool(session, key)
    # Promoted a moment ago by someone's cancellation (which locks only the pool): judge the status as it is now.
    await session.refresh(registration, ["status"])
    holds_place = registration.status in ("confirmed", "waiting")
    if mode == "in_person":
        await _check_quota(
            session, registration.edition_id, registration.organization_id, exclude=registration.id
        )
    target = await capacity.counts(session, new_key)
    if (
        holds_place
        and registration.status == "confirmed"
        and ((target.free is not None and target.free <= 0) or target.waiting > 0)
    ):
        raise DomainError("error.mode_full", "mode_full", field="mode", status=409)
    promoted: list[str] = []
    if holds_place:
        promoted = await capacity.release(session, old_key, holder(registration.id))
    registration.mode = mode
    if holds_place:
        registration.status = (await capacity.claim(session, new_key, holder(registration.id))).status
    await session.flush()
    await promote(session, promoted, base_url)
    return registration


async def cancel(
    session: AsyncSession, registration: Registration, base_url: str, notify: bool = True
) -> None:
    await lock_person_of(session, registration)
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError("error.registration_not_active", "not_active", status=409)
    promoted = await _leave_pool(session, registration)
    registration.status = "cancelled"
    registration.cancelled_at = clock.now()
    await session.flush()
    if notify:
        await _mail_status(session, registration, base_url)
    await promote(session, promoted, base_url)


async def _leave_pool(session: AsyncSession, registration: Registration) -> list[str]:
    if registration.status in ("confirmed", "waiting"):
        return await capacity.release(
            session, pool_key(registration.edition_id, registration.mode), holder(registration.id)
        )
    return []


async def promote(session: AsyncSession, holders: list[str], base_url: str) -> None:
    """Registrations that capacity moved from the waiting list into a seat: confirm them and tell them."""
    for key in holders:
        registration = await get_registration(session, registration_id_of(key))
        registration.status = "confirmed"
        await session.flush()
        await _mail_status(session, registration, base_url, kind="registration_promoted")


async def decide(
    session: AsyncSession, registration: Registration, approve: bool, base_url: str, note: str | None = None
) -> Registration:
    """An organizer's decision on a registration that waits for approval (or withdraws a confirmed one)."""
    await lock_person_of(session, registration)  # the person may be cancelling at this moment
    if approve:
        if registration.status != "pending":
            raise DomainError("error.not_pending", "not_pending", status=409)
        key = pool_key(registration.edition_id, registration.mode)
        registration.status = (await capacity.claim(session, key, holder(registration.id))).status
        promoted: list[str] = []
    else:
        if registration.status not in ACTIVE_STATUSES:
            raise DomainError("error.registration_not_active", "not_active", status=409)
        promoted = await _leave_pool(session, registration)
        registration.status = "rejected"
    registration.decided_at = clock.now()
    registration.note = optional_line("note", note, 500) if note else registration.note
    await session.flush()
    await _mail_status(session, registration, base_url)
    await promote(session, promoted, base_url)
    return registration


async def get_registration(session: AsyncSession, registration_id: int) -> Registration:
    registration = await session.scalar(
        select(Registration)
        .where(Registration.id == registration_id)
        .options(
            joinedload(Registration.user),
            joinedload(Registration.organization),
            joinedload(Registration.delegation),
        )
        .execution_options(populate_existing=True)
    )
    if registration is None:
        raise NotFound("registration")
    return registration


async def waiting_position(session: AsyncSession, registration: Registration) -> int | None:
    if registration.status != "waiting":
        return None
    claim = await capacity.holder_status(
        session, pool_key(registration.edition_id, registration.mode), holder(registration.id)
    )
    return claim.position if claim else None


async def waiting_positions(session: AsyncSession, edition_id: int) -> dict[str, int]:
    """Every waiting holder's place in its queue, for lists (one query per mode, not one per person)."""
    positions: dict[str, int] = {}
    for mode in MODES:
        for index, key in enumerate(
            await capacity.waiting_holders(session, pool_key(edition_id, mode)), start=1
        ):
            positions[key] = index
    return positions


async def _mail_status(
    session: AsyncSession,
    registration: Registration,
    base_url: str,
    kind: str | None = None,
    user: Any = None,
) -> None:
    user = user or await accounts.get_user(session, registration.user_id)
    edition = await _edition_names(session, registration.edition_id)
    kind = kind or f"registration_{registration.status}"
    await mail.queue_mail(
        session,
        to=user.email,
        name=user.name_latin,
        lang=user.preferred_lang,
        kind=kind,
        context={
            "name": user.name_latin,
            "edition_en": edition[0],
            "edition_ja": edition[1],
            "mode": registration.mode,
            "link": f"{base_url}/registration",
            "reference": registration.reference,
            "note": registration.note or "",
        },
    )


async def _edition_names(session: AsyncSession, edition_id: int) -> tuple[str, str]:
    edition = await editions.get_by_id(session, edition_id)
    return edition.name_en, edition.name_ja


async def registrations_of(
    session: AsyncSession, edition_id: int, user_ids: list[int]
) -> dict[int, Registration]:
    """Several people's registrations with their user and organization, in one query (manifests, ballots)."""
    if not user_ids:
        return {}
    rows = await session.scalars(
        select(Registration)
        .where(Registration.edition_id == edition_id, Registration.user_id.in_(user_ids))
        .options(joinedload(Registration.user), joinedload(Registration.organization))
    )
    return {r.user_id: r for r in rows.unique().all()}


async def in_directory(session: AsyncSession, edition_id: int) -> list[Registration]:
    """Confirmed participants who agreed to be listed in the participant directory, with user and organization."""
    rows = await session.scalars(
        select(Registration)
        .where(
            Registration.edition_id == edition_id,
            Registration.status == "confirmed",
            Registration.consent_directory.is_(True),
        )
        .options(joinedload(Registration.user), joinedload(Registration.organization))
    )
    return list(rows.unique().all())


async def count_confirmed(session: AsyncSession, edition_id: int, mode: str | None = None) -> int:
    statement = select(func.count()).where(
        Registration.edition_id == edition_id, Registration.status == "confirmed"
    )
    if mode is not None:
        statement = statement.where(Registration.mode == mode)
    return await session.scalar(statement) or 0


async def replace_badge_code(session: AsyncSession, reg: Registration) -> str:
    """A lost badge: a new short code, so the one printed on the lost badge no longer checks anyone in."""
    reg.badge_code = new_badge_code()
    await session.flush()
    return reg.badge_code


def name_of(registration_id: Any) -> Any:
    """A correlated subquery: the Latin name of the person of the registration `registration_id` (a column)."""
    return (
        select(accounts.User.name_latin)
        .join(Registration, Registration.user_id == accounts.User.id)
        .where(Registration.id == registration_id)
        .scalar_subquery()
    )


# --- Audiences (campaigns) -------------------------------------------------------------------------


async def confirmed_user_ids(
    session: AsyncSession,
    edition_id: int,
    *,
    mode: str | None = None,
    category: str | None = None,
    country: str | None = None,
    delegation_id: int | None = None,
) -> list[int]:
    """People with a confirmed registration of the edition, narrowed by what is given (mail campaigns)."""
    statement = select(Registration.user_id).where(
        Registration.edition_id == edition_id, Registration.status == "confirmed"
    )
    if mode is not None:
        statement = statement.where(Registration.mode == mode)
    if category is not None:
        statement = statement.where(Registration.category == category)
    if country is not None:
        statement = statement.where(Registration.country == country)
    if delegation_id is not None:
        statement = statement.where(Registration.delegation_id == delegation_id)
    return list((await session.scalars(statement.order_by(Registration.id))).all())


async def confirmed_countries(session: AsyncSession, edition_id: int) -> list[tuple[str, int]]:
    """Countries of confirmed registrations with how many people each, most first."""
    rows = await session.execute(
        select(Registration.country, func.count())
        .where(
            Registration.edition_id == edition_id,
            Registration.status == "confirmed",
            Registration.country.is_not(None),
        )
        .group_by(Registration.country)
        .order_by(func.count().desc(), Registration.country)
    )
    return [(country, count) for country, count in rows.tuples().all() if country]


async def delegations_of(session: AsyncSession, edition_id: int) -> list[tuple[int, str, str]]:
    """The edition's delegations: (id, organization's English name, Japanese name or ""), by name."""
    rows = await session.scalars(
        select(Delegation)
        .where(Delegation.edition_id == edition_id)
        .options(joinedload(Delegation.organization))
    )
    found = [(d.id, d.organization.name_en, d.organization.name_ja or "") for d in rows.unique().all()]
    return sorted(found, key=lambda d: d[1].casefold())
