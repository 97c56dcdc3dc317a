"""Sending a campaign: the background job that queues each recipient's message, throttled, safe to run
twice or again after a crash; cancelling and resuming; where each recipient is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.campaigns.models import Campaign, CampaignRecipient
from ascc.campaigns.preferences import store_counts, unsubscribed
from ascc.campaigns.segments import Recipient, parse_segment, recipients, segment_size
from ascc.campaigns.services import (
    FIELDS,
    Context,
    check,
    compose,
    context_for,
    get,
    reading_lang,
    unsubscribe_url,
)
from ascc.db import insert_ignoring_duplicates, rows_changed
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.mail import services as mail

log = logging.getLogger("ascc.campaigns")

BATCH = 50
# A "sending" campaign whose job has not written for this long lost its worker: the periodic loop resumes it.
STALE_AFTER = timedelta(minutes=3)
# The reason shown (translated) when a campaign's stored group can no longer be read.
UNREADABLE_SEGMENT = "campaigns.error.segment_unreadable"


# --- Sending -----------------------------------------------------------------------------------------------


async def start_sending(
    session: AsyncSession, edition: editions.Edition, campaign_id: int, actor: audit.Actor | None
) -> Campaign:
    """Mark a draft as sending (the job does the rest). Pressing "send" twice: the second is refused."""
    campaign = await get(session, edition.id, campaign_id)
    if campaign.status != "draft":
        raise DomainError("campaigns.error.already_sent", "already_sent", status=409)
    values = {field: getattr(campaign, field) for field in FIELDS}
    values["essential"] = "on" if campaign.essential else ""
    await check(session, edition, values)
    segment = parse_segment(campaign.segment)
    assert segment is not None  # check() refuses a segment it cannot read
    size = await segment_size(session, edition, segment)
    if size.people == 0:
        raise ValidationFailed({"segment": ("campaigns.error.empty_segment", {})})
    now = clock.now()
    claimed = await rows_changed(
        session,
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "draft")
        .values(
            status="sending", send_started_at=now, sent_by_id=actor.id if actor else None, updated_at=now
        ),
    )
    if claimed != 1:
        raise DomainError("campaigns.error.already_sent", "already_sent", status=409)
    await session.refresh(campaign)
    await audit.record(
        session,
        actor,
        "campaigns.send",
        "campaign",
        campaign.id,
        campaign.name,
        after={
            "segment": campaign.segment,
            "people": size.people,
            "rate_per_minute": campaign.rate_per_minute,
        },
        edition_id=edition.id,
    )
    return campaign


async def _add_recipients(session: AsyncSession, campaign: Campaign, people: list[Recipient]) -> None:
    """One row per person (the unique key makes a second run add only newcomers), in sending order."""
    have = dict(
        (
            await session.execute(
                select(CampaignRecipient.user_id, CampaignRecipient.position).where(
                    CampaignRecipient.campaign_id == campaign.id
                )
            )
        )
        .tuples()
        .all()
    )
    new = [p for p in people if p.user_id not in have]
    if not new:
        return
    blocked = (
        set() if campaign.essential else await unsubscribed(session, [p.user_id for p in new], "campaigns")
    )
    position = max(have.values(), default=-1) + 1
    started = campaign.send_started_at or clock.now()
    rate = max(campaign.rate_per_minute, 1)
    now = datetime.now(UTC)
    rows = []
    for person in new:
        skip = person.user_id in blocked
        rows.append(
            {
                "campaign_id": campaign.id,
                "user_id": person.user_id,
                "position": position,
                "lang": reading_lang(campaign, person.lang),
                "status": "skipped" if skip else "pending",
                "not_before": None if skip else started + timedelta(seconds=position * 60 // rate),
                "created_at": now,
                "updated_at": now,
            }
        )
        if not skip:
            position += 1
    for start in range(0, len(rows), 200):
        await session.execute(
            insert_ignoring_duplicates(session, CampaignRecipient)
            .values(rows[start : start + 200])
            .on_conflict_do_nothing(index_elements=["campaign_id", "user_id"])
        )


async def execute_send(
    session_maker: Callable[[], AsyncSession], campaign_id: int, base_url: str, secret: str
) -> None:
    """The background part: choose the people, then put each one's message in the outbox, throttled by its
    not-before time. Safe to run twice at once or again after a crash: a person is claimed before queuing."""
    async with session_maker() as session:
        try:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None or campaign.status != "sending":
                return
            edition = await editions.get_by_id(session, campaign.edition_id)
            segment = parse_segment(campaign.segment)
            if segment is None:  # stored by an older version, or changed by hand: never widen to everyone
                log.error("campaign #%s: unreadable segment %r", campaign_id, campaign.segment)
                await session.execute(
                    update(Campaign)
                    .where(Campaign.id == campaign_id, Campaign.status == "sending")
                    .values(status="failed", error=UNREADABLE_SEGMENT, updated_at=clock.now())
                )
                await session.commit()
                return
            people = {p.user_id: p for p in await recipients(session, edition, segment)}
            await _add_recipients(session, campaign, list(people.values()))
            await store_counts(session, campaign_id)
            await session.commit()
            ctx = await context_for(session, edition, segment, base_url, secret)
            while True:
                status = await session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
                if status != "sending":
                    return  # cancelled meanwhile
                batch = (
                    await session.scalars(
                        select(CampaignRecipient)
                        .where(
                            CampaignRecipient.campaign_id == campaign_id,
                            CampaignRecipient.status == "pending",
                        )
                        .order_by(CampaignRecipient.position)
                        .limit(BATCH)
                    )
                ).all()
                if not batch:
                    break
                for row in batch:
                    await _queue_one(session, campaign, row, people.get(row.user_id), ctx)
                await store_counts(session, campaign_id)
                await session.commit()
            await store_counts(session, campaign_id)
            await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == "sending")
                .values(status="sent", finished_at=clock.now())
            )
            await session.commit()
            log.info("campaign #%s queued", campaign_id)
        except Exception as exc:
            log.exception("campaign #%s failed", campaign_id)
            await session.rollback()
            await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == "sending")
                .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:500], updated_at=clock.now())
            )
            await session.commit()


async def _queue_one(
    session: AsyncSession, campaign: Campaign, row: CampaignRecipient, person: Recipient | None, ctx: Context
) -> None:
    claimed = await rows_changed(
        session,
        update(CampaignRecipient)
        .where(CampaignRecipient.id == row.id, CampaignRecipient.status == "pending")
        .values(status="queued", updated_at=clock.now()),
    )
    if claimed != 1:
        return  # another run took this person
    if person is None:  # left the segment (or the account closed) since the list was made
        await session.execute(
            update(CampaignRecipient).where(CampaignRecipient.id == row.id).values(status="cancelled")
        )
        return
    letter = compose(campaign, person, row.lang, ctx)
    headers = None
    if not campaign.essential:
        url = unsubscribe_url(ctx, person.user_id)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    queued = await mail.queue_composed(
        session,
        to=person.email,
        name=person.name,
        lang=row.lang,
        kind="campaign",
        subject=letter.subject,
        body=letter.text,
        html=letter.html,
        headers=headers,
        not_before=row.not_before,
    )
    await session.execute(
        update(CampaignRecipient).where(CampaignRecipient.id == row.id).values(outbox_message_id=queued.id)
    )


async def stale_campaigns(session: AsyncSession) -> list[int]:
    """Campaigns left "sending" by a worker that stopped: the periodic loop runs them again."""
    rows = await session.scalars(
        select(Campaign.id).where(
            Campaign.status == "sending", Campaign.updated_at < clock.now() - STALE_AFTER
        )
    )
    return list(rows.all())


async def cancel(
    session: AsyncSession, edition: editions.Edition, campaign_id: int, actor: audit.Actor | None
) -> dict[str, int]:
    """Stop a campaign: a draft is dropped; of one being sent, what has not left the outbox is taken back."""
    campaign = await get(session, edition.id, campaign_id)
    if campaign.status not in ("draft", "sending", "sent", "failed"):
        raise DomainError("campaigns.error.not_cancellable", "not_cancellable", status=409)
    before = {"status": campaign.status}
    campaign.status = "cancelled"
    campaign.finished_at = clock.now()
    await session.flush()
    rows = (
        await session.execute(
            select(CampaignRecipient.id, CampaignRecipient.outbox_message_id).where(
                CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "queued"
            )
        )
    ).tuples()
    by_message = {message_id: rid for rid, message_id in rows if message_id is not None}
    withdrawn = await mail.withdraw_pending(session, list(by_message))
    taken_back = [by_message[m] for m in withdrawn]
    for start in range(0, len(taken_back), 500):
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id.in_(taken_back[start : start + 500]))
            .values(status="cancelled", outbox_message_id=None)
        )
    await session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "pending")
        .values(status="cancelled")
    )
    await store_counts(session, campaign.id)
    await audit.record(
        session,
        actor,
        "campaigns.cancel",
        "campaign",
        campaign.id,
        campaign.name,
        before=before,
        after={"status": "cancelled", "taken_back": len(taken_back)},
        edition_id=edition.id,
    )
    return {"taken_back": len(taken_back)}


async def resume(
    session: AsyncSession, edition: editions.Edition, campaign_id: int, actor: audit.Actor | None
) -> Campaign:
    """Send a failed campaign on (the route starts the job again): those already queued are not queued twice."""
    campaign = await get(session, edition.id, campaign_id)
    resumed = await rows_changed(
        session,
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "failed")
        .values(status="sending", error="", updated_at=clock.now()),
    )
    if resumed != 1:
        raise DomainError("campaigns.error.not_resumable", "not_resumable", status=409)
    before = {"status": "failed", "error": campaign.error}
    await session.refresh(campaign)
    await audit.record(
        session,
        actor,
        "campaigns.resume",
        "campaign",
        campaign.id,
        campaign.name,
        before=before,
        after={"status": "sending"},
        edition_id=edition.id,
    )
    return campaign


# --- Where each recipient is --------------------------------------------------------------------------------


STATES = ("waiting", "queued", "sent", "failed", "skipped", "cancelled", "removed")


@dataclass(frozen=True)
class RecipientLine:
    user_id: int
    name: str
    email: str
    lang: str
    state: str  # one of STATES
    not_before: datetime | None
    sent_at: datetime | None
    error: str


async def recipient_lines(session: AsyncSession, campaign: Campaign) -> list[RecipientLine]:
    """Every recipient with the real delivery status of their outbox message."""
    rows = list(
        (
            await session.scalars(
                select(CampaignRecipient)
                .where(CampaignRecipient.campaign_id == campaign.id)
                .order_by(CampaignRecipient.status == "skipped", CampaignRecipient.position)
            )
        ).all()
    )
    deliveries = await mail.deliveries(session, [r.outbox_message_id for r in rows if r.outbox_message_id])
    users = {}
    ids = [r.user_id for r in rows]
    for start in range(0, len(ids), 500):
        users.update({u.id: u for u in await accounts.get_users(session, ids[start : start + 500])})
    lines = []
    for row in rows:
        user = users.get(row.user_id)
        sent_at, error = None, ""
        if row.status == "pending":
            state = "waiting"
        elif row.status in ("skipped", "cancelled"):
            state = row.status
        else:
            delivery = deliveries.get(row.outbox_message_id or 0)
            if delivery is None:
                state = "removed"
            else:
                state = {"pending": "queued", "sending": "queued"}.get(delivery.status, delivery.status)
                sent_at, error = delivery.sent_at, delivery.last_error or ""
        lines.append(
            RecipientLine(
                row.user_id,
                user.name_latin if user else "—",
                user.email if user else "—",
                row.lang,
                state,
                row.not_before,
                sent_at,
                error,
            )
        )
    return lines


async def progress_tally(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    """The same counts as tally(recipient_lines(...)) from two grouped queries: what the progress box polls."""
    counts = dict.fromkeys(STATES, 0)
    rows = await session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.status)
    )
    by_status = dict(rows.tuples().all())
    counts["waiting"] = by_status.get("pending", 0)
    counts["skipped"] = by_status.get("skipped", 0)
    counts["cancelled"] = by_status.get("cancelled", 0)
    in_outbox = by_status.get("queued", 0)
    if in_outbox:
        ids = select(CampaignRecipient.outbox_message_id).where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == "queued",
            CampaignRecipient.outbox_message_id.is_not(None),
        )
        for status, count in (await mail.status_counts(session, ids)).items():
            state = {"pending": "queued", "sending": "queued"}.get(status, status)
            if state in counts:
                counts[state] += count
        counts["removed"] = in_outbox - counts["queued"] - counts["sent"] - counts["failed"]
    return counts


def tally(lines: list[RecipientLine]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for line in lines:
        counts[line.state] += 1
    return counts
