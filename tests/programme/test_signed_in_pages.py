"""The pages a signed-in delegate waits on reuse what they rendered (issue #26), yet show their own marks: a
session saved or a seat taken is on the very next agenda and session page, and nobody sees another's marks."""

from __future__ import annotations

import re

import pytest

from ascc.registration import registering
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import BASE
from tests.programme.test_visitor_pages import site  # noqa: F401 (the fixture built on here)
from tests.support.web import post_form, sign_in, text_of


@pytest.fixture
async def world(site):  # noqa: F811 (the imported fixture)
    """The published programme of the visitors' tests, and two registered delegates."""
    for email in ("seated@example.org", "other@example.org"):
        user = await make_user(site.session, email)
        await registering.register(
            site.session,
            site.edition_id,
            user.id,
            registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
            BASE,
            notify=False,
        )
    await site.session.commit()
    return site


def _pressed(html: str, session_id: int) -> str:
    found = re.search(rf'aria-pressed="(\w+)"[^>]*data-testid="save-{session_id}"', html)
    assert found, html[:300]
    return found.group(1)


async def test_my_marks_on_the_agenda_change_with_the_next_request_and_are_mine_alone(client, world) -> None:
    await sign_in(client, "seated@example.org", PASSWORD)
    before = (await client.get("/agenda?day=all")).text
    assert _pressed(before, world.water) == "false"
    assert f'value="{client.cookies.get("ascc_csrf")}"' in before  # this browser's own token
    saved = await post_form(client, f"/sessions/{world.water}/save", {"next": "/agenda"})
    assert saved.status_code in (200, 303)
    assert _pressed((await client.get("/agenda?day=all")).text, world.water) == "true"
    # A seat: the saved button then warns that removing gives the seat up.
    assert (await post_form(client, f"/sessions/{world.parallel}/signup", {})).status_code == 200
    seated = (await client.get("/agenda?day=all")).text
    assert _pressed(seated, world.parallel) == "true"
    assert re.search(rf'data-confirm="[^"]+" data-testid="save-{world.parallel}"', seated)
    # Another delegate, in another browser, sees their own (empty) marks.
    client.cookies.clear()
    await sign_in(client, "other@example.org", PASSWORD)
    theirs = (await client.get("/agenda?day=all")).text
    assert (_pressed(theirs, world.water), _pressed(theirs, world.parallel)) == ("false", "false")
    assert f'value="{client.cookies.get("ascc_csrf")}"' in theirs


async def test_my_seat_shows_on_the_session_page_at_once(client, world) -> None:
    await sign_in(client, "seated@example.org", PASSWORD)
    page = text_of((await client.get(f"/sessions/{world.parallel}")).text)
    assert "2 of 2 places left." in page
    assert (await post_form(client, f"/sessions/{world.parallel}/signup", {})).status_code == 200
    seated = await client.get(f"/sessions/{world.parallel}")
    assert 'data-testid="seat-status"' in seated.text and "1 of 2 places left." in text_of(seated.text)
    assert (await post_form(client, f"/sessions/{world.parallel}/cancel-signup", {})).status_code == 200
    released = await client.get(f"/sessions/{world.parallel}")
    assert 'data-testid="seat-status"' not in released.text and "2 of 2 places left." in text_of(
        released.text
    )
