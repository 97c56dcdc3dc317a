"""Registering someone else: an organizer registers a person whatever the registration dates (the late arrival
at the desk, the guest of honour added after the close, a city's list imported from a file); a delegation head
registers a member of their delegation. The usual rules otherwise (category, quota, seats or the waiting list,
approval), the usual mail to the person, and an entry in the audit log.

A person without an account gets one (register_person): unverified, with no usable password, and a mail with
a link to choose one (following it proves the address).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import locks
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.mail import services as mail
from ascc.registration import delegations
from ascc.registration.models import Delegation, DelegationInvite, Registration
from ascc.registration.registering import RegistrationInput, register
from ascc.registration.services import token_hash
from ascc.text import FieldError, clean_line, email_key, normalize_email

PASSWORD_LINK_HOURS = 14 * 24  # a city's list is mailed weeks before the conference; the reset page renews it
# Accounts a head may make for members, any mode: a city's delegation is a handful of people; a longer list
# goes through the organizers' import. Without a cap a head could have the platform mail any address.
MEMBERS_MADE_MAX = 30
NO_PASSWORD = "!"  # not an argon2 hash: no password matches it until the person chooses one


@dataclass
class Person:
    """Who is registered, when they may not have an account yet."""

    email: str
    name_latin: str
    name_local: str | None = None
    lang: str = "en"


async def register_for(
    session: AsyncSession,
    edition_id: int,
    email: str,
    data: RegistrationInput,
    base_url: str,
    actor: audit.Actor | None,
    privacy_version: str | None = None,
) -> Registration:
    """Register the person whose account is `email`. `data.privacy_accepted`: the organizer confirms the
    person accepted the privacy notice (on paper at the desk, by mail)."""
    address = clean_line(email)
    user = await accounts.find_by_email(session, address) if address else None
    if user is None:
        raise ValidationFailed({"email": ("error.account_unknown", {})})
    registration = await register(
        session, edition_id, user.id, data, base_url, require_open=False, privacy_version=privacy_version
    )
    await audit.record(
        session,
        actor,
        "registration.register_for",
        "registration",
        registration.id,
        user.name_latin,
        after={"status": registration.status, "mode": registration.mode, "category": registration.category},
        edition_id=edition_id,
    )
    return registration


async def register_person(
    session: AsyncSession,
    edition_id: int,
    person: Person,
    data: RegistrationInput,
    base_url: str,
    actor: audit.Actor | None,
    *,
    delegation: Delegation | None = None,
    inviter: str = "",
    privacy_version: str | None = None,
) -> tuple[Registration, bool]:
    """Register `person`, making their account first when the address has none: (registration, account made).

    With `delegation` the registration joins it as an accepted invitation would (its organization, its quota,
    the categories an invitation opens); the caller has locked the delegation (lock_delegation)."""
    user = await accounts.find_by_email(session, person.email) if clean_line(person.email) else None
    made = user is None
    if user is None:
        user = await accounts.create_user(
            session,
            email=person.email,
            role="delegate",
            password=secrets.token_urlsafe(16),  # checked by create_user, never stored
            password_hash=NO_PASSWORD,
            name_latin=person.name_latin,
            name_local=person.name_local,
            country=data.country,
            preferred_lang=person.lang,
            verified=False,
        )
    invite_token = await _accepted_invitation(session, delegation, user.email) if delegation else None
    registration = await register(
        session,
        edition_id,
        user.id,
        data,
        base_url,
        invite_token,
        require_open=delegation is not None,  # organizers register whatever the dates; heads while open
        privacy_version=privacy_version,
        answers_later=True,  # the edition's questions are the person's to answer, in their details
    )
    if made:
        edition = await editions.get_by_id(session, edition_id)
        await mail.queue_mail(
            session,
            to=user.email,
            name=user.name_latin,
            lang=user.preferred_lang,
            kind="account_made",
            context={
                "name": user.name_latin,
                "inviter": inviter,
                "edition_en": edition.name_en,
                "edition_ja": edition.name_ja,
                "link": await accounts.password_link(session, user, base_url, PASSWORD_LINK_HOURS),
                "days": PASSWORD_LINK_HOURS // 24,
            },
        )
    await audit.record(
        session,
        actor,
        "registration.register_member" if delegation else "registration.register_for",
        "registration",
        registration.id,
        user.name_latin,
        after={"status": registration.status, "mode": registration.mode, "category": registration.category},
        edition_id=edition_id,
    )
    return registration, made


async def register_member(
    session: AsyncSession,
    edition_id: int,
    head: audit.Actor,
    person: Person,
    data: RegistrationInput,
    base_url: str,
    privacy_version: str | None = None,
) -> str:
    """A delegation head registers a member of their delegation: "registered" (the account made, the mail to
    choose a password sent), or "invited" when the address has an account already: its owner is sent the
    usual invitation, to join with their own details, rather than being registered by someone else."""
    delegation = await delegations.delegation_of_head(session, edition_id, head.id)
    if delegation is None:
        raise NotFound("delegation")
    try:
        person.email = normalize_email("email", person.email)
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc
    await lock_delegation(session, delegation)
    delegation = await delegations.delegation_of_head(session, edition_id, head.id)  # as it is, locked
    if delegation is None:
        raise NotFound("delegation")
    if await accounts.find_by_email(session, person.email) is not None:
        await delegations.invite_member(session, delegation, person.email, base_url, person.lang)
        return "invited"
    members = await session.scalar(
        select(func.count(Registration.id)).where(Registration.delegation_id == delegation.id)
    )
    if (members or 0) >= MEMBERS_MADE_MAX:  # counted under the delegation's lock
        raise DomainError(
            "error.delegation_members_max", "delegation_members_max", status=409, max=MEMBERS_MADE_MAX
        )
    await register_person(
        session,
        edition_id,
        person,
        data,
        base_url,
        head,
        delegation=delegation,
        inviter=head.display_name,
        privacy_version=privacy_version,
    )
    return "registered"


async def lock_delegation(session: AsyncSession, delegation: Delegation) -> None:
    """One registration of a delegation's members at a time: the second of two for one address finds the
    account (and the registration) the first made, instead of failing on the unique address."""
    await locks.lock_rows(session, "delegation", [delegation.id])


async def _accepted_invitation(session: AsyncSession, delegation: Delegation, email: str) -> str:
    """An invitation of `email` to the delegation, for register() to accept at once; its raw token."""
    raw = secrets.token_urlsafe(24)
    session.add(
        DelegationInvite(
            delegation_id=delegation.id,
            email=email,
            email_key=email_key(email),
            token_hash=token_hash(raw),
            status="invited",
        )
    )
    await session.flush()
    return raw
