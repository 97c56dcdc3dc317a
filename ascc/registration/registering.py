"""Changing a registration: registering (codes, invitations, quotas, the seat or the waiting list), changing
one's details, switching between in person and online, cancelling, an organizer's decision, the promotion of
the next person waiting, and the mail each of these sends. Nothing is stored when a check fails.

Seats go through capacity: the pool of the registration's mode (ascc.registration.services.pool_key) is
locked before a quota is checked or a seat claimed, and a person is locked before their registration
changes, people before pools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from ascc import clock, locks
from ascc.accounts import services as accounts
from ascc.capacity import services as capacity
from ascc.db import rows_changed
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import is_country
from ascc.mail import services as mail
from ascc.organizations import services as organizations
from ascc.registration import webhook_events, windows
from ascc.registration.answers import ANSWER_MAX, QuestionSpec, check_answers
from ascc.registration.models import (
    ACTIVE_STATUSES,
    CATEGORIES,
    INTERPRETATION,
    MODES,
    InvitationCode,
    Question,
    Quota,
    Registration,
)
from ascc.registration.services import (
    find_invite,
    get_registration,
    get_settings,
    holder,
    list_questions,
    new_badge_code,
    pool_key,
    positions_claimed,
    registration_id_of,
    registration_row,
)
from ascc.registration.services import my_registration as my_registration  # read by callers of register
from ascc.taxonomy import SECTORS
from ascc.text import FieldError, email_key, optional_block, optional_line

REOPENABLE_STATUSES = ("rejected", "cancelled")
NOTE_MAX = 1000  # an organizer's reason for a decision, mailed to the person


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


def _specs(questions: list[Question], answers_later: bool = False) -> list[QuestionSpec]:
    return [
        QuestionSpec(
            q.id, q.kind, q.required and not answers_later, tuple(c["value"] for c in (q.choices or []))
        )
        for q in questions
    ]


async def _validate(
    session: AsyncSession, edition_id: int, data: RegistrationInput, *, new: bool, answers_later: bool = False
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
    questions = await list_questions(session, edition_id)
    answers, answer_errors = check_answers(_specs(questions, answers_later), data.answers)
    for name, key in answer_errors.items():
        errors[name] = (key, {"max": ANSWER_MAX})
    return answers, errors


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
    taken = await rows_changed(
        session,
        update(InvitationCode)
        .where(InvitationCode.id == code.id, bounded)
        .values(uses=InvitationCode.uses + 1),
    )
    if taken != 1:
        raise ValidationFailed({"code": ("error.code_used_up", {})})
    return code


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
    answers_later: bool = False,
) -> Registration:
    """Register `user_id` for the edition. Nothing is stored when any check fails.

    `answers_later`: someone else registers the person (a list imported, a delegation head) and cannot answer
    the edition's questions for them; the required ones are left for the person to answer in their details.

    `require_open=False` is for organizers, who register people whatever the dates (windows.admission says
    who else may, and when); `notify=False` for operators (the demo seed) adding people without mail.
    """
    # What needs no lock is read and checked first: on SQLite, everything after lock_people below holds the
    # database's one write lock, and every other registration waits for it (issue #26). The edition's
    # settings, dates and questions are read as of now, like those of a registration made a moment earlier.
    settings = await get_settings(session, edition_id, pools=False)
    # Outside the window only a late-registration code admits (checked once the code is taken below).
    late = require_open and windows.admission(
        await editions.get_by_id(session, edition_id), settings, data.category, bool(data.code), clock.now()
    )
    answers, errors = await _validate(session, edition_id, data, new=True, answers_later=answers_later)
    user = await accounts.get_user(session, user_id)
    # Only looked up here: a new organization is made under the lock (people before anything written).
    known = None
    if data.organization and not invite_token and not errors:
        known = await organizations.find_by_name(session, data.organization)

    # The person next: a double-submitted form runs twice, one after the other, and the second finds the
    # first's registration ("already registered") instead of failing on the unique index.
    await locks.lock_people(session, user_id)
    existing = await registration_row(session, edition_id, user_id)
    if existing is not None and existing.status in ACTIVE_STATUSES:
        raise DomainError("error.already_registered", "already_registered", status=409)
    invite = await find_invite(session, invite_token) if invite_token else None
    if invite is not None:
        await session.refresh(user, ["email"])  # the address as it is now that the person is locked
        if email_key(user.email) != invite.email_key:
            raise DomainError("error.invite_foreign", "invite_foreign", status=403)
    if errors:
        raise ValidationFailed(errors)

    if invite is not None:
        organization = invite.delegation.organization
    elif data.organization:
        organization = known or await organizations.find_or_create(session, data.organization, data.country)
    else:
        organization = None
    organization_id = organization.id if organization is not None else None
    code = await _use_code(session, edition_id, data.code, organization_id) if data.code else None
    if late and (code is None or not code.late):
        raise ValidationFailed({"code": ("error.code_not_late", {})})
    unlocked = set(code.categories) if code else set()
    if data.category in settings.invitation_categories and invite is None and data.category not in unlocked:
        raise ValidationFailed({"category": ("error.invitation_required", {})})

    key = pool_key(edition_id, data.mode)
    pool = await _lock_pool(session, edition_id, key)  # serialises quota checks and seat claims of this pool
    if data.mode == "in_person":
        await _check_quota(session, edition_id, organization_id, exclude=existing.id if existing else None)

    registration = existing or Registration(edition_id=edition_id, user_id=user_id)
    was = existing.status if existing else None
    _apply(registration, data, answers)
    registration.organization_id = organization_id
    registration.delegation_id = invite.delegation_id if invite else None
    registration.invitation_code_id = code.id if code else None
    # The version of the notice in effect (callers pass privacy.services.current_version), else the setting.
    registration.privacy_version = privacy_version or settings.privacy_version
    registration.privacy_accepted_at = clock.now()
    registration.cancelled_at = registration.decided_at = None
    registration.note = None  # the reason of an earlier decision is not mailed with this one
    # Its status before its row is written: one INSERT, no UPDATE of the row right after.
    seated = data.category not in settings.approval_categories
    registration.status = await capacity.admit(session, pool) if seated else "pending"
    registration.badge_code = registration.badge_code or new_badge_code()
    if existing is None:
        session.add(registration)
    await session.flush()
    if seated:
        # A new registration is new to the pool: its holder key names its id, which it has only now.
        new = registration.status if existing is None else None
        claimed = await capacity.claim(session, key, holder(registration.id), locked=pool, admitted=new)
        registration.status = claimed.status
        positions_claimed(session)[holder(registration.id)] = claimed.position
    if invite is not None:
        invite.status, invite.registration_id = "accepted", registration.id
    await session.flush()
    await webhook_events.status_changed(session, registration, was)
    if notify:
        await _mail_status(session, registration, base_url, user=user)
    # What get_registration would load, known already: no second read of the row (issue #26).
    set_committed_value(registration, "user", user)
    set_committed_value(registration, "organization", organization)
    set_committed_value(registration, "delegation", invite.delegation if invite else None)
    return registration


async def _lock_pool(session: AsyncSession, edition_id: int, key: str) -> Any:
    try:
        return await capacity.lock_pool(session, key)
    except NotFound:  # the edition's first registration: its pools are made with its settings
        await get_settings(session, edition_id)
        return await capacity.lock_pool(session, key)


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
    was = registration.status
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
    await webhook_events.status_changed(session, registration, was)
    await promote(session, promoted, base_url)
    return registration


async def cancel(
    session: AsyncSession,
    registration: Registration,
    base_url: str,
    notify: bool = True,
    note: str | None = None,
) -> None:
    """The person cancels, or an organizer cancels for them (`note`: the reason, mailed to them)."""
    await lock_person_of(session, registration)
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError("error.registration_not_active", "not_active", status=409)
    was = registration.status
    promoted = await _leave_pool(session, registration)
    registration.status = "cancelled"
    registration.cancelled_at = clock.now()
    registration.note = optional_block("note", note, NOTE_MAX) or None
    await session.flush()
    await webhook_events.status_changed(session, registration, was)
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
        was, registration.status = registration.status, "confirmed"
        await session.flush()
        await webhook_events.status_changed(session, registration, was)
        await _mail_status(session, registration, base_url, kind="registration_promoted")


async def decide(
    session: AsyncSession, registration: Registration, approve: bool, base_url: str, note: str | None = None
) -> Registration:
    """An organizer's decision on a registration that waits for approval (or withdraws a confirmed one)."""
    await lock_person_of(session, registration)  # the person may be cancelling at this moment
    was = registration.status
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
    registration.note = optional_block("note", note, NOTE_MAX) or None  # this decision's reason, or none
    await session.flush()
    await webhook_events.status_changed(session, registration, was)
    await _mail_status(session, registration, base_url)
    await promote(session, promoted, base_url)
    return registration


async def reopen(
    session: AsyncSession, registration: Registration, base_url: str, note: str | None = None
) -> Registration:
    """An organizer takes back a rejection or a cancellation: the registration claims a place as a new one
    would (a free place, else the waiting list; the organization's quota counts) and the person is told."""
    await lock_person_of(session, registration)
    if registration.status not in REOPENABLE_STATUSES:
        raise DomainError("error.not_reopenable", "not_reopenable", status=409)
    was = registration.status
    key = pool_key(registration.edition_id, registration.mode)
    pool = await capacity.lock_pool(session, key)  # people before pools; serialises quota count and claim
    if registration.mode == "in_person":
        await _check_quota(
            session, registration.edition_id, registration.organization_id, exclude=registration.id
        )
    registration.status = (await capacity.claim(session, key, holder(registration.id), locked=pool)).status
    registration.decided_at, registration.cancelled_at = clock.now(), None
    registration.note = optional_block("note", note, NOTE_MAX) or None
    await session.flush()
    await webhook_events.status_changed(session, registration, was)
    await _mail_status(session, registration, base_url)
    return registration


async def _mail_status(
    session: AsyncSession,
    registration: Registration,
    base_url: str,
    kind: str | None = None,
    user: Any = None,
) -> None:
    user = user or await accounts.get_user(session, registration.user_id)
    edition = await editions.get_by_id(session, registration.edition_id)
    kind = kind or f"registration_{registration.status}"
    await mail.queue_mail(
        session,
        to=user.email,
        name=user.name_latin,
        lang=user.preferred_lang,
        kind=kind,
        context={
            "name": user.name_latin,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "mode": registration.mode,
            "link": f"{base_url}/registration",
            "reference": registration.reference,
            "note": registration.note or "",
            # When and where (in person) or how to watch (online): the confirmation is what people keep.
            "starts_on": edition.starts_on,
            "ends_on": edition.ends_on,
            "tz": edition.timezone,
            "venue_en": ", ".join(filter(None, (edition.venue_name_en, edition.venue_address_en))),
            "venue_ja": "、".join(filter(None, (edition.venue_name_ja, edition.venue_address_ja))),
            "base_url": base_url,
        },
    )
