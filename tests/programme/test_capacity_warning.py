"""Fewer places than people holding one: the organizer is asked first, told who keeps what, and nobody loses a
place; the new number applies at once (not at the next publication), and the save message says so."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.editions import services as editions
from ascc.programme import services as programme
from ascc.programme import session_editing
from ascc.programme.session_editing import NeedsConfirmation
from ascc.registration import registering
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import BASE, build_programme, publish
from tests.support.web import post_form, sign_in, text_of


async def _registered(session, edition_id: int, email: str):
    user = await make_user(session, email)
    await registering.register(
        session,
        edition_id,
        user.id,
        registering.RegistrationInput(organization="Cebu City", privacy_accepted=True),
        BASE,
        notify=False,
    )
    await session.commit()
    return user


async def _two_holders_and_one_waiting(session, edition_id: int, session_id: int) -> list[int]:
    """The waste session has 2 places: two people take them, a third waits."""
    people = [(await _registered(session, edition_id, f"seat{n}@example.org")).id for n in range(3)]
    current = await programme.published(session, await editions.get_by_id(session, edition_id))
    for person in people:
        await programme.sign_up(session, person, current, session_id)
    await session.commit()
    return people


async def _form_with_places(session, edition, session_id: int, places: str) -> session_editing.SessionInput:
    row = await session_editing.get_session(session, edition.id, session_id)
    form = session_editing.form_of(row, ZoneInfo(edition.timezone))
    form.capacity = places
    return form


async def test_fewer_places_than_holders_asks_first_and_nobody_loses_a_place(session, prog) -> None:
    people = await _two_holders_and_one_waiting(session, prog.edition_id, prog.parallel)
    edition = await editions.get_by_id(session, prog.edition_id)
    form = await _form_with_places(session, edition, prog.parallel, "1")
    with pytest.raises(NeedsConfirmation) as caught:
        await session_editing.save_session(session, edition, prog.parallel, form)
    [warning] = caught.value.warnings
    assert (warning.kind, warning.holders, warning.limit, warning.waiting) == (
        "capacity_below_holders",
        2,
        1,
        1,
    )
    await session.rollback()
    assert (await programme.seats_left(session, prog.parallel)).limit == 2  # nothing saved without a yes

    edition = await editions.get_by_id(session, prog.edition_id)
    form = await _form_with_places(session, edition, prog.parallel, "1")
    await session_editing.save_session(session, edition, prog.parallel, form, confirmed=True)
    await session.commit()
    # At once, before any publication: one place, both holders keep theirs, the third still waits.
    counts = await programme.seats_left(session, prog.parallel)
    assert (counts.limit, counts.confirmed, counts.waiting, counts.free) == (1, 2, 1, 0)
    seats = [await programme.seat_of(session, p, prog.parallel) for p in people]
    assert [(s.status, s.position) for s in seats] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waiting", 1),
    ]
    # One holder leaves: still one holder for one place, so nobody moves up; the second leaves: the third is in.
    await programme.cancel_signup(session, people[0], prog.parallel, BASE)
    await session.commit()
    assert (await programme.seat_of(session, people[2], prog.parallel)).status == "waiting"
    await programme.cancel_signup(session, people[1], prog.parallel, BASE)
    await session.commit()
    assert (await programme.seat_of(session, people[2], prog.parallel)).status == "confirmed"

    # The same number again (another field edited) asks nothing more.
    edition = await editions.get_by_id(session, prog.edition_id)
    form = await _form_with_places(session, edition, prog.parallel, "1")
    form.title_en = "Company solutions: waste and sludge"
    await session_editing.save_session(session, edition, prog.parallel, form)


@pytest.fixture
async def site(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_programme(session)
        await publish(session, built.edition_id)
        built.session = session
        yield built
    await engine.dispose()


async def test_the_organizer_form_warns_then_says_the_places_apply_at_once(client, site) -> None:
    await _two_holders_and_one_waiting(site.session, site.edition_id, site.parallel)
    await make_user(site.session, "org@example.org", role="organizer")
    await sign_in(client, "org@example.org", PASSWORD)
    edition = await editions.get_by_id(site.session, site.edition_id)
    form = vars(await _form_with_places(site.session, edition, site.parallel, "1"))
    url = f"/organizer/programme/sessions/{site.parallel}"

    asked = await post_form(client, url, form, follow_redirects=False)
    assert asked.status_code == 409
    text = text_of(asked.text)
    assert "2 people hold a place in this session, more than the 1 place(s) you are setting." in text
    assert "Nobody loses a place" in text and "The 1 people on the waiting list keep their turn." in text
    assert "applies at once" in text

    saved = await post_form(client, url, {**form, "confirm_warnings": "1"}, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("notice=saved_capacity")
    shown = text_of((await client.get(saved.headers["location"])).text)
    assert "The new number of places applies at once to seats and sign-ups" in shown
    assert "after the next publication" in shown
    # Seen at once on the session's page, before any publication: one place, full, one person waiting.
    public = text_of((await client.get(f"/sessions/{site.parallel}")).text)
    assert "All 1 places are taken; 1 on the waiting list." in public
    # Saving again without touching the places: no question, and the usual message.
    form["title_en"] = "Company solutions: waste (2)"
    again = await post_form(client, url, form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith("notice=saved")
