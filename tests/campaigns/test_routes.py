"""The campaign pages as organizers use them (English and Japanese, htmx size and preview, bad input that
saves nothing, sending in the background, a second "send", the CSV), and the unsubscribe page that works
without signing in, one-click included."""

from __future__ import annotations

import asyncio
import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.campaigns import message
from ascc.campaigns import preferences as campaigns
from ascc.campaigns.models import Campaign
from ascc.db import create_engine
from ascc.mail.models import OutboxMessage
from tests.campaigns.conftest import PASSWORD, build_world, campaign_values
from tests.support.web import post_form, sign_in, submit, text_of

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_world(session)
    await engine.dispose()
    w.settings = settings
    return w


async def count(settings, model, *where) -> int:
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine)() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
    await engine.dispose()
    return found


async def test_organizer_writes_previews_and_sends_a_campaign(client, world) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    overview = await client.get("/organizer/campaigns/")
    assert overview.status_code == 200 and "Mail campaigns" in overview.text
    assert "Sessions: minutes before" in overview.text
    form = await client.get("/organizer/campaigns/new")
    assert f'<option value="tour:{world.trip.b}">Tour B: all courses</option>' in form.text
    assert (
        "<code>{tour_departs}</code>" in form.text
        and 'hx-get="/organizer/campaigns/segment-size"' in form.text
    )
    # The size, live, as the organizer picks a group.
    size = await client.get(f"/organizer/campaigns/segment-size?segment=tour:{world.trip.b}", headers=HTMX)
    assert "4 people will receive it. 1 of them have not asked for news" in text_of(size.text)
    empty = await client.get("/organizer/campaigns/segment-size?segment=category:press", headers=HTMX)
    assert "Nobody is in this group" in text_of(empty.text)
    # An unknown placeholder: the page says which and where, and nothing is saved.
    values = campaign_values(segment=f"tour:{world.trip.b}", body_en="Dear {nmae},")
    refused = await post_form(client, "/organizer/campaigns/new", values)
    assert refused.status_code == 422
    assert "Message (English) : There is no placeholder {nmae}. Did you mean {name}?" in text_of(refused.text)
    assert "Dear {nmae}," in refused.text  # what was typed stays in the form
    assert await count(world.settings, Campaign) == 0
    # The preview for a real person of the group, in both languages (htmx swaps it in).
    values = campaign_values(segment=f"tour:{world.trip.b}")
    preview = await post_form(
        client, "/organizer/campaigns/preview", {**values, "preview_as": str(world.kenji)}, headers=HTMX
    )
    assert preview.status_code == 200
    shown = text_of(preview.text)
    assert "As Kenji Watanabe &lt;kenji@example.org&gt; will read it (in 日本語)" in shown
    assert (
        "視察B · B 水再生：2023年11月13日(月) 13:30 (日本時間)出発" in shown
        and "Dear Kenji Watanabe," in shown
    )
    assert await count(world.settings, Campaign) == 0
    # Saved, then sent: the answer comes at once, the job queues in the background.
    created = await submit(client, "/organizer/campaigns/new", values)
    assert created.status_code == 303
    campaign_id = int(re.search(r"/organizer/campaigns/(\d+)", created.headers["location"]).group(1))
    draft = await client.get(f"/organizer/campaigns/{campaign_id}")
    assert "Send to 4 people" in draft.text
    sent = await submit(client, f"/organizer/campaigns/{campaign_id}/send", {})
    assert sent.status_code == 303
    for _ in range(100):  # the page polls the progress box, as a browser would
        progress = await client.get(f"/organizer/campaigns/{campaign_id}/progress", headers=HTMX)
        if 'data-status="sent"' in progress.text:
            break
        await asyncio.sleep(0.1)
    assert 'data-status="sent"' in progress.text
    page = await client.get(f"/organizer/campaigns/{campaign_id}")
    shown = text_of(page.text)
    assert "in the outbox 3" in shown and "skipped (no news wanted) 1" in shown
    assert "kenji@example.org" in page.text and 'data-state="skipped"' in page.text
    progress = await client.get(f"/organizer/campaigns/{campaign_id}/progress", headers=HTMX)
    assert 'hx-trigger="load delay:5s"' in progress.text  # polling on while messages wait in the outbox
    # A second "send" sends nothing more.
    again = await post_form(client, f"/organizer/campaigns/{campaign_id}/send", {})
    assert "already been sent" in again.text
    assert await count(world.settings, OutboxMessage, OutboxMessage.kind == "campaign") == 3
    csv = await client.get(f"/organizer/campaigns/{campaign_id}/recipients.csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "name,email,language,status,not_before,sent_at,error" and len(lines) == 5
    assert any(line.startswith("Kenji Watanabe,kenji@example.org,ja,in the outbox,") for line in lines)


async def test_campaign_pages_in_japanese_and_closed_to_others(client, world) -> None:
    await sign_in(client, "kenji@example.org", PASSWORD)
    assert (await client.get("/organizer/campaigns/")).status_code == 403
    await client.get("/logout")
    await sign_in(client, "organizer@example.org", PASSWORD)
    client.cookies.set("ascc_lang", "ja")
    page = await client.get("/organizer/campaigns/new")
    assert "差し込み項目" in page.text and "確定した参加者全員" in page.text


async def test_unsubscribe_link_works_without_signing_in(client, world) -> None:
    token = message.preferences_token(world.settings.secret_key, world.maria)
    landing = await client.get(f"/mail/unsubscribe/{token}?list=campaigns", follow_redirects=False)
    assert (
        landing.status_code == 303
        and landing.headers["location"] == f"/mail/preferences/{token}?list=campaigns"
    )
    page = await client.get(landing.headers["location"])
    assert page.status_code == 200 and "Choices for Maria Cristina dela Cruz" in text_of(page.text)
    assert 'data-testid="campaigns-state">You receive these.' in page.text
    done = await post_form(client, f"/mail/preferences/{token}", {"action": "unsubscribe"})
    assert "Done: you will receive no more news by mail." in done.text
    assert 'data-testid="campaigns-state">You do not receive these.' in done.text
    back = await post_form(client, f"/mail/preferences/{token}", {"action": "resubscribe"})
    assert 'data-testid="campaigns-state">You receive these.' in back.text
    # One click from a mail program (RFC 8058): no cookie, no CSRF token.
    async with AsyncTestClient(app=client.app, base_url="http://testserver.local") as mail_program:
        clicked = await mail_program.post(
            f"/mail/unsubscribe/{token}?list=reminders", data={"List-Unsubscribe": "One-Click"}
        )
        assert clicked.status_code == 200
        forged = await mail_program.post(f"/mail/unsubscribe/{world.maria}.forged?list=campaigns", data={})
        assert forged.status_code == 404
        assert (
            await mail_program.get(f"/mail/preferences/{world.kenji}.{token.split('.')[1]}")
        ).status_code == 404
    engine = create_engine(world.settings.database_url)
    async with async_sessionmaker(engine)() as session:
        prefs = await campaigns.preferences(session, world.maria)
    await engine.dispose()
    assert prefs == campaigns.Preferences(campaigns=True, reminders=False)


async def test_account_page_holds_the_mail_preferences(client, world) -> None:
    await sign_in(client, "kenji@example.org", PASSWORD)
    account = await client.get("/account/")
    assert 'hx-get="/account/mail/"' in account.text
    box = await client.get("/account/mail/", headers=HTMX)
    assert 'name="campaigns" value="on" checked' in box.text and "<html" not in box.text
    saved = await post_form(client, "/account/mail/", {"reminders": "on"}, headers=HTMX)
    assert (
        'name="campaigns" value="on">' in saved.text and 'name="reminders" value="on" checked' in saved.text
    )
    engine = create_engine(world.settings.database_url)
    async with async_sessionmaker(engine)() as session:
        prefs = await campaigns.preferences(session, world.kenji)
    await engine.dispose()
    assert prefs == campaigns.Preferences(campaigns=False, reminders=True)


async def test_news_is_opt_in_a_new_account_has_the_box_unticked_and_gets_no_news(client, world) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)  # an account that never chose
    box = await client.get("/account/mail/", headers=HTMX)
    assert 'name="campaigns" value="on">' in box.text and 'name="reminders" value="on" checked' in box.text
    engine = create_engine(world.settings.database_url)
    async with async_sessionmaker(engine)() as session:
        no_news = await campaigns.unsubscribed(session, [world.organizer, world.kenji], "campaigns")
        no_reminders = await campaigns.unsubscribed(session, [world.organizer, world.kenji], "reminders")
    await engine.dispose()
    assert (no_news, no_reminders) == ({world.organizer}, set())
    ticked = await post_form(client, "/account/mail/", {"campaigns": "on", "reminders": "on"}, headers=HTMX)
    assert 'name="campaigns" value="on" checked' in ticked.text


async def test_hostile_input_in_the_form_is_kept_as_text(client, world, inputs) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    hostile = "\n".join(h for h in inputs["hostile"] if "{" not in h and "}" not in h)
    values = campaign_values(
        segment="all", subject_en="<b>Hi</b> {name}", subject_ja="", body_ja="", body_en=hostile
    )
    created = await submit(client, "/organizer/campaigns/new", values)
    assert created.status_code == 303
    page = await client.get(created.headers["location"])
    assert (
        "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    )
    preview = await post_form(client, "/organizer/campaigns/preview", values, headers=HTMX)
    assert "<img src=x" not in preview.text and "&lt;b&gt;Hi&lt;/b&gt;" in preview.text
    overlong = await post_form(client, "/organizer/campaigns/new", {**values, "subject_en": "x" * 10_000})
    assert overlong.status_code == 422 and "Subject (English)" in text_of(overlong.text)
