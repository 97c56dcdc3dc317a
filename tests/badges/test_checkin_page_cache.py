"""The check-in page's lists of places are rendered once and reused (issue #26: hundreds of sessions), yet a
session renamed, added or cancelled shows on the very next load of the page, in either language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.programme.models import ProgrammeSession
from tests.badges.conftest import PASSWORD, build_badges
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
