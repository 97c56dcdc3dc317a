"""Registrations for the current edition as other domains read them: the keys of the seat pools and their
holders, badge codes, settings and questions, a person's registration, waiting positions, the directory, and
the audiences of campaigns. Changing a registration (register, change, switch mode, cancel, an organizer's
decision) is ascc.registration.registering.

A registration holds a seat in the pool of its mode ("edition:<id>:in_person" / ":online") while it
is confirmed, or a place in that pool's queue while it is waiting. Pending registrations (categories
that need an organizer's approval) hold nothing until they are approved.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc.accounts import services as accounts
from ascc.capacity import services as capacity
from ascc.errors import DomainError, NotFound
from ascc.registration.models import (
    ACTIVE_STATUSES,
    CATEGORIES,
    INTERPRETATION,
    MODES,
    Delegation,
    DelegationInvite,
    Question,
    Registration,
    RegistrationSettings,
)

__all__ = ["ACTIVE_STATUSES", "CATEGORIES", "INTERPRETATION", "MODES", "Registration"]


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


# --- settings and questions -----------------------------------------------------------------------------------


async def get_settings(session: AsyncSession, edition_id: int, *, pools: bool = True) -> RegistrationSettings:
    """The edition's settings, created with no limits on first use; the seat pools exist with them
    (`pools=False`: not made sure of, for a caller that makes them when it finds one missing)."""
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
    if pools:
        await capacity.ensure_pools(
            session, {pool_key(edition_id, mode): _limit(settings, mode) for mode in MODES}
        )
    return settings


def _limit(settings: RegistrationSettings, mode: str) -> int | None:
    return settings.in_person_capacity if mode == "in_person" else settings.online_capacity


async def list_questions(session: AsyncSession, edition_id: int) -> list[Question]:
    rows = await session.scalars(
        select(Question).where(Question.edition_id == edition_id).order_by(Question.sort_order, Question.id)
    )
    return list(rows.all())


# --- reading registrations ----------------------------------------------------------------------------------


async def my_registration(session: AsyncSession, edition_id: int, user_id: int) -> Registration | None:
    return await session.scalar(
        select(Registration)
        .where(Registration.edition_id == edition_id, Registration.user_id == user_id)
        .options(joinedload(Registration.organization), joinedload(Registration.delegation))
        .execution_options(populate_existing=True)
    )


# Built once: read under the person's lock by every registration (issue #26).
_ROW = (
    select(Registration)
    .where(Registration.edition_id == bindparam("edition_id"), Registration.user_id == bindparam("user_id"))
    .execution_options(populate_existing=True)
)


async def registration_row(session: AsyncSession, edition_id: int, user_id: int) -> Registration | None:
    """The person's registration as it is now, without its relations (read again once the person is locked)."""
    return await session.scalar(_ROW, {"edition_id": edition_id, "user_id": user_id})


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


def positions_claimed(session: AsyncSession) -> dict[str, int | None]:
    """Holder key -> place in the queue (None: a seat) of the places registering claimed in this session:
    the answer to a registration names its place without counting the queue again."""
    positions: dict[str, int | None] = session.info.setdefault("ascc.registration.positions", {})
    return positions


async def waiting_positions(session: AsyncSession, edition_id: int) -> dict[str, int]:
    """Every waiting holder's place in its queue, for lists (one query per mode, not one per person)."""
    positions: dict[str, int] = {}
    for mode in MODES:
        for index, key in enumerate(
            await capacity.waiting_holders(session, pool_key(edition_id, mode)), start=1
        ):
            positions[key] = index
    return positions


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
