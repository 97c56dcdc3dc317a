"""The ID number form on the tours page as a delegate uses it (issue #25 item 8): full-width input, a refused
number kept beside its field, and the saved number shown (its last two characters) with a way to correct it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from tests.support.web import post_form as _post_form
from tests.support.web import sign_in, text_of
from tests.tours.conftest import PASSWORD, build_tours, registered


async def post_form(client, url: str, data: dict):
    return await _post_form(client, url, data, follow_redirects=False)


@pytest.fixture
async def booked(client, settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        site = await build_tours(session)
        await registered(session, site.edition_id, "me@example.org", name="Sato Hanako", local="佐藤花子")
        await sign_in(client, "me@example.org", PASSWORD)
        assert (await post_form(client, f"/tours/courses/{site.course_b}/book", {})).status_code == 303
        yield site
    await engine.dispose()


def _number_input(html: str, course_id: int) -> str:
    match = re.search(rf'<input id="id-number-{course_id}"[^>]*>', html)
    assert match, "no ID number field"
    return match.group(0)


async def test_full_width_id_number_is_accepted_and_shown_as_on_file(client, booked) -> None:
    url = f"/tours/courses/{booked.course_b}/id-document"
    saved = await post_form(client, url, {"id_kind": "passport", "id_number": "Ｃ１２３４５６７"})
    assert saved.status_code == 303
    assert saved.headers["location"].endswith(f"#course-{booked.course_b}")
    page = (await client.get("/tours")).text
    assert "ID on file (Passport, ends in …67)." in text_of(page)
    assert "The facility needs your passport or ID number" not in text_of(page)
    assert "1234567" not in page  # only the last two characters are shown
    assert "Correct the ID number" in text_of(page)
    # Correcting it: the form is still there, and the new number replaces the old one.
    corrected = await post_form(client, url, {"id_kind": "national_id", "id_number": "ab 99 88 77"})
    assert corrected.status_code == 303
    assert "ID on file (National ID card, ends in …77)." in text_of((await client.get("/tours")).text)


async def test_refused_id_number_is_kept_beside_its_field_and_scrolled_to(client, booked) -> None:
    course = booked.course_b
    bad = await post_form(
        client, f"/tours/courses/{course}/id-document", {"id_kind": "national_id", "id_number": "C1-23"}
    )
    assert bad.status_code == 422
    field = _number_input(bad.text, course)
    assert 'value="C1-23"' in field and 'aria-invalid="true"' in field and "autofocus" in field
    assert f'aria-describedby="id-number-error-{course}"' in field
    assert "5 to 20 letters and digits" in text_of(bad.text)
    # The form posts to an address with the course's anchor, so the page comes back scrolled to it.
    assert f'/tours/courses/{course}/id-document#course-{course}"' in bad.text
    assert re.search(r'<option value="national_id" selected>', bad.text)
    # A refused correction keeps the saved number and opens the correction form.
    await post_form(
        client, f"/tours/courses/{course}/id-document", {"id_kind": "passport", "id_number": "B7654321"}
    )
    again = await post_form(
        client, f"/tours/courses/{course}/id-document", {"id_kind": "passport", "id_number": "x"}
    )
    assert again.status_code == 422
    assert "ID on file (Passport, ends in …21)." in text_of(again.text)
    assert '<details class="id-correct" open>' in again.text
    assert 'value="x"' in _number_input(again.text, course)
