"""Badges: the edition's signing key, one current badge per confirmed registration, revocation, and the
data printed on a badge. Reissuing (lost badge, new category, cancellation) revokes the old code."""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock, locks
from ascc.badges import keystore, signing
from ascc.badges.face import MARKS, BadgeFace
from ascc.badges.models import REISSUE_REASONS, Badge, BadgeKey, RetiredBadgeCode
from ascc.config import Settings
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.exhibitors import services as exhibitors
from ascc.mail import services as mail
from ascc.programme import services as programme
from ascc.registration import organizer as registrations
from ascc.registration import services as registration
from ascc.text import clean_block


@functools.cache
def _key_from_file(path: str) -> Ed25519PrivateKey:
    with open(path, "rb") as handle:
        return signing.load_private(handle.read())


_edition_keys: dict[tuple[str, int], Ed25519PrivateKey] = {}  # per database and edition: keys never change


def _secrets() -> tuple[str, tuple[str, ...]]:
    """(the secret that seals keys, older ones that may still open one): read at use, like ASCC_BADGE_KEY, so
    web workers, the job worker and the command line agree whatever Settings a caller built."""
    settings = Settings.from_env()
    return settings.secret_key, (() if settings.uses_dev_secret else (Settings.secret_key,))


async def signing_key(session: AsyncSession, edition_id: int) -> Ed25519PrivateKey:
    """ASCC_BADGE_KEY (a PEM file) when set, else the edition's own key, made on first use and kept sealed."""
    path = os.environ.get("ASCC_BADGE_KEY")
    if path:
        return _key_from_file(path)
    cache_key = (str(session.get_bind().engine.url), edition_id)
    if cache_key in _edition_keys:
        return _edition_keys[cache_key]
    secret, older = _secrets()
    row = await session.scalar(select(BadgeKey).where(BadgeKey.edition_id == edition_id))
    if row is None:
        key = signing.new_private_key()
        try:
            async with session.begin_nested():  # two workers at once: one key wins, the other reads it
                row = BadgeKey(
                    edition_id=edition_id,
                    private_key_sealed=keystore.seal(signing.private_pem(key), secret),
                    public_pem=signing.public_pem(key.public_key()),
                )
                session.add(row)
        except IntegrityError:
            row = await session.scalar(select(BadgeKey).where(BadgeKey.edition_id == edition_id))
            assert row is not None
        else:
            return key  # not cached until committed: this transaction may still roll back
    pem, stale = keystore.unseal(row.private_key_sealed, secret, older)
    if stale:  # sealed under the development secret before a real one was set: seal it under the real one
        row.private_key_sealed = keystore.seal(pem, secret)
        await session.flush()
    key = signing.load_private(pem)
    _edition_keys[cache_key] = key
    return key


@functools.lru_cache(maxsize=64)
def _public_half(key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return key.public_key()


async def verify_key(session: AsyncSession, edition_id: int) -> Ed25519PublicKey:
    """The public half of signing_key, derived once per key and worker: every scan at the door verifies with it."""
    return _public_half(await signing_key(session, edition_id))


async def public_key_pem(session: AsyncSession, edition_id: int) -> str:
    return signing.public_pem((await signing_key(session, edition_id)).public_key())


async def validity(session: AsyncSession, edition_id: int) -> tuple[datetime, datetime]:
    """A week before the first day to the end of the last day, edition time; a year from now without dates."""
    edition = await editions.get_by_id(session, edition_id)
    zone = ZoneInfo(edition.timezone)
    now = clock.now()
    first = (
        datetime.combine(edition.starts_on, time.min, zone) - timedelta(days=7) if edition.starts_on else now
    )
    last = datetime.combine(edition.ends_on, time.max, zone) if edition.ends_on else now + timedelta(days=365)
    return min(first, now), last


async def active_badge(session: AsyncSession, registration_id: int) -> Badge | None:
    return await session.scalar(
        select(Badge).where(Badge.registration_id == registration_id, Badge.revoked_at.is_(None))
    )


async def _issue(session: AsyncSession, reg: registration.Registration) -> Badge:
    valid_from, valid_until = await validity(session, reg.edition_id)
    payload = signing.Payload(
        reg.edition_id, reg.category, reg.mode, signing.new_nonce(), valid_from, valid_until
    )
    badge = Badge(
        edition_id=reg.edition_id,
        registration_id=reg.id,
        nonce=payload.nonce,
        category=reg.category,
        mode=reg.mode,
        code=signing.sign(payload, await signing_key(session, reg.edition_id)),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    try:
        async with session.begin_nested():
            session.add(badge)
    except IntegrityError:  # issued at this moment by another request (a sheet job and a download)
        found = await active_badge(session, reg.id)
        assert found is not None
        return found
    return badge


def _revoke(badge: Badge, reason: str) -> None:
    badge.revoked_at = clock.now()
    badge.revoked_reason = reason


async def current_badge(session: AsyncSession, reg: registration.Registration) -> Badge:
    """The badge of a confirmed registration, issued on first use; a changed category or mode reissues it."""
    if reg.status != "confirmed":
        raise DomainError("badges.error.not_confirmed", "not_confirmed", status=409)
    return await _in_force(session, reg, await active_badge(session, reg.id))


async def _in_force(session: AsyncSession, reg: registration.Registration, badge: Badge | None) -> Badge:
    """`badge` (the one in force, or None) if it still fits the registration, else a new one."""
    if badge is not None and (badge.category, badge.mode) == (reg.category, reg.mode):
        return badge
    if badge is not None:
        _revoke(badge, "category_changed")
    return await _issue(session, reg)


async def reissue(
    session: AsyncSession, reg: registration.Registration, base_url: str, reason: str = "lost", note: str = ""
) -> tuple[str, Badge]:
    """A new badge and short code for a lost (stolen, damaged) one: the old QR and the old short code answer
    REVOKED from now on (offline devices once they sync), and the person is told, with the organizer's note.

    The person is locked first: two organizers reissuing at once give two new badges one after the other,
    each retiring the code before it, never a code that is neither in force nor retired. Returns the old code.
    """
    if reason not in REISSUE_REASONS:
        raise ValidationFailed({"reason": ("badges.error.reason", {})})
    if len(note := clean_block(note)) > 500:
        raise ValidationFailed({"note": ("error.too_long", {"max": 500})})
    await locks.lock_people(session, reg.user_id)
    await session.refresh(reg, ["badge_code", "status"])
    if reg.status != "confirmed":
        raise DomainError("badges.error.not_confirmed", "not_confirmed", status=409)
    old_code = reg.badge_code or ""
    if old_code:
        session.add(
            RetiredBadgeCode(edition_id=reg.edition_id, registration_id=reg.id, code=old_code, reason=reason)
        )
    await registration.replace_badge_code(session, reg)
    badge = await active_badge(session, reg.id)
    if badge is not None:
        _revoke(badge, reason)
        await session.flush()
    badge = await current_badge(session, reg)
    await _tell_reissued(session, reg, base_url, reason, note)
    return old_code, badge


async def _tell_reissued(
    session: AsyncSession, reg: registration.Registration, base_url: str, reason: str, note: str
) -> None:
    edition = await session.get(editions.Edition, reg.edition_id)
    assert edition is not None
    user = reg.user
    await mail.queue_mail(
        session,
        to=user.email,
        name=user.name_latin,
        lang=user.preferred_lang,
        kind="badge_reissued",
        context={
            "name": user.name_latin,
            "edition_en": edition.name_en,
            "edition_ja": edition.name_ja,
            "reason": reason,
            "note": note,
            "link": f"{base_url}/badge",
        },
    )


async def retired_code(session: AsyncSession, edition_id: int, code: str) -> RetiredBadgeCode | None:
    """The retired short code `code` (as people type it), or None."""
    return await session.scalar(
        select(RetiredBadgeCode).where(
            RetiredBadgeCode.edition_id == edition_id,
            RetiredBadgeCode.code == registration.normalize_badge_code(code),
        )
    )


async def sync_revocations(session: AsyncSession, edition_id: int) -> int:
    """Revoke badges whose registration is no longer confirmed or whose category or mode changed."""
    reg = registration.Registration
    changed = 0
    for reason, condition in (
        ("cancelled", reg.status != "confirmed"),
        ("category_changed", (reg.category != Badge.category) | (reg.mode != Badge.mode)),
    ):
        stale = (
            select(Badge.id)
            .join(reg, reg.id == Badge.registration_id)
            .where(Badge.edition_id == edition_id, Badge.revoked_at.is_(None), condition)
        )
        ids = list((await session.scalars(stale)).all())
        if ids:
            await session.execute(
                update(Badge).where(Badge.id.in_(ids)).values(revoked_at=clock.now(), revoked_reason=reason)
            )
            changed += len(ids)
    return changed


async def revoked(session: AsyncSession, edition_id: int) -> list[str]:
    """Nonces (base64url) of the edition's revoked badges: what offline check-in devices refuse."""
    await sync_revocations(session, edition_id)
    rows = await session.scalars(
        select(Badge.nonce)
        .where(Badge.edition_id == edition_id, Badge.revoked_at.is_not(None))
        .order_by(Badge.id)
    )
    return [signing.nonce_text(nonce) for nonce in rows.all()]


# --- what a badge shows ----------------------------------------------------------------------------------


async def marks_of(session: AsyncSession, edition_id: int, user_ids: list[int]) -> dict[int, set[str]]:
    """Roles that come from elsewhere: speakers of published sessions, exhibitor staff."""
    speakers = await programme.speaker_user_ids(session, edition_id)
    staff = await exhibitors.staff_user_ids(session, edition_id)
    wanted = set(user_ids)
    marks: dict[int, set[str]] = {}
    for user_id in speakers & wanted:
        marks.setdefault(user_id, set()).add("speaker")
    for user_id in staff & wanted:
        marks.setdefault(user_id, set()).add("exhibitor")
    return marks


def face_of(reg: registration.Registration, badge: Badge, extra_marks: set[str]) -> BadgeFace:
    marks = set(extra_marks)
    if reg.category == "speaker":
        marks.add("speaker")
    if reg.category == "press":
        marks.add("press")
    if reg.category == "organizer_staff" or reg.user.role == "organizer":
        marks.add("organizer")
    organization = reg.organization.name_en if reg.organization else ""
    return BadgeFace(
        name_latin=reg.user.name_latin,
        name_local=reg.user.name_local or "",
        organization=organization,
        country=reg.country or reg.user.country or "",
        category=reg.category,
        mode=reg.mode,
        marks=tuple(mark for mark in MARKS if mark in marks),
        code=badge.code,
        badge_code=reg.badge_code or "",
        reference=reg.reference,
    )


async def my_registration(
    session: AsyncSession, edition_id: int, user_id: int
) -> registration.Registration | None:
    """The person's registration with what a badge shows of them (name, organization): one query."""
    return await session.scalar(
        select(registration.Registration)
        .where(
            registration.Registration.edition_id == edition_id,
            registration.Registration.user_id == user_id,
        )
        .options(
            joinedload(registration.Registration.user),
            joinedload(registration.Registration.organization),
            joinedload(registration.Registration.delegation),
        )
        .execution_options(populate_existing=True)
    )


@dataclass(frozen=True)
class MyBadge:
    """What the badge page shows in words; the image and the downloads come from the API (my_face)."""

    name_latin: str
    mode: str
    badge_code: str


@functools.cache
def _my_badge() -> Select[Any]:
    # Core, built at first use (the person's table through the registration's relationship, mapped by then).
    reg = registration.Registration.__table__
    user = registration.Registration.user.property.mapper.local_table
    badge = Badge.__table__
    return (
        select(
            reg.c.status,
            reg.c.category,
            reg.c.mode,
            reg.c.badge_code,
            user.c.name_latin,
            badge.c.category,
            badge.c.mode,
        )
        .select_from(
            reg.join(user, user.c.id == reg.c.user_id).outerjoin(
                badge, (badge.c.registration_id == reg.c.id) & badge.c.revoked_at.is_(None)
            )
        )
        .where(reg.c.edition_id == bindparam("edition_id"), reg.c.user_id == bindparam("user_id"))
    )


async def my_badge(session: AsyncSession, edition_id: int, user_id: int) -> MyBadge | None:
    """The person's badge in force, issued now if there is none that fits (as my_face would); None without a
    confirmed registration. One read when the badge is there, as on every visit but the first."""
    row = (await session.execute(_my_badge(), {"edition_id": edition_id, "user_id": user_id})).first()
    if row is None or row[0] != "confirmed":
        return None
    _, category, mode, badge_code, name_latin, badge_category, badge_mode = row
    if (badge_category, badge_mode) != (category, mode):
        reg = await my_registration(session, edition_id, user_id)
        if reg is None:  # withdrawn since the read above
            return None
        with contextlib.suppress(DomainError):  # no longer confirmed: the page says so
            await current_badge(session, reg)
            return MyBadge(reg.user.name_latin, reg.mode, reg.badge_code or "")
        return None
    return MyBadge(name_latin, mode, badge_code or "")


async def my_face(
    session: AsyncSession, edition_id: int, user_id: int, mine: registration.Registration | None = None
) -> BadgeFace:
    """`mine`: the person's registration as `my_registration` loads it, when the caller has it."""
    reg = mine if mine is not None else await my_registration(session, edition_id, user_id)
    if reg is None or reg.status != "confirmed":
        raise DomainError("badges.error.not_confirmed", "not_confirmed", status=404)
    badge = await current_badge(session, reg)
    marks = await marks_of(session, edition_id, [reg.user_id])
    return face_of(reg, badge, marks.get(reg.user_id, set()))


async def faces(
    session: AsyncSession, edition_id: int, filters: registrations.Filters, limit: int = 5000
) -> list[BadgeFace]:
    """Badges of the confirmed registrations that match `filters`, issuing any that are missing."""
    filters = registrations.Filters(**{**filters.__dict__, "status": "confirmed"})
    rows, _ = await registrations.list_registrations(session, edition_id, filters, limit=limit)
    marks = await marks_of(session, edition_id, [r.user_id for r in rows])
    active = {
        badge.registration_id: badge
        for badge in (
            await session.scalars(
                select(Badge).where(Badge.edition_id == edition_id, Badge.revoked_at.is_(None))
            )
        ).all()
    }
    result = []
    for reg in rows:
        badge = await _in_force(session, reg, active.get(reg.id))
        result.append(face_of(reg, badge, marks.get(reg.user_id, set())))
    return result
