"""Joining a delegation that already has a head: asking to join, the head's answer, and an invitation
accepted by someone who is already registered.

A registered person whose organization's delegation is led by someone else asks to join it; the head is
mailed, accepts or declines, and the person is mailed the answer; while the request is open the person
sees it and may withdraw it.

A person is in at most one delegation: membership is one column of their registration (delegation_id),
set only with the person locked (locks.lock_people, through registering.lock_person_of, which reads the
registration again), so a head accepting a request while the person accepts another head's invitation
leaves one membership, and the other is told. At most one open request per person and edition: a partial
unique index (uq_delegation_join_request_open); the person is locked first, so a double click is told
"already asked" rather than meeting the index. A request is answered once: a conditional UPDATE from
"open".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.accounts import services as accounts
from ascc.db import rows_changed
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound
from ascc.mail import services as mail
from ascc.registration import delegations
from ascc.registration.models import (
    ACTIVE_STATUSES,
    Delegation,
    DelegationInvite,
    DelegationJoinRequest,
    Registration,
)
from ascc.registration.registering import lock_person_of
from ascc.registration.services import find_invite
from ascc.text import email_key


@dataclass(frozen=True)
class JoinOffer:
    """What a person's registration page offers them: their organization's delegation, led by someone else,
    and their open request to join it, if any."""

    delegation: Delegation
    head_name: str
    open_request: DelegationJoinRequest | None


async def _city_delegation(session: AsyncSession, registration: Registration) -> Delegation | None:
    if registration.organization_id is None:
        return None
    return await session.scalar(
        select(Delegation)
        .where(
            Delegation.edition_id == registration.edition_id,
            Delegation.organization_id == registration.organization_id,
        )
        .options(joinedload(Delegation.organization))
    )


async def _open_request(session: AsyncSession, registration_id: int) -> DelegationJoinRequest | None:
    return await session.scalar(
        select(DelegationJoinRequest)
        .where(
            DelegationJoinRequest.registration_id == registration_id,
            DelegationJoinRequest.status == "open",
        )
        .execution_options(populate_existing=True)
    )


async def offer(session: AsyncSession, registration: Registration) -> JoinOffer | None:
    """None when there is nothing to join: not registered, already in a delegation, or nobody leads yet."""
    if registration.status not in ACTIVE_STATUSES or registration.delegation_id is not None:
        return None
    delegation = await _city_delegation(session, registration)
    if delegation is None or delegation.head_user_id == registration.user_id:
        return None
    head = await accounts.get_user(session, delegation.head_user_id)
    return JoinOffer(delegation, head.display_name, await _open_request(session, registration.id))


async def ask(session: AsyncSession, registration: Registration, base_url: str) -> DelegationJoinRequest:
    """The person asks to join their organization's delegation; its head is mailed."""
    await lock_person_of(session, registration)  # a double click waits here, then finds the first request
    if registration.status not in ACTIVE_STATUSES or registration.organization_id is None:
        raise DomainError("error.delegation_needs_registration", "delegation_needs_registration", status=409)
    if registration.delegation_id is not None:
        raise DomainError("error.already_in_delegation", "already_in_delegation", status=409)
    delegation = await _city_delegation(session, registration)
    if delegation is None or delegation.head_user_id == registration.user_id:
        raise DomainError("error.no_delegation_to_join", "no_delegation_to_join", status=409)
    if await _open_request(session, registration.id) is not None:
        raise DomainError("error.join_already_asked", "join_already_asked", status=409)
    try:
        async with session.begin_nested():  # the index decides whatever the race
            request = DelegationJoinRequest(
                delegation_id=delegation.id, registration_id=registration.id, status="open"
            )
            session.add(request)
    except IntegrityError as exc:
        raise DomainError("error.join_already_asked", "join_already_asked", status=409) from exc
    person = await accounts.get_user(session, registration.user_id)
    head = await accounts.get_user(session, delegation.head_user_id)
    edition = await editions.get_by_id(session, registration.edition_id)
    await mail.queue_mail(
        session,
        to=head.email,
        name=head.name_latin,
        lang=head.preferred_lang,
        kind="delegation_join_request",
        context={
            "name": head.name_latin,
            "person": person.display_name,
            "position": registration.position or "",
            "organization": delegation.organization.name_en,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "link": f"{base_url}/delegation",
        },
    )
    return request


async def withdraw(session: AsyncSession, registration: Registration) -> bool:
    """The person takes back their open request; False when there was none (answered meanwhile)."""
    return (
        await rows_changed(
            session,
            update(DelegationJoinRequest)
            .where(
                DelegationJoinRequest.registration_id == registration.id,
                DelegationJoinRequest.status == "open",
            )
            .values(status="withdrawn", decided_at=clock.now()),
        )
        == 1
    )


async def open_requests(session: AsyncSession, delegation: Delegation) -> list[DelegationJoinRequest]:
    """The requests the head has yet to answer, oldest first, with each person's registration and account."""
    rows = await session.scalars(
        select(DelegationJoinRequest)
        .where(DelegationJoinRequest.delegation_id == delegation.id, DelegationJoinRequest.status == "open")
        .options(joinedload(DelegationJoinRequest.registration).joinedload(Registration.user))
        .order_by(DelegationJoinRequest.id)
    )
    return list(rows.unique().all())


async def _join(
    session: AsyncSession, delegation: Delegation, registration: Registration, email: str
) -> None:
    """Make the (locked, re-read) registration a member; its other open requests end."""
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError("error.registration_not_active", "not_active", status=409)
    if registration.delegation_id is not None:
        raise DomainError("error.already_in_delegation", "already_in_delegation", status=409)
    await delegations.add_member(session, delegation, registration, email)
    await session.execute(
        update(DelegationJoinRequest)
        .where(
            DelegationJoinRequest.registration_id == registration.id,
            DelegationJoinRequest.status == "open",
        )
        .values(status="withdrawn", decided_at=clock.now())
    )


async def answer(
    session: AsyncSession,
    edition_id: int,
    head_user_id: int,
    request_id: int,
    accept: bool,
    base_url: str,
) -> DelegationJoinRequest:
    """The head accepts or declines a request to their delegation; the person is mailed the answer."""
    request = await session.scalar(
        select(DelegationJoinRequest)
        .join(Delegation, Delegation.id == DelegationJoinRequest.delegation_id)
        .where(
            DelegationJoinRequest.id == request_id,
            Delegation.edition_id == edition_id,
            Delegation.head_user_id == head_user_id,
        )
        .options(
            joinedload(DelegationJoinRequest.delegation).joinedload(Delegation.organization),
            joinedload(DelegationJoinRequest.registration),
        )
    )
    if request is None:
        raise NotFound("join_request")
    registration = request.registration
    person = await accounts.get_user(session, registration.user_id)
    if accept:
        await lock_person_of(session, registration)  # the person may be joining elsewhere at this moment
    answered = await rows_changed(
        session,
        update(DelegationJoinRequest)
        .where(DelegationJoinRequest.id == request.id, DelegationJoinRequest.status == "open")
        .values(status="accepted" if accept else "declined", decided_at=clock.now()),
    )
    if answered != 1:
        raise DomainError("error.join_request_closed", "join_request_closed", status=409)
    if accept:
        await _join(session, request.delegation, registration, person.email)
    head = await accounts.get_user(session, head_user_id)
    edition = await editions.get_by_id(session, edition_id)
    await mail.queue_mail(
        session,
        to=person.email,
        name=person.name_latin,
        lang=person.preferred_lang,
        kind="delegation_join_accepted" if accept else "delegation_join_declined",
        context={
            "name": person.name_latin,
            "head": head.display_name,
            "organization": request.delegation.organization.name_en,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "link": f"{base_url}/registration",
        },
    )
    await session.refresh(request)
    return request


async def join_by_invite(
    session: AsyncSession, edition_id: int, user_id: int, raw_token: str
) -> DelegationInvite:
    """A person already registered accepts a head's invitation: they join that delegation."""
    invite = await find_invite(session, raw_token)  # refuses withdrawn and used invitations
    user = await accounts.get_user(session, user_id)
    if email_key(user.email) != invite.email_key:
        raise DomainError("error.invite_foreign", "invite_foreign", status=403)
    registration = await session.scalar(
        select(Registration).where(Registration.edition_id == edition_id, Registration.user_id == user_id)
    )
    if registration is None or invite.delegation.edition_id != edition_id:
        raise DomainError("error.registration_not_active", "not_active", status=409)
    await lock_person_of(session, registration)
    accepted = await rows_changed(
        session,
        update(DelegationInvite)
        .where(DelegationInvite.id == invite.id, DelegationInvite.status == "invited")
        .values(status="accepted", registration_id=registration.id),
    )
    if accepted != 1:
        raise DomainError("error.invite_used", "invite_used", status=409)
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError("error.registration_not_active", "not_active", status=409)
    if registration.delegation_id is not None:
        raise DomainError("error.already_in_delegation", "already_in_delegation", status=409)
    registration.delegation_id = invite.delegation_id
    await session.execute(
        update(DelegationJoinRequest)
        .where(
            DelegationJoinRequest.registration_id == registration.id,
            DelegationJoinRequest.status == "open",
        )
        .values(status="withdrawn", decided_at=clock.now())
    )
    await session.flush()
    return invite
