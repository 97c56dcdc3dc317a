"""Messages' world: the business matching world (a Cebu official, a company's staff, a development bank),
with an accepted meeting between the official and the company, a request of the bank still unanswered,
an organizer, and API tokens for each."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from ascc.matching import meeting_requests
from tests.matching.conftest import BASE, PASSWORD, build_matching
from tests.support.snapshots import snapshotted

__all__ = ["BASE", "PASSWORD", "build_messages"]


@snapshotted
async def build_messages(session) -> SimpleNamespace:
    w = await build_matching(session)
    meeting = await meeting_requests.send_request(
        session, w.edition, w.official, {"recipient_id": w.company}, BASE
    )
    await meeting_requests.answer(session, w.edition, meeting.id, w.company, "accept", {}, BASE)
    # The bank asked the official; nobody answered: no messages between them.
    await meeting_requests.send_request(session, w.edition, w.bank, {"recipient_id": w.official}, BASE)
    organizer = await accounts.create_user(
        session, email="org@example.org", role="organizer", password=PASSWORD, name_latin="Haruka Sato"
    )
    await session.commit()
    w.organizer = organizer.id
    w.meeting = meeting.id
    return w


@pytest.fixture(autouse=True)
def before_the_meetings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:00+09:00")


@pytest.fixture
async def world(settings) -> SimpleNamespace:
    """The world in the `client` fixture's database, with an API token per person."""
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_messages(session)
        w.tokens = {}
        for name in ("official", "company", "bank", "organizer"):
            w.tokens[name], _ = await accounts.create_api_token(session, getattr(w, name))
        await session.commit()
    await engine.dispose()
    return w


def bearer(w: SimpleNamespace, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.tokens[who]}"}
