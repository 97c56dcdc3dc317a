"""The campaign pages as an organizer sees them: the progress box carries the counts and asks
for a fresh page when the job is done, "in the outbox" is not "delivered", an edit after "send" is refused
with a message, a failed campaign shows "Resume" and "Cancel", the list's columns have their own headings,
the outbox offers "Send again" only for failed messages, and the mail says what its link opens."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.campaigns import sending as campaigns
from ascc.campaigns.models import Campaign
from ascc.db import create_engine
from ascc.mail.models import OutboxMessage
from tests.campaigns.conftest import PASSWORD, campaign_values
from tests.campaigns.test_routes import HTMX, world  # noqa: F401 (the pages' world)
from tests.support.web import post_form, sign_in, submit, text_of


async def run_sql(settings, *statements) -> list:
    engine = create_engine(settings.database_url)
    found = []
    async with async_sessionmaker(engine)() as session:
        for statement in statements:
            result = await session.execute(statement)
            found.append(result.scalars().all() if statement.is_select else None)
        await session.commit()
    await engine.dispose()
    return found


async def test_progress_edit_refusal_resume_and_wording(client, world) -> None:  # noqa: F811
    await sign_in(client, "organizer@example.org", PASSWORD)
    values = campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="1")
    created = await submit(client, "/organizer/campaigns/new", values)
    campaign_id = int(re.search(r"/organizer/campaigns/(\d+)", created.headers["location"]).group(1))
    # Before the job has chosen anyone the box says so, instead of "0 of 0"; cancel is there from the start.
    await run_sql(world.settings, update(Campaign).where(Campaign.id == campaign_id).values(status="sending"))
    page = await client.get(f"/organizer/campaigns/{campaign_id}")
    assert "Choosing the recipients" in text_of(page.text) and "0 of 0" not in page.text
    assert 'data-testid="cancel-form"' in page.text and "?seen=sending&amp;left=0" in page.text
    # The job's status moved on since the page was drawn: the poll asks for the whole page again.
    await run_sql(world.settings, update(Campaign).where(Campaign.id == campaign_id).values(status="draft"))
    await submit(client, f"/organizer/campaigns/{campaign_id}/send", {})
    for _ in range(100):
        poll = await client.get(
            f"/organizer/campaigns/{campaign_id}/progress?seen=sending&left=0", headers=HTMX
        )
        if poll.headers.get("hx-refresh") == "true":
            break
        assert 'data-status="sending"' in poll.text
        await asyncio.sleep(0.1)
    assert poll.headers.get("hx-refresh") == "true"
    # The job is done but the outbox has delivered nothing yet: "in the outbox", never "sent".
    page = await client.get(f"/organizer/campaigns/{campaign_id}")
    shown = text_of(page.text)
    assert 'data-shown="delivering"' in page.text and "in the outbox, delivering" in shown
    assert "Delivered by the mail server: 0 of 3." in shown
    assert "kenji@example.org" in page.text and 'data-testid="cancel-form"' in page.text
    assert "?seen=sent&amp;left=3" in page.text
    # Once the last message has left, the poll refreshes the page (recipients and actions).
    await run_sql(
        world.settings, update(OutboxMessage).where(OutboxMessage.kind == "campaign").values(status="sent")
    )
    poll = await client.get(f"/organizer/campaigns/{campaign_id}/progress?seen=sent&left=3", headers=HTMX)
    assert poll.headers.get("hx-refresh") == "true"
    page = await client.get(f"/organizer/campaigns/{campaign_id}")
    assert (
        'data-shown="delivered"' in page.text
        and "hx-get" not in page.text.split('id="campaign-progress"')[1][:400]
    )
    assert 'data-testid="cancel-form"' not in page.text
    # Editing after "send": refused with a message, nothing changed.
    refused = await post_form(client, f"/organizer/campaigns/{campaign_id}", {**values, "body_en": "Changed"})
    assert refused.status_code == 409
    assert "no longer a draft and cannot be changed" in text_of(refused.text)
    [[body]] = await run_sql(world.settings, select(Campaign.body_en).where(Campaign.id == campaign_id))
    assert body == values["body_en"]
    # The list: its own headings, and the delivered campaign says so.
    overview = await client.get("/organizer/campaigns/")
    heads = re.findall(
        r'<th scope="col"[^>]*>([^<]*)</th>', overview.text.split('data-testid="campaigns"')[1]
    )
    assert heads[:6] == ["Name (for organizers)", "Group", "Status", "Recipients", "Skipped", "Created"]
    assert "delivered" in text_of(overview.text)
    # A failed campaign: the reason, "Resume" and "Cancel".
    await run_sql(
        world.settings,
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(status="failed", error=campaigns.UNREADABLE_SEGMENT),
    )
    page = await client.get(f"/organizer/campaigns/{campaign_id}")
    shown = text_of(page.text)
    assert "its group of recipients can no longer be read" in shown
    assert 'data-testid="resume-form"' in page.text and 'data-testid="cancel-form"' in page.text
    resumed = await submit(client, f"/organizer/campaigns/{campaign_id}/resume", {})
    assert resumed.status_code == 303 and "notice=resumed" in resumed.headers["location"]


async def test_outbox_offers_send_again_only_for_failed_messages(client, world) -> None:  # noqa: F811
    await sign_in(client, "organizer@example.org", PASSWORD)
    created = await submit(
        client,
        "/organizer/campaigns/new",
        campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="1"),
    )
    campaign_id = int(re.search(r"/organizer/campaigns/(\d+)", created.headers["location"]).group(1))
    await submit(client, f"/organizer/campaigns/{campaign_id}/send", {})
    for _ in range(100):
        poll = await client.get(f"/organizer/campaigns/{campaign_id}/progress", headers=HTMX)
        if 'data-status="sent"' in poll.text:
            break
        await asyncio.sleep(0.1)
    outbox = await client.get("/organizer/outbox")
    assert 'class="table-wrap"' in outbox.text
    assert "/retry" not in outbox.text  # three messages waiting their turn, none tried
    [ids] = await run_sql(world.settings, select(OutboxMessage.id).order_by(OutboxMessage.id))
    await run_sql(
        world.settings,
        update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(status="failed", attempts=8),
    )
    outbox = await client.get("/organizer/outbox")
    assert outbox.text.count("/retry") == 1 and f"/organizer/outbox/{ids[0]}/retry" in outbox.text
    # A waiting message posted anyway keeps its time.
    [[before]] = await run_sql(
        world.settings, select(OutboxMessage.next_attempt_at).where(OutboxMessage.id == ids[2])
    )
    await submit(client, f"/organizer/outbox/{ids[2]}/retry", {})
    [[after]] = await run_sql(
        world.settings, select(OutboxMessage.next_attempt_at).where(OutboxMessage.id == ids[2])
    )
    assert after == before
    # The mail's link says what it opens.
    [[body]] = await run_sql(
        world.settings, select(OutboxMessage.body_text).where(OutboxMessage.id == ids[1])
    )
    assert "one click" not in body and "ワンクリック" not in body
    assert (
        "To stop news by mail, open this page (no sign-in needed) and unsubscribe there:" in body
        or "お知らせメールを停止するには、このページを開いて停止してください（ログイン不要）：" in body
    )
