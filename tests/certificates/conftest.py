"""A small ended edition with people who attended in each way the certificate counts."""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.badges.models import CheckIn
from ascc.matching.models import Meeting
from ascc.online.models import ViewingMinute
from ascc.registration import registering
from ascc.registration import services as registration
from ascc.tours.models import Booking, Course, Tour
from tests.factories import PASSWORD
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.snapshots import snapshotted


@functools.cache
def _password_hash() -> str:
    return accounts.hash_password(PASSWORD)


DURING = "2023-11-14T12:00+09:00"
AFTER = "2023-11-16T09:00+09:00"
KEYNOTE_START = datetime(2023, 11, 14, 0, 0, tzinfo=UTC)  # 09:00 in Yokohama


async def person(
    session: AsyncSession, edition_id: int, email: str, name: str, local: str | None, mode: str = "in_person"
) -> SimpleNamespace:
    user = accounts.User(  # one password hash for all: argon2 per person is slow
        email=email,
        email_key=email,
        password_hash=_password_hash(),
        name_latin=name,
        name_local=local,
        role="delegate",
        preferred_lang="en",
        is_active=True,
        email_verified_at=datetime.now(UTC),
    )
    session.add(user)
    await session.flush()
    await registering.register(
        session,
        edition_id,
        user.id,
        registering.RegistrationInput(
            mode=mode,
            category="city_official",
            organization="City of Yokohama",
            privacy_accepted=True,
            consent_directory=True,
        ),
        BASE,
        notify=False,
    )
    reg = await registration.my_registration(session, edition_id, user.id)
    assert reg is not None and reg.status == "confirmed"
    return SimpleNamespace(user_id=user.id, registration_id=reg.id, email=email, name=name, local=local)


def check_in(edition_id: int, registration_id: int, kind: str, place_id: int | None, key: str) -> CheckIn:
    return CheckIn(
        edition_id=edition_id,
        registration_id=registration_id,
        place_type=kind,
        place_id=place_id,
        place_key=key,
        checked_in_at=KEYNOTE_START,
        device_id="test",
    )


def watch(
    session_id: int, user_id: int, minutes: int, start: datetime = KEYNOTE_START
) -> list[ViewingMinute]:
    return [
        ViewingMinute(session_id=session_id, user_id=user_id, minute=start + timedelta(minutes=m))
        for m in range(minutes)
    ]


@snapshotted
async def build_world(session: AsyncSession) -> SimpleNamespace:
    """On site: Haruka (keynote checked in, tour A1 present, a held meeting with Somchai). Online: Thu (70
    minutes of the keynote and water). Online, too little: Kasun (20 minutes). Absent: Bat-Erdene."""
    built = await build_programme(session)
    await publish(session, built.edition_id)
    e = built.edition_id
    onsite = await person(session, e, "haruka@example.org", "Haruka Sato", "佐藤 遥")
    partner = await person(session, e, "somchai@example.org", "Somchai Jaidee", "สมชาย ใจดี")
    online = await person(
        session, e, "thu@example.org", "Nguyen Thi Minh Thu", "Nguyễn Thị Minh Thư", "online"
    )
    short = await person(session, e, "kasun@example.org", "Kasun Perera", "කසුන් පෙරේරා", "online")
    absent = await person(session, e, "bat@example.org", "Bat-Erdene Ganbold", "Бат-Эрдэнэ Ганболд")
    session.add_all(
        [
            check_in(e, onsite.registration_id, "entrance", None, "entrance:2023-11-14"),
            check_in(e, onsite.registration_id, "session", built.keynote, f"session:{built.keynote}"),
            check_in(e, partner.registration_id, "entrance", None, "entrance:2023-11-14"),
            *watch(built.keynote, online.user_id, 50),
            *watch(built.water, online.user_id, 20, KEYNOTE_START + timedelta(hours=1, minutes=30)),
            *watch(built.keynote, short.user_id, 20),
        ]
    )
    tour = Tour(
        edition_id=e, code="A", name_en="Minato Mirai smart city", name_ja="みなとみらいスマートシティ"
    )
    session.add(tour)
    await session.flush()
    course = Course(
        tour_id=tour.id,
        code="A1",
        theme_en="Energy management",
        theme_ja="エネルギー管理",
        departs_at=datetime(2023, 11, 15, 4, 30, tzinfo=UTC),
        returns_at=datetime(2023, 11, 15, 7, 30, tzinfo=UTC),
        seats=30,
    )
    session.add(course)
    await session.flush()
    session.add(Booking(course_id=course.id, user_id=onsite.user_id, present=True))
    low, high = sorted((onsite.user_id, partner.user_id))
    session.add(
        Meeting(
            edition_id=e,
            requester_id=onsite.user_id,
            recipient_id=partner.user_id,
            person_low=low,
            person_high=high,
            status="held",
            room_token=secrets.token_hex(8),
        )
    )
    await session.commit()
    return SimpleNamespace(
        edition_id=e, built=built, onsite=onsite, partner=partner, online=online, short=short, absent=absent
    )
