"""The organizers' registrations page: a decision is confirmed first (who, how many, a reason for the mail),
and a rejected or cancelled registration can be reopened, one or many at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.mail import services as mail
from ascc.registration import organizer
from ascc.registration import services as registration
from tests.factories import PASSWORD, make_edition, make_user
from tests.support.web import post_form, sign_in, text_of

FORM = {
    "mode": "in_person",
    "category": "press",
    "organization": "Yokohama Shimbun",
    "country": "JP",
    "privacy_accepted": "on",
}
LIST = "/organizer/registrations"


@pytest.fixture
async def app_db(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await make_edition(session, "ascc2023")
        session.info["edition_id"] = edition.id
        await organizer.update_settings(
            session,
            edition.id,
            organizer.SettingsInput(1, None, ["press"], [], "2023-1"),
            "http://testserver.local",
        )
        await session.commit()
        yield session
    await engine.dispose()


async def _status(app_db, registration_id: int) -> str:
    app_db.expire_all()
    return (await registration.get_registration(app_db, registration_id)).status


@pytest.fixture
async def press(client, app_db):
    """Two pending press registrations (one place in person), and the organizer signed in."""
    ids = []
    for email, name, local in (
        ("kenji@example.org", "Kenji Watanabe", "渡辺 健二"),
        ("linh@example.org", "Tran Thi Linh", "Trần Thị Linh"),
    ):
        user = await make_user(app_db, email, name=name, name_local=local)
        await sign_in(client, email, PASSWORD)
        await post_form(client, "/register", FORM)
        mine = await registration.my_registration(app_db, app_db.info["edition_id"], user.id)
        ids.append(mine.id)
    await make_user(app_db, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    return ids


async def test_reject_asks_first_then_mails_the_reason_and_can_be_reopened(client, app_db, press) -> None:
    kenji, _ = press
    listing = await client.get(f"{LIST}?status=pending")
    assert re.search(r'<form method="post" action="/organizer/registrations/confirm">', listing.text)
    asked = await post_form(
        client, f"{LIST}/confirm", {"single": f"reject:{kenji}", "back": f"{LIST}?status=pending"}
    )
    assert asked.status_code == 200
    shown = text_of(asked.text)
    assert "Reject 1 registration(s)?" in shown and "Kenji Watanabe" in shown and "kenji@example.org" in shown
    assert await _status(app_db, kenji) == "pending"  # asking changes nothing
    assert 'name="reason"' in asked.text
    done = await post_form(
        client,
        f"{LIST}/decide",
        {
            "ids": [str(kenji)],
            "action": "reject",
            "reason": "Press accreditation closed on 1 November.",
            "back": f"{LIST}?status=pending",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{LIST}?status=pending&done=1"
    assert await _status(app_db, kenji) == "rejected"
    [*_, rejected] = await mail.messages_to(app_db, "kenji@example.org")
    assert rejected.kind == "registration_rejected"
    assert "Press accreditation closed on 1 November." in rejected.body_text

    rejected_list = await client.get(f"{LIST}?status=rejected")
    assert "Reason: Press accreditation closed on 1 November." in text_of(rejected_list.text)
    assert f'name="single" value="reopen:{kenji}"' in rejected_list.text
    reopen = await post_form(client, f"{LIST}/confirm", {"single": f"reopen:{kenji}"})
    assert "Reopen 1 rejected or cancelled registration(s)?" in text_of(reopen.text)
    await post_form(client, f"{LIST}/decide", {"ids": [str(kenji)], "action": "reopen", "reason": ""})
    assert await _status(app_db, kenji) == "confirmed"  # the one free place
    assert (await mail.messages_to(app_db, "kenji@example.org"))[-1].kind == "registration_confirmed"


async def test_bulk_reopen_on_the_rejected_list_fills_the_place_then_the_waiting_list(
    client, app_db, press
) -> None:
    ids = [str(i) for i in press]
    await post_form(client, f"{LIST}/decide", {"ids": ids, "action": "reject"})
    approve = await post_form(client, f"{LIST}/confirm", {"ids": ids, "action": "approve"})
    assert "Nothing to do" in text_of(approve.text)  # rejected people are not "approved": they are reopened
    assert "2 of the selected registrations are left as they are" in text_of(approve.text)
    ask = await post_form(client, f"{LIST}/confirm", {"ids": ids, "action": "reopen"})
    assert "Reopen 2 rejected or cancelled registration(s)?" in text_of(ask.text)
    assert 'data-testid="affected-kenji@example.org"' in ask.text and "Trần Thị Linh" in ask.text
    done = await post_form(
        client, f"{LIST}/decide", {"ids": ids, "action": "reopen", "back": LIST}, follow_redirects=False
    )
    assert done.headers["location"] == f"{LIST}?done=2"
    assert sorted([await _status(app_db, i) for i in press]) == ["confirmed", "waiting"]
    page = await client.get(done.headers["location"])
    assert "2 registrations updated." in text_of(page.text)


async def test_cancelling_someone_from_the_list_is_confirmed_and_explained(client, app_db, press) -> None:
    kenji, linh = press
    await post_form(client, f"{LIST}/decide", {"ids": [str(kenji), str(linh)], "action": "approve"})
    assert [await _status(app_db, i) for i in press] == ["confirmed", "waiting"]
    listing = await client.get(LIST)
    assert f'name="single" value="cancel:{kenji}"' in listing.text
    ask = await post_form(client, f"{LIST}/confirm", {"single": f"cancel:{kenji}"})
    assert "Cancel 1 registration(s)?" in text_of(ask.text)
    await post_form(
        client,
        f"{LIST}/decide",
        {"ids": [str(kenji)], "action": "cancel", "reason": "本人から電話で取消の連絡"},
    )
    assert [await _status(app_db, i) for i in press] == ["cancelled", "confirmed"]  # Linh got the place
    [*_, cancelled] = await mail.messages_to(app_db, "kenji@example.org")
    assert cancelled.kind == "registration_cancelled" and "本人から電話で取消の連絡" in cancelled.body_text


async def test_an_overlong_reason_shows_the_confirmation_again_and_changes_nothing(
    client, app_db, press
) -> None:
    kenji, _ = press
    again = await post_form(
        client, f"{LIST}/decide", {"ids": [str(kenji)], "action": "reject", "reason": "理" * 1001}
    )
    assert again.status_code == 422
    assert 'id="e-reason"' in again.text and "Please use at most 1000 characters." in again.text
    assert "Reject 1 registration(s)?" in text_of(again.text)  # still the confirmation, with the person
    assert await _status(app_db, kenji) == "pending"
    assert [m.kind for m in await mail.messages_to(app_db, "kenji@example.org")] == ["registration_pending"]


async def test_odd_decisions_are_refused_cleanly(client, app_db, press) -> None:
    kenji, _ = press
    for path in ("confirm", "decide"):
        unknown = await post_form(client, f"{LIST}/{path}", {"single": f"delete:{kenji}"})
        assert unknown.status_code == 422
        missing = await post_form(client, f"{LIST}/{path}", {"ids": ["999999"], "action": "reject"})
        assert missing.status_code == 404
    nothing = await post_form(client, f"{LIST}/confirm", {"action": "reject"})
    assert nothing.status_code == 200 and "Nothing to do" in text_of(nothing.text)
    assert await _status(app_db, kenji) == "pending"
