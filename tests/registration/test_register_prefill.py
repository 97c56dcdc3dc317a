"""The registration form starts from the profile (issue #25 item 11): the country given at sign-up."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from tests.factories import PASSWORD, make_edition, make_user
from tests.support.web import sign_in


@pytest.fixture
async def app_db(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await make_edition(session, "ascc2023")
        yield session
    await engine.dispose()


def _selected_country(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="country"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no country field"
    return re.findall(r'<option value="([A-Z]{2})"[^>]*\bselected\b', select.group(1))


async def test_register_form_starts_with_the_profiles_country(client, app_db) -> None:
    await make_user(
        app_db, "lan@example.org", name="Nguyen Thi Lan", name_local="Nguyễn Thị Lan", country="VN"
    )
    await sign_in(client, "lan@example.org", PASSWORD)
    assert _selected_country((await client.get("/register")).text) == ["VN"]
