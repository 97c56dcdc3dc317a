"""The check-in page's lists of places are rendered once and reused (issue #26: hundreds of sessions), yet a
session renamed, added or cancelled shows on the very next load of the page, in either language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.matching.models import MatchingSession
from ascc.programme import session_editing
from ascc.programme.models import ProgrammeSession
from ascc.tours.models import Course
from tests.badges.conftest import PASSWORD, build_badges
from tests.programme.conftest import session_form
from tests.support.web import sign_in


async def test_a_renamed_or_cancelled_session_shows_on_the_next_load(client, settings) -> None:
    engine = create_engine(settings.database_url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        await build_badges(session)
        await accounts.create_user(
            session, email="gate@example.org", role="checkin", password=PASSWORD, name_latin="Gate Staff"
        )
        await session.commit()
    await sign_in(client, "gate@example.org", PASSWORD)
    first = await client.get("/checkin")
    assert "Sludge workshop" in first.text
    assert (await client.get("/checkin")).text.count("Sludge workshop") == 1  # the kept lists, unchanged

    async with maker() as session:
        workshop = await session.scalar(
            select(ProgrammeSession).where(ProgrammeSession.title_en == "Sludge workshop")
        )
        assert workshop is not None
        workshop.title_en, workshop.title_ja = "Sludge & septage workshop 🚛", "汚泥・し尿ワークショップ"
        await session.commit()
    renamed = (await client.get("/checkin")).text
    assert "Sludge &amp; septage workshop 🚛" in renamed and "Sludge workshop" not in renamed
    await client.get("/lang/ja?next=/checkin")
    assert "汚泥・し尿ワークショップ" in (await client.get("/checkin")).text

    async with maker() as session:
        workshop = await session.get(ProgrammeSession, workshop.id)
        workshop.status = "cancelled"
        await session.commit()
    assert "汚泥・し尿ワークショップ" not in (await client.get("/checkin")).text
    await engine.dispose()


async def test_a_place_added_or_changed_of_any_kind_shows_on_the_next_load(client, settings) -> None:
    """Every list is read on each load: a session added, a meeting area added or without tables any more, and a
    bus renamed each show at once."""
    engine = create_engine(settings.database_url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        world = await build_badges(session)
        await accounts.create_user(
            session, email="gate@example.org", role="checkin", password=PASSWORD, name_latin="Gate Staff"
        )
        await session.commit()
    await sign_in(client, "gate@example.org", PASSWORD)
    before = (await client.get("/checkin")).text
    assert "Business matching · Hall B" in before and "B · Water reclamation" in before
    assert "Compost clinic" not in before and "Side tables" not in before

    async with maker() as session:
        edition = await editions.get_by_id(session, world.edition_id)
        await session_editing.save_session(
            session, edition, None, session_form(title_en="Compost clinic", format="in_person")
        )
        area = await session.scalar(
            select(MatchingSession).where(MatchingSession.name_en == "Business matching")
        )
        assert area is not None
        area.tables = 0  # online rooms only now: no tables to check in at
        session.add(
            MatchingSession(
                edition_id=world.edition_id,
                name_en="Side tables",
                name_ja="サイドテーブル",
                starts_at=area.starts_at,
                ends_at=area.ends_at,
                tables=3,
                location_en="Foyer",
                location_ja="ホワイエ",
            )
        )
        bus = await session.get(Course, world.bus)
        assert bus is not None
        bus.theme_en = "Water reuse"
        await session.commit()
    after = (await client.get("/checkin")).text
    assert "Compost clinic" in after and "Side tables · Foyer" in after and "B · Water reuse" in after
    assert "Business matching" not in after and "Water reclamation" not in after
    await engine.dispose()
