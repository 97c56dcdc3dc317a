"""City delegations: a head registers for their city and invites members, who complete their own details."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.mail import services as mail
from ascc.registration.models import ACTIVE_STATUSES, Delegation, DelegationInvite, Registration
from ascc.registration.services import token_hash
from ascc.text import FieldError, email_key, normalize_email


async def delegation_of_head(session: AsyncSession, edition_id: int, user_id: int) -> Delegation | None:
    return await session.scalar(
        select(Delegation)
        .where(Delegation.edition_id == edition_id, Delegation.head_user_id == user_id)
        .options(
            joinedload(Delegation.organization),
            selectinload(Delegation.invites).joinedload(DelegationInvite.registration),
        )
        .execution_options(populate_existing=True)
    )


async def delegation_of_organization(
    session: AsyncSession, edition_id: int, organization_id: int
) -> Delegation | None:
    return await session.scalar(
        select(Delegation).where(
            Delegation.edition_id == edition_id, Delegation.organization_id == organization_id
        )
    )


async def start_delegation(session: AsyncSession, registration: Registration) -> Delegation:
    """The registered person becomes the head of their organization's delegation for this edition."""
    if registration.status not in ACTIVE_STATUSES or registration.organization_id is None:
        raise DomainError("error.delegation_needs_registration", "delegation_needs_registration", status=409)
    existing = await session.scalar(
        select(Delegation).where(
            Delegation.edition_id == registration.edition_id,
            Delegation.organization_id == registration.organization_id,
        )
    )
    if existing is not None and existing.head_user_id != registration.user_id:
        raise DomainError("error.delegation_has_head", "delegation_has_head", status=409)
    if existing is None:
        existing = Delegation(
            edition_id=registration.edition_id,
            organization_id=registration.organization_id,
            head_user_id=registration.user_id,
        )
        session.add(existing)
        await session.flush()
    registration.delegation_id = existing.id
    await session.flush()
    return existing


async def add_member(
    session: AsyncSession, delegation: Delegation, registration: Registration, email: str
) -> None:
    """An operator puts a registered person into a delegation, as if they had accepted an invitation."""
    registration.delegation_id = delegation.id
    session.add(
        DelegationInvite(
            delegation_id=delegation.id,
            email=email,
            email_key=email_key(email),
            token_hash=token_hash(secrets.token_urlsafe(24)),
            status="accepted",
            registration_id=registration.id,
        )
    )
    await session.flush()


async def hand_over(session: AsyncSession, head_user_id: int) -> None:
    """The head leaves: the first member who accepted becomes head; with no member left, the delegation ends."""
    led = (await session.scalars(select(Delegation).where(Delegation.head_user_id == head_user_id))).all()
    for delegation in led:
        successor = await session.scalar(
            select(Registration.user_id)
            .join(DelegationInvite, DelegationInvite.registration_id == Registration.id)
            .where(
                DelegationInvite.delegation_id == delegation.id,
                DelegationInvite.status == "accepted",
                Registration.status.in_(ACTIVE_STATUSES),
                Registration.user_id != head_user_id,
            )
            .order_by(DelegationInvite.id)
            .limit(1)
        )
        if successor is None:
            await session.delete(delegation)  # members' registrations stay; they are simply no longer grouped
        else:
            delegation.head_user_id = successor
    await session.flush()


@dataclass(frozen=True)
class RosterLine:
    email: str
    invite_status: str  # invited | accepted | revoked
    name: str | None
    registration_status: str | None


async def invite_member(
    session: AsyncSession, delegation: Delegation, email: str, base_url: str, lang: str
) -> DelegationInvite:
    """Invite an address. The head is answered the same whether the address has an account, is registered
    or not (nothing tells them who has an account); what differs is the mail: someone already registered is
    told they can join from the link instead of registering."""
    try:
        address = normalize_email("email", email)
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc
    key = email_key(address)
    if any(i.email_key == key and i.status != "revoked" for i in delegation.invites):
        raise ValidationFailed({"email": ("error.already_invited", {})})
    head = await accounts.get_user(session, delegation.head_user_id)
    if email_key(head.email) == key:  # the head's own address: they know it has an account
        raise ValidationFailed({"email": ("error.invite_self", {})})
    invitee = await accounts.find_by_email(session, address)
    registered = invitee is not None and (
        await session.scalar(
            select(Registration.id).where(
                Registration.edition_id == delegation.edition_id,
                Registration.user_id == invitee.id,
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        is not None
    )
    raw = secrets.token_urlsafe(24)
    invite = DelegationInvite(
        delegation_id=delegation.id,
        email=address,
        email_key=key,
        token_hash=token_hash(raw),
        status="invited",
    )
    session.add(invite)
    await session.flush()
    edition = await editions.get_by_id(session, delegation.edition_id)
    await mail.queue_mail(
        session,
        to=address,
        name=None,
        lang=lang,
        kind="delegation_invite_registered" if registered else "delegation_invite",
        context={
            "email": address,
            "head": head.name_latin,
            "organization": delegation.organization.name_en,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "link": f"{base_url}/invite/{raw}",
        },
    )
    return invite


async def roster(session: AsyncSession, delegation: Delegation) -> list[RosterLine]:
    """Everyone invited, with their answer and registration status; the head sees only this, no more."""
    registration_ids = [i.registration_id for i in delegation.invites if i.registration_id]
    people: dict[int, tuple[str, str]] = {}
    if registration_ids:  # one query for the whole roster
        rows = await session.scalars(
            select(Registration)
            .where(Registration.id.in_(registration_ids))
            .options(joinedload(Registration.user))
        )
        for registration in rows.unique():
            people[registration.id] = (registration.user.display_name, registration.status)
    return [
        RosterLine(
            email=i.email,
            invite_status=i.status,
            name=people.get(i.registration_id, (None, None))[0] if i.registration_id else None,
            registration_status=people.get(i.registration_id, (None, None))[1] if i.registration_id else None,
        )
        for i in delegation.invites
    ]


async def heads_of(session: AsyncSession, edition_id: int, user_ids: list[int]) -> dict[int, int]:
    """Each person's delegation head (people outside a delegation are left out)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Registration.user_id, Delegation.head_user_id)
        .join(Delegation, Delegation.id == Registration.delegation_id)
        .where(Registration.edition_id == edition_id, Registration.user_id.in_(user_ids))
    )
    return {user_id: head for user_id, head in rows.tuples() if head != user_id}


def members_of_head_query(edition_id: Any, head_user_id: Any) -> Select[tuple[int]]:
    """The user ids of members_of_head, as a statement other statements may embed (values or bind parameters)."""
    return (
        select(Registration.user_id)
        .join(Delegation, Delegation.id == Registration.delegation_id)
        .where(
            Delegation.edition_id == edition_id,
            Delegation.head_user_id == head_user_id,
            Registration.user_id != head_user_id,
            Registration.status.in_(ACTIVE_STATUSES),
        )
    )


async def members_of_head(session: AsyncSession, edition_id: int, head_user_id: int) -> list[int]:
    """The people a delegation head may answer for (active members other than the head)."""
    return list((await session.scalars(members_of_head_query(edition_id, head_user_id))).all())
