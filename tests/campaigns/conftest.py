"""Fixtures for mail campaigns: the tours' edition with Tour B (first come) and Tour A (ballot), people booked
on them who read English or Japanese (one unsubscribed from news, one with a hostile organization name), a
participant online and an organizer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import delete

from ascc.accounts import services as accounts
from ascc.campaigns import preferences as campaigns
from ascc.editions import services as editions
from ascc.mail import services as mail
from ascc.mail.models import OutboxMessage
from ascc.tours import booking as tours
from tests.support.snapshots import snapshotted
from tests.tours.conftest import BASE, PASSWORD, build_tours, registered

__all__ = ["BASE", "PASSWORD", "SECRET", "SENDER", "build_world", "campaign_values", "deliver"]

SECRET = "test-secret-for-campaigns"
SENDER = "ASCC <noreply@ascc.example.org>"
HOSTILE_ORG = "<script>alert(1)</script> & Sons"


class Actor:
    """The organizer as services see one (security.CurrentUser satisfies the same protocol)."""

    def __init__(self, user) -> None:
        self.id = user.id
        self.role = "organizer"
        self.display_name = user.name_latin


async def _person(session, edition_id: int, email: str, lang: str, **extra):
    user = await registered(session, edition_id, email, **extra)
    await accounts.set_preferred_lang(session, user.id, lang)
    await campaigns.set_preference(session, user.id, "campaigns", True, "account")  # news is opt-in: they did
    await session.commit()
    return user


@snapshotted
async def build_world(session) -> SimpleNamespace:
    trip = await build_tours(session, seats_b=6)
    edition = await editions.get_by_id(session, trip.edition_id)
    kenji = await _person(
        session,
        edition.id,
        "kenji@example.org",
        "ja",
        name="Kenji Watanabe",
        local="渡辺 健二",
        organization="横浜市",
    )
    maria = await _person(
        session,
        edition.id,
        "maria@example.org",
        "en",
        name="Maria Cristina dela Cruz",
        local="María Cristina dela Cruz",
        organization="Cebu City",
    )
    somchai = await _person(
        session,
        edition.id,
        "somchai@example.org",
        "en",
        name="Somchai Jaidee",
        local="สมชาย ใจดี",
        organization=HOSTILE_ORG,
        category="company",
    )
    quiet = await _person(session, edition.id, "quiet@example.org", "ja", name="Haruka Sato", local="佐藤 遥")
    thu = await _person(
        session, edition.id, "thu@example.org", "en", name="Nguyen Thi Minh Thu", local="Nguyễn Thị Minh Thư"
    )
    online = await _person(
        session, edition.id, "online@example.org", "en", name="Bat-Erdene Ganbold", mode="online"
    )
    for user in (kenji, maria, somchai, quiet):
        await tours.book(session, user.id, trip.course_b, BASE)
    await tours.book_by_email(session, "thu@example.org", trip.a1, BASE)
    await campaigns.set_preference(session, quiet.id, "campaigns", False, "link")
    organizer = await accounts.create_user(
        session,
        email="organizer@example.org",
        role="organizer",
        password=PASSWORD,
        name_latin="Olivia Organizer",
    )
    await session.execute(delete(OutboxMessage))  # the bookings' own mails: the tests count campaign mail
    await session.commit()
    return SimpleNamespace(
        edition=edition,
        edition_id=edition.id,
        trip=trip,
        kenji=kenji.id,
        maria=maria.id,
        somchai=somchai.id,
        quiet=quiet.id,
        thu=thu.id,
        online=online.id,
        organizer=organizer.id,
        actor=Actor(organizer),
    )


def campaign_values(**changes: str) -> dict[str, str]:
    values = {
        "name": "Tour B logistics",
        "subject_en": "{tour}: departure at {tour_departs}",
        "subject_ja": "{tour}：{tour_departs}出発",
        "body_en": "Dear {name},\n\nYour seat on {tour} ({organization}) is confirmed.\n"
        "Meeting point: {meeting_point}.\nYour agenda: {my_agenda_url}\n\n{{This line keeps its braces}}",
        "body_ja": "{name_local} 様\n\n{tour}（{organization}）のお席を確保しました。\n集合場所：{meeting_point}\n"
        "アジェンダ：{my_agenda_url}",
        "segment": "tour:0",
        "essential": "",
        "rate_per_minute": "600",
    }
    values.update(changes)
    return values


async def deliver(session_maker, mailbox) -> mail.DeliveryReport:
    return await mail.deliver_due(session_maker, mailbox.url, SENDER)


@pytest.fixture(autouse=True)
def before_the_tours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")


@pytest.fixture
async def world(session) -> SimpleNamespace:
    return await build_world(session)
