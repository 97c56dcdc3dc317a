"""The pages a signed-in delegate waits on reuse what they rendered (issue #26), yet show their own marks: a
session saved or a seat taken is on the very next agenda and session page, and nobody sees another's marks."""

from __future__ import annotations

import re

import pytest

from ascc.registration import registering
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import BASE
from tests.programme.test_visitor_pages import _token_in, site  # noqa: F401 (the fixture built on here)
from tests.support.web import post_form, sign_in, text_of


async def _register(world, email: str, user_id: int | None = None) -> None:
    """A delegate (new, or the user `user_id`) with a confirmed registration: who may take a seat."""
    if user_id is None:
        user_id = (await make_user(world.session, email)).id
    await registering.register(
        world.session,
        world.edition_id,
        user_id,
        registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
        BASE,
        notify=False,
    )
    await world.session.commit()


@pytest.fixture
async def world(site):  # noqa: F811 (the imported fixture)
    """The published programme of the visitors' tests, and two registered delegates."""
    for email in ("seated@example.org", "other@example.org"):
        await _register(site, email)
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


async def test_seats_taken_by_others_and_my_place_on_the_waiting_list_show_at_once(client, world) -> None:
    await _register(world, "third@example.org")
    page = f"/sessions/{world.parallel}"
    for email in ("seated@example.org", "other@example.org"):
        await sign_in(client, email, PASSWORD)
        assert (await post_form(client, f"{page}/signup", {})).status_code == 200
    await sign_in(client, "third@example.org", PASSWORD)
    full = text_of((await client.get(page)).text)
    assert "All 2 places are taken; 0 on the waiting list." in full  # others' seats: no delay when signed in
    assert (await post_form(client, f"{page}/signup", {})).status_code == 200
    waiting = text_of((await client.get(page)).text)
    assert "You are number 1 on the waiting list" in waiting and "1 on the waiting list." in waiting
    # Someone gives their seat up in another browser: the next page of the one waiting shows their seat.
    await sign_in(client, "seated@example.org", PASSWORD)
    assert (await post_form(client, f"{page}/cancel-signup", {})).status_code == 200
    await sign_in(client, "third@example.org", PASSWORD)
    promoted = text_of((await client.get(page)).text)
    assert "You have a seat." in promoted and "You are number" not in promoted


async def test_clashes_follow_my_agenda_and_signing_up_follows_my_registration(client, world) -> None:
    page = f"/sessions/{world.parallel}"
    await sign_in(client, "seated@example.org", PASSWORD)
    assert 'data-testid="session-clash"' not in (await client.get(page)).text
    await post_form(client, f"/sessions/{world.water}/save", {"next": "/agenda"})
    clash = await client.get(page)
    assert 'data-testid="session-clash"' in clash.text and "Thematic session: water" in text_of(clash.text)
    await post_form(client, f"/sessions/{world.water}/remove", {"next": "/agenda"})
    assert 'data-testid="session-clash"' not in (await client.get(page)).text
    # Somebody not registered is told to register; once registered, the next page offers the seat.
    late = await make_user(world.session, "late@example.org")
    await world.session.commit()
    await sign_in(client, "late@example.org", PASSWORD)
    refused = await client.get(page)
    assert 'data-testid="signup-refusal"' in refused.text and f'action="{page}/signup"' not in refused.text
    await _register(world, "late@example.org", late.id)
    offered = await client.get(page)
    assert 'data-testid="signup-refusal"' not in offered.text and f'action="{page}/signup"' in offered.text


async def test_a_page_shared_between_people_shows_each_only_their_own(client, world) -> None:
    page = f"/sessions/{world.parallel}"
    await sign_in(client, "seated@example.org", PASSWORD)
    assert (await post_form(client, f"{page}/signup", {})).status_code == 200
    mine = await client.get(page)
    assert _pressed(mine.text, world.parallel) == "true" and 'data-testid="seat-status"' in mine.text
    assert _token_in(mine.text) == client.cookies.get("ascc_csrf")
    client.cookies.clear()
    await sign_in(client, "other@example.org", PASSWORD)
    theirs = await client.get(page)
    assert _pressed(theirs.text, world.parallel) == "false" and 'data-testid="seat-status"' not in theirs.text
    assert "seated@example.org" not in theirs.text and _token_in(theirs.text) == client.cookies.get(
        "ascc_csrf"
    )
    assert "1 of 2 places left." in text_of(theirs.text)
