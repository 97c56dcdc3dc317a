"""People's mail preferences: unsubscribing from campaigns or reminders (what was queued and has not
left is taken back), and the signed links in the mails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.campaigns import message
from ascc.campaigns.models import Campaign, CampaignRecipient, MailPreference, ReminderSent
from ascc.db import insert_ignoring_duplicates, rows_changed
from ascc.errors import DomainError, NotFound
from ascc.mail import services as mail


async def store_counts(session: AsyncSession, campaign_id: int, **extra: Any) -> None:
    """A campaign's counts from its recipients' rows: sending changes them, and so does unsubscribing."""
    rows = await session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.status)
    )
    counts = dict(rows.tuples().all())
    await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            total=sum(counts.values()),
            queued=counts.get("queued", 0),
            skipped=counts.get("skipped", 0),
            updated_at=clock.now(),
            **extra,
        )
    )


# --- Mail preferences ---------------------------------------------------------------------------------------


TOPICS = ("campaigns", "reminders")


@dataclass(frozen=True)
class Preferences:
    campaigns: bool
    reminders: bool


async def preferences(session: AsyncSession, user_id: int) -> Preferences:
    row = await session.scalar(select(MailPreference).where(MailPreference.user_id == user_id))
    # News is opt-in: nobody gets it before ticking the box. Reminders of one's own bookings are on until
    # turned off.
    return Preferences(row.campaigns, row.reminders) if row else Preferences(False, True)


async def set_preference(session: AsyncSession, user_id: int, topic: str, wanted: bool, via: str) -> None:
    """Subscribe or unsubscribe one person from one topic (campaigns | reminders); safe when raced."""
    if topic not in TOPICS:
        raise DomainError("error.400_text", "invalid", field="list")
    now = datetime.now(UTC)
    await session.execute(
        insert_ignoring_duplicates(session, MailPreference)
        .values(
            user_id=user_id, campaigns=False, reminders=True, changed_via=via, created_at=now, updated_at=now
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    await session.execute(
        update(MailPreference)
        .where(MailPreference.user_id == user_id)
        .values({topic: wanted, "changed_via": via, "updated_at": now})
    )
    if not wanted:
        await _withdraw_queued(session, user_id, topic)


async def _withdraw_queued(session: AsyncSession, user_id: int, topic: str) -> None:
    """Someone unsubscribed: their messages of that kind that have not left yet are taken back (skipped)."""
    if topic == "reminders":
        reminders = (
            await session.execute(
                select(ReminderSent.id, ReminderSent.outbox_message_id).where(
                    ReminderSent.user_id == user_id,
                    ReminderSent.status == "queued",
                    ReminderSent.outbox_message_id.is_not(None),
                )
            )
        ).tuples()
        reminder_of = {message_id: rid for rid, message_id in reminders if message_id is not None}
        withdrawn = [reminder_of[m] for m in await mail.withdraw_pending(session, list(reminder_of))]
        if withdrawn:
            await session.execute(
                update(ReminderSent)
                .where(ReminderSent.id.in_(withdrawn))
                .values(status="skipped", outbox_message_id=None, updated_at=clock.now())
            )
        return
    rows = (
        await session.execute(
            select(CampaignRecipient.id, CampaignRecipient.campaign_id, CampaignRecipient.outbox_message_id)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(
                CampaignRecipient.user_id == user_id,
                CampaignRecipient.status.in_(("pending", "queued")),
                Campaign.essential.is_(False),
            )
        )
    ).tuples()
    touched: set[int] = set()
    by_message: dict[int, tuple[int, int]] = {}
    for rid, campaign_id, message_id in rows:
        if message_id is None:
            # Not in the outbox yet: the job claims only "pending" rows, so this one will not be queued.
            done = await rows_changed(
                session,
                update(CampaignRecipient)
                .where(CampaignRecipient.id == rid, CampaignRecipient.status == "pending")
                .values(status="skipped", not_before=None, updated_at=clock.now()),
            )
            if done:
                touched.add(campaign_id)
        else:
            by_message[message_id] = (rid, campaign_id)
    for message_id in await mail.withdraw_pending(session, list(by_message)):
        rid, campaign_id = by_message[message_id]
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id == rid)
            .values(status="skipped", outbox_message_id=None, updated_at=clock.now())
        )
        touched.add(campaign_id)
    for campaign_id in sorted(touched):
        await store_counts(session, campaign_id)


async def unsubscribed(session: AsyncSession, user_ids: list[int], topic: str) -> set[int]:
    """Those of these people who do not want `topic` mail: for news (opt-in), everyone who has not asked."""
    if topic == "campaigns":
        wanted: set[int] = set()
        for start in range(0, len(user_ids), 500):
            rows = await session.scalars(
                select(MailPreference.user_id).where(
                    MailPreference.user_id.in_(user_ids[start : start + 500]),
                    MailPreference.campaigns.is_(True),
                )
            )
            wanted.update(rows.all())
        return set(user_ids) - wanted
    found: set[int] = set()
    for start in range(0, len(user_ids), 500):
        rows = await session.scalars(
            select(MailPreference.user_id).where(
                MailPreference.user_id.in_(user_ids[start : start + 500]), MailPreference.reminders.is_(False)
            )
        )
        found.update(rows.all())
    return found


async def person_for_token(session: AsyncSession, secret: str, token: str) -> Any:
    """The account a preferences link was signed for; NotFound for a forged link or a closed account."""
    user_id = message.user_of_token(secret, token)
    people = await accounts.get_users(session, [user_id]) if user_id is not None else []
    if not people:
        raise NotFound("preferences")
    return people[0]
