"""Exhibitor staff: the administrator invites colleagues by e-mail; the invited address joins on sign-in."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors.models import Exhibitor, ExhibitorStaff, StaffInvite
from ascc.exhibitors.services import staff_membership
from ascc.mail import services as mail
from ascc.registration import services as registration
from ascc.text import FieldError, email_key, normalize_email


async def staff_of(session: AsyncSession, exhibitor_id: int) -> list[ExhibitorStaff]:
    return list(
        await session.scalars(
            select(ExhibitorStaff)
            .where(ExhibitorStaff.exhibitor_id == exhibitor_id)
            .options(joinedload(ExhibitorStaff.user))
            .order_by(ExhibitorStaff.id)
        )
    )


async def invites_of(session: AsyncSession, exhibitor_id: int) -> list[StaffInvite]:
    return list(
        await session.scalars(
            select(StaffInvite)
            .where(StaffInvite.exhibitor_id == exhibitor_id, StaffInvite.status == "invited")
            .order_by(StaffInvite.id)
        )
    )


async def invite_staff(
    session: AsyncSession,
    exhibitor: Exhibitor,
    email: str,
    inviter_name: str,
    base_url: str,
    lang: str,
    actor: audit.Actor | None = None,
) -> StaffInvite:
    """The exhibitor's admin invites a colleague by e-mail; the link makes them staff once they sign in."""
    try:
        address = normalize_email("email", email)
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc
    key = email_key(address)
    pending = await session.scalar(
        select(StaffInvite.id).where(
            StaffInvite.exhibitor_id == exhibitor.id,
            StaffInvite.email_key == key,
            StaffInvite.status == "invited",
        )
    )
    person = await accounts.find_by_email(session, address)
    if pending is not None or (
        person is not None and await staff_membership(session, exhibitor.edition_id, person.id) is not None
    ):
        raise ValidationFailed({"email": ("error.already_invited", {})})
    raw = secrets.token_urlsafe(24)
    invite = StaffInvite(
        exhibitor_id=exhibitor.id, email=address, email_key=key, token_hash=registration.token_hash(raw)
    )
    session.add(invite)
    await session.flush()
    await audit.record(  # the invitation's link is a key, the address personal: only a reference is logged
        session,
        actor,
        "exhibitor.staff_invite",
        "exhibitor",
        exhibitor.id,
        exhibitor.name_en,
        after={"invited": person.name_latin if person is not None else f"invitation #{invite.id}"},
        edition_id=exhibitor.edition_id,
    )
    edition = await editions.get_by_id(session, exhibitor.edition_id)
    await mail.queue_mail(
        session,
        to=address,
        name=None,
        lang=lang,
        kind="exhibitor_invite",
        context={
            "email": address,
            "inviter": inviter_name,
            "exhibitor_en": exhibitor.name_en,
            "exhibitor_ja": exhibitor.name_ja or exhibitor.name_en,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "link": f"{base_url}/exhibitor/invite/{raw}",
        },
    )
    return invite


async def find_staff_invite(session: AsyncSession, raw_token: str) -> StaffInvite:
    invite = await session.scalar(
        select(StaffInvite).where(StaffInvite.token_hash == registration.token_hash(raw_token or ""))
    )
    if invite is None or invite.status == "revoked":
        raise DomainError("error.invite_invalid", "invite_invalid", status=404)
    if invite.status == "accepted":
        raise DomainError("error.invite_used", "invite_used", status=409)
    return invite


async def accept_staff_invite(session: AsyncSession, raw_token: str, user_id: int) -> Exhibitor:
    """The invited person (signed in with the invited address) joins the exhibitor's staff."""
    invite = await find_staff_invite(session, raw_token)
    user = await accounts.get_user(session, user_id)
    if email_key(user.email) != invite.email_key:
        raise DomainError("error.invite_foreign", "invite_foreign", status=403)
    exhibitor = await session.get_one(Exhibitor, invite.exhibitor_id)
    if await staff_membership(session, exhibitor.edition_id, user_id) is not None:
        raise DomainError("error.already_exhibitor_staff", "already_exhibitor_staff", status=409)
    session.add(ExhibitorStaff(edition_id=exhibitor.edition_id, exhibitor_id=exhibitor.id, user_id=user_id))
    invite.status = "accepted"
    await session.flush()
    return exhibitor


async def revoke_invite(
    session: AsyncSession, exhibitor: Exhibitor, invite_id: int, actor: audit.Actor | None = None
) -> None:
    invite = await session.scalar(
        select(StaffInvite).where(StaffInvite.id == invite_id, StaffInvite.exhibitor_id == exhibitor.id)
    )
    if invite is None:
        raise NotFound("invite")
    before = {"invite": f"invitation #{invite.id} ({invite.status})"}
    invite.status = "revoked"
    await session.flush()
    await audit.record(
        session,
        actor,
        "exhibitor.invite_revoke",
        "exhibitor",
        exhibitor.id,
        exhibitor.name_en,
        before=before,
        after={"invite": f"invitation #{invite.id} ({invite.status})"},
        edition_id=exhibitor.edition_id,
    )


async def remove_staff(
    session: AsyncSession,
    exhibitor: Exhibitor,
    user_id: int,
    acting_user_id: int,
    actor: audit.Actor | None = None,
) -> None:
    if user_id == acting_user_id:
        raise DomainError("error.cannot_remove_self", "cannot_remove_self", status=409)
    member = await session.scalar(
        select(ExhibitorStaff).where(
            ExhibitorStaff.exhibitor_id == exhibitor.id, ExhibitorStaff.user_id == user_id
        )
    )
    if member is None:
        raise NotFound("staff")
    person = await accounts.get_user(session, user_id)
    await audit.record(
        session,
        actor,
        "exhibitor.staff_remove",
        "exhibitor",
        exhibitor.id,
        exhibitor.name_en,
        before={"staff": person.name_latin},
        after={"staff": None},
        edition_id=exhibitor.edition_id,
    )
    await session.delete(member)
    await session.flush()


async def forget_invites(session: AsyncSession, address: str) -> None:
    """The person is being anonymized: invitations sent to their address lose it (an open one is revoked)."""
    key = email_key(address)
    await session.execute(
        update(StaffInvite)
        .where(StaffInvite.email_key == key, StaffInvite.status == "invited")
        .values(status="revoked")
    )
    await session.execute(
        update(StaffInvite).where(StaffInvite.email_key == key).values(email="", email_key="")
    )
