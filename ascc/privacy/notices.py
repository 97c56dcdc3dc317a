"""Privacy-notice versions: publishing one (from its effective date, registrations record it), the version in
effect, people accepting it (on the notice, or by registering under it), and the organizers' counts and list
of people who have not accepted a version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts.models import User
from ascc.audit import services as audit
from ascc.editions.models import Edition
from ascc.errors import NotFound, ValidationFailed
from ascc.privacy.models import NoticeAcceptance, NoticeVersion
from ascc.registration.models import Registration, RegistrationSettings
from ascc.text import clean_block, clean_line

VERSION_MAX = 20  # registrations record the label in 20 characters
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
BODY_MAX = 20_000


def _today() -> date:
    return clock.now().date()


def _effective(value: str, errors: dict) -> date | None:
    try:
        day = date.fromisoformat(clean_line(value))
    except ValueError:
        errors["effective_on"] = ("error.date_invalid", {})
        return None
    if not 2000 <= day.year <= 2100:
        errors["effective_on"] = ("error.date_invalid", {})
        return None
    return day


async def publish_notice(
    session: AsyncSession, actor: audit.Actor | None, values: dict[str, str]
) -> NoticeVersion:
    """A new version of the notice. Once effective, signed-in people who have not accepted it are asked to, and
    registrations record it."""
    errors: dict = {}
    version = clean_line(values.get("version"))
    if not version:
        errors["version"] = ("error.required", {})
    elif len(version) > VERSION_MAX:
        errors["version"] = ("error.too_long", {"max": VERSION_MAX})
    elif not _VERSION.match(version):  # it appears in addresses and file names
        errors["version"] = ("privacy.error_version_format", {})
    elif await session.scalar(select(NoticeVersion.id).where(NoticeVersion.version == version)):
        errors["version"] = ("privacy.error_version_taken", {})
    bodies = {}
    for name in ("body_en", "body_ja"):
        bodies[name] = clean_block(values.get(name))
        if not bodies[name]:
            errors[name] = ("error.required", {})
        elif len(bodies[name]) > BODY_MAX:
            errors[name] = ("error.too_long", {"max": BODY_MAX})
    effective_on = _effective(values.get("effective_on", ""), errors)
    if errors:
        raise ValidationFailed(errors)
    assert effective_on is not None  # else _effective put its error in `errors`
    notice = NoticeVersion(
        version=version,
        effective_on=effective_on,
        published_by_id=actor.id if actor else None,
        **bodies,
    )
    session.add(notice)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same label published twice at once
        raise ValidationFailed({"version": ("privacy.error_version_taken", {})}) from exc
    if effective_on <= _today():
        await _registrations_record(session, version)
    await audit.record(
        session,
        actor,
        "privacy.notice_published",
        "privacy_notice",
        notice.id,
        version,
        after={"version": version, "effective_on": effective_on},
    )
    return notice


async def _registrations_record(session: AsyncSession, version: str) -> None:
    """Editions still to come (or running) register people under this version from now on."""
    running = select(Edition.id).where(Edition.ends_on >= _today())
    await session.execute(
        update(RegistrationSettings)
        .where(RegistrationSettings.edition_id.in_(running))
        .values(privacy_version=version)
    )


async def list_notices(session: AsyncSession, in_effect_only: bool = False) -> list[NoticeVersion]:
    """Newest first; `in_effect_only` (the public list) leaves out versions dated later than today."""
    statement = select(NoticeVersion).order_by(NoticeVersion.effective_on.desc(), NoticeVersion.id.desc())
    if in_effect_only:
        statement = statement.where(NoticeVersion.effective_on <= _today())
    return list((await session.scalars(statement)).all())


async def current_notice(session: AsyncSession) -> NoticeVersion | None:
    """The newest version in effect today (None before the first one is published)."""
    return await session.scalar(
        select(NoticeVersion)
        .where(NoticeVersion.effective_on <= _today())
        .order_by(NoticeVersion.effective_on.desc(), NoticeVersion.id.desc())
        .limit(1)
    )


async def current_version(session: AsyncSession) -> str | None:
    """The label registrations record now: the version in effect (None before the first one is published)."""
    notice = await current_notice(session)
    return notice.version if notice else None


async def get_notice(session: AsyncSession, version: str) -> NoticeVersion:
    notice = await session.scalar(select(NoticeVersion).where(NoticeVersion.version == version))
    if notice is None:
        raise NotFound("privacy_notice")
    return notice


async def has_accepted(session: AsyncSession, user_id: int, notice: NoticeVersion) -> bool:
    """Accepted on the notice itself, or by registering under this version."""
    if await session.scalar(
        select(NoticeAcceptance.id).where(
            NoticeAcceptance.user_id == user_id, NoticeAcceptance.notice_id == notice.id
        )
    ):
        return True
    return bool(
        await session.scalar(
            select(Registration.id).where(
                Registration.user_id == user_id, Registration.privacy_version == notice.version
            )
        )
    )


async def accepted_before(session: AsyncSession, user_id: int) -> bool:
    """Whether the person ever accepted a version of the notice (on it, or by registering)."""
    direct = await session.scalar(
        select(NoticeAcceptance.id).where(NoticeAcceptance.user_id == user_id).limit(1)
    )
    registered = await session.scalar(select(Registration.id).where(Registration.user_id == user_id).limit(1))
    return bool(direct or registered)


async def pending_notice(session: AsyncSession, user_id: int) -> NoticeVersion | None:
    """The current version when this person has not accepted it yet."""
    notice = await current_notice(session)
    if notice is None or await has_accepted(session, user_id, notice):
        return None
    return notice


async def accept(
    session: AsyncSession, user_id: int, version: str, source: str = "notice"
) -> NoticeAcceptance:
    """Record that the person accepted `version` (once; accepting again keeps the first time)."""
    notice = await get_notice(session, version)
    existing = await session.scalar(
        select(NoticeAcceptance).where(
            NoticeAcceptance.user_id == user_id, NoticeAcceptance.notice_id == notice.id
        )
    )
    if existing is not None:
        return existing
    acceptance = NoticeAcceptance(
        user_id=user_id, notice_id=notice.id, accepted_at=clock.now(), source=source
    )
    session.add(acceptance)
    await session.flush()
    return acceptance


@dataclass(frozen=True)
class VersionCount:
    notice: NoticeVersion
    accepted: int


async def acceptance_counts(session: AsyncSession) -> list[VersionCount]:
    """People who accepted each version, on the notice or by registering under it (each person once)."""
    notices = await list_notices(session)
    direct = (
        (await session.execute(select(NoticeAcceptance.notice_id, NoticeAcceptance.user_id))).tuples().all()
    )
    registered = (
        (await session.execute(select(Registration.privacy_version, Registration.user_id).distinct()))
        .tuples()
        .all()
    )
    people: dict[str, set[int]] = {n.version: set() for n in notices}
    version_of = {n.id: n.version for n in notices}
    for notice_id, user_id in direct:
        people[version_of[notice_id]].add(user_id)
    for version, user_id in registered:
        if version in people:
            people[version].add(user_id)
    return [VersionCount(n, len(people[n.version])) for n in notices]


@dataclass(frozen=True)
class Unaccepted:
    user_id: int
    name_latin: str
    name_local: str | None
    email: str
    role: str


async def not_accepted(session: AsyncSession, notice: NoticeVersion) -> list[Unaccepted]:
    """Active accounts that have not accepted `notice` (for the organizers' CSV)."""
    accepted = select(NoticeAcceptance.user_id).where(NoticeAcceptance.notice_id == notice.id)
    registered = select(Registration.user_id).where(Registration.privacy_version == notice.version)
    rows = await session.scalars(
        select(User)
        .where(User.is_active.is_(True), User.id.not_in(accepted), User.id.not_in(registered))
        .order_by(User.name_latin, User.id)
    )
    return [Unaccepted(u.id, u.name_latin, u.name_local, u.email, u.role) for u in rows.all()]
