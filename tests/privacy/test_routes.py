"""The privacy desk and notice as people use them: the organizer's page in English and Japanese, refused
periods, dry run and apply, one person's JSON, notice versions with the banner, acceptance and the CSV."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.audit.models import AuditEntry
from ascc.db import create_engine
from ascc.privacy import services as privacy
from ascc.privacy.models import NoticeAcceptance, RetentionRule
from tests.privacy.conftest import build_world
from tests.support.web import post_form, sign_in, submit
from tests.support.web import text_of as _text_of
from tests.tours.conftest import PASSWORD


@pytest.fixture
async def site(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        world = await build_world(session)
        for user_id in (world.organizer, world.dave):
            user = await accounts.get_user(session, user_id)
            user.password_hash = accounts.hash_password(PASSWORD)
        await session.commit()
    world.engine = engine
    yield world
    await engine.dispose()


async def _db(world):
    return async_sessionmaker(world.engine, expire_on_commit=False)()


def text_of(body: str) -> str:
    return html.unescape(_text_of(body))


RULES = {
    "tour_id_numbers": "14",
    "visa_passport_data": "30",
    "personal_data": "24",
    "lead_scans": "24",
    "viewing_records": "24",
    "messages": "12",
    "mail_bodies": "180",
    "audit_entries": "60",
}


async def test_the_desk_in_both_languages_refuses_bad_periods_and_runs_the_rules(client, site) -> None:
    assert (await client.get("/organizer/privacy/")).status_code in (401, 403) or "/login" in str(
        (await client.get("/organizer/privacy/")).url
    )
    await sign_in(client, "organizer@example.org", PASSWORD)
    english = text_of((await client.get("/organizer/privacy/")).text)
    assert "Retention rules" in english and "Participants' personal data (months)" in english
    await client.get("/lang/ja")
    japanese = text_of((await client.get("/organizer/privacy/")).text)
    assert "データ保存ルール" in japanese and "参加者の個人データ" in japanese
    await client.get("/lang/en")

    refused = await post_form(
        client, "/organizer/privacy/rules", {**RULES, "personal_data": "0", "lead_scans": "-1"}
    )
    assert refused.status_code == 422
    body = text_of(refused.text)
    assert body.count("A period must be at least 1") == 2
    async with await _db(site) as session:
        assert (await session.scalars(select(RetentionRule))).all() == []

    saved = await submit(client, "/organizer/privacy/rules", {**RULES, "mail_bodies": "90"})
    assert saved.status_code == 303

    dry = await post_form(client, "/organizer/privacy/apply", {"dry_run": "1"})
    assert dry.status_code == 200
    text = text_of(dry.text)
    assert "Dry run: what the rules would change (nothing was changed)" in text
    assert "Participants' personal data 24 months 1 Anonymized" in text
    assert "Online viewing records 24 months 3 Deleted" in text
    assert (
        "Tour ID numbers 14 days 0 Nothing to do" in text
    )  # not "Deleted" for a rule with nothing to change
    async with await _db(site) as session:
        assert (await accounts.get_user(session, site.alice)).email == "alice@example.org"

    # Applying cannot be undone: without the confirmation nothing is applied and the field says why.
    unconfirmed = await post_form(client, "/organizer/privacy/apply", {"dry_run": "0"})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm: applying the rules cannot be undone" in text_of(unconfirmed.text)
    assert 'aria-describedby="e-confirm"' in unconfirmed.text
    async with await _db(site) as session:
        assert (await accounts.get_user(session, site.alice)).email == "alice@example.org"
        assert await privacy.recent_runs(session) == []

    run = await submit(client, "/organizer/privacy/apply", {"dry_run": "0", "confirm": "1"})
    assert run.status_code == 303 and "/organizer/privacy/?run=" in run.headers["location"]
    shown = text_of((await client.get(run.headers["location"])).text)
    assert "What the rules changed" in shown and "Mika Organizer" in shown
    async with await _db(site) as session:
        assert (await accounts.get_user(session, site.alice)).email.endswith("@deleted.invalid")


async def test_a_refused_rule_is_named_on_the_page(client, site, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2026-01-10T10:00+09:00")
    await sign_in(client, "organizer@example.org", PASSWORD)
    answer = await post_form(client, "/organizer/privacy/apply", {"dry_run": "1"})
    assert answer.status_code == 409
    assert (
        "Rule refused: Participants' personal data. It would reach data of Edition ascc2023, the current edition. "
        "Nothing of it was changed." in text_of(answer.text)
    )


async def test_one_persons_data_for_the_organizer_and_for_themselves(client, site) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    page_text = (await client.get("/organizer/privacy/")).text
    assert 'method="post" action="/organizer/privacy/export"' in page_text
    assert (
        await client.get("/organizer/privacy/export", params={"email": "alice@example.org"})
    ).status_code in (
        404,
        405,
    )  # never with the address in the URL
    download = await post_form(client, "/organizer/privacy/export", {"email": "Alice@Example.org"})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="ascc-person-{site.alice}.json"'
    data = download.json()
    assert data["account"]["name_local"] == "陳愛麗" and data["viewing_minutes"][0]["minutes"] == 3
    assert "Dave" not in download.text
    async with await _db(site) as session:
        [logged] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.export"))
        ).all()
        assert (logged.target_type, logged.target_id, logged.target_label) == (
            "user",
            site.alice,
            "Alice Tan",
        )
        assert logged.actor_name == "Mika Organizer" and "@" not in str((logged.before, logged.after))
    unknown = await post_form(client, "/organizer/privacy/export", {"email": "nobody@example.org"})
    assert unknown.status_code == 404 and "No account has this e-mail address." in text_of(unknown.text)
    invalid = await post_form(client, "/organizer/privacy/export", {"email": "a b@example.org"})
    assert invalid.status_code == 422

    await client.post("/logout", data={"_csrf_token": client.cookies.get("ascc_csrf")})
    client.cookies.clear()
    await sign_in(client, "dave@example.org", PASSWORD)
    own = await client.get("/account/export.json")
    assert own.status_code == 200
    mine = json.loads(own.text)
    assert mine["account"]["name_local"] == "山田 太郎"
    assert {
        "agenda",
        "tour_bookings",
        "meetings",
        "leads_about_me",
        "check_ins",
        "privacy_notice_acceptances",
    } <= set(mine)
    assert "alice" not in own.text.lower()
    assert (
        await post_form(client, "/organizer/privacy/export", {"email": "alice@example.org"})
    ).status_code == 403


async def test_a_new_notice_version_asks_people_to_accept_and_counts_them(client, site, inputs) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    hostile = inputs["hostile"][0] + " " + inputs["hostile"][2]
    bad = await post_form(
        client,
        "/organizer/privacy/notices",
        {"version": "<b>1</b>", "effective_on": "2025-02-30", "body_en": hostile, "body_ja": ""},
    )
    assert bad.status_code == 422
    text = text_of(bad.text)
    assert "Use letters, digits, dots, hyphens and underscores" in text and "Please enter a date" in text
    published = await submit(
        client,
        "/organizer/privacy/notices",
        {
            "version": "2025-1",
            "effective_on": "2025-02-01",
            "body_en": f"We now keep viewing records.\n\n{hostile}",
            "body_ja": "視聴記録を保存します。",
        },
    )
    assert published.status_code == 303
    notice = await client.get("/privacy")
    assert "Version 2025-1, in effect from" in text_of(notice.text)
    assert "<script>alert(1)</script>" not in notice.text and "&lt;script&gt;" in notice.text
    desk = text_of((await client.get("/organizer/privacy/")).text)
    assert "2025-1 current" in desk

    client.cookies.clear()
    await sign_in(client, "dave@example.org", PASSWORD)
    home = await client.get("/")
    assert 'hx-get="/privacy/banner"' in home.text
    banner = text_of((await client.get("/privacy/banner")).text)
    assert "The privacy notice has changed (version 2025-1" in banner
    await client.get("/lang/ja")
    assert "視聴記録を保存します。" in (await client.get("/privacy")).text
    accepted = await submit(client, "/privacy/accept", {"version": "2025-1"})
    assert accepted.status_code == 303
    assert text_of((await client.get("/privacy/banner")).text) == ""
    async with await _db(site) as session:
        row = await session.scalar(select(NoticeAcceptance).where(NoticeAcceptance.user_id == site.dave))
        assert row is not None and row.accepted_at.isoformat().startswith("2025-03-01T01:00")

    client.cookies.clear()
    await sign_in(client, "organizer@example.org", PASSWORD)
    csv = await client.get("/organizer/privacy/notices/2025-1/not-accepted.csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    rows = csv.content.decode("utf-8-sig")
    assert "bob@example.org" in rows and "dave@example.org" not in rows
    desk = text_of((await client.get("/organizer/privacy/")).text)
    assert "2025-1 current" in desk and "1 Who has not accepted (CSV)" in desk


async def test_a_version_dated_later_is_not_public_yet_and_first_comers_are_asked_plainly(
    client, site
) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    for version, day in (("2025-1", "2025-02-01"), ("2025-2", "2025-06-01")):
        published = await submit(
            client,
            "/organizer/privacy/notices",
            {"version": version, "effective_on": day, "body_en": f"Notice {version}", "body_ja": "通知"},
        )
        assert published.status_code == 303
    # Organizers see every version; the organizer never accepted any: the banner asks plainly.
    assert "2025-2" in text_of((await client.get("/privacy")).text)
    banner = text_of((await client.get("/privacy/banner")).text)
    assert (
        "Please read and accept our privacy notice (version 2025-1" in banner and "has changed" not in banner
    )

    client.cookies.clear()
    public = text_of((await client.get("/privacy")).text)
    assert "Version 2025-1, in effect from" in public and "2025-2" not in public
    assert (await client.get("/privacy/versions/2025-2")).status_code == 404
    assert (await client.get("/privacy/versions/2025-1")).status_code == 200
    await sign_in(client, "dave@example.org", PASSWORD)  # registered under an earlier version
    assert "The privacy notice has changed (version 2025-1" in text_of(
        (await client.get("/privacy/banner")).text
    )
