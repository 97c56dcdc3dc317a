"""Campaign segments, resuming and unsubscribing, as a user would notice them, on both databases: people whose
registration is cancelled get no campaign mail and no reminders, a waiting-list place gets no "starts at", only
approved exhibitors' staff are "exhibitors", a failed campaign can be stopped or resumed, an unreadable group
never widens to everyone, an edit racing "send" is refused, unsubscribing takes back what has not left, the
progress box counts from grouped queries, and "send again" is only for failed messages."""

# ruff: noqa: F811 (pytest fixtures imported from the reminders tests are parameters here)
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from ascc.campaigns import preferences, segments, sending
from ascc.campaigns import services as campaigns
from ascc.campaigns.models import Campaign, CampaignRecipient
from ascc.capacity import services as capacity
from ascc.editions import services as editions
from ascc.errors import DomainError
from ascc.exhibitors.models import Exhibitor, ExhibitorStaff
from ascc.mail import services as mail
from ascc.mail.models import OutboxMessage
from ascc.programme.models import AgendaEntry
from ascc.programme.session_editing import pool_key
from ascc.registration.models import Registration
from tests.campaigns.conftest import BASE, SECRET, campaign_values, deliver
from tests.campaigns.test_reminders import plans, run_at  # noqa: F401 (the reminders' world)
from tests.campaigns.test_services import outbox_count, send


async def cancel_registration(session, edition_id: int, user_id: int) -> None:
    await session.execute(
        update(Registration)
        .where(Registration.edition_id == edition_id, Registration.user_id == user_id)
        .values(status="cancelled")
    )
    await session.commit()


async def emails(session, edition, key: str) -> list[str]:
    people = await segments.recipients(session, edition, segments.parse_segment(key))
    return sorted(p.email.split("@")[0] for p in people)


async def test_cancelled_registration_leaves_tour_and_course_segments(session, world) -> None:
    tour_b = f"tour:{world.trip.b}"
    assert await emails(session, world.edition, tour_b) == ["kenji", "maria", "quiet", "somchai"]
    await cancel_registration(session, world.edition_id, world.kenji)
    await cancel_registration(session, world.edition_id, world.thu)
    # The seat on the bus outlives the registration; the mail does not follow it.
    assert await emails(session, world.edition, tour_b) == ["maria", "quiet", "somchai"]
    assert await emails(session, world.edition, f"course:{world.trip.a1}") == []
    size = await segments.segment_size(session, world.edition, segments.parse_segment(tour_b))
    assert size.people == 3


async def test_session_matching_and_exhibitor_segments_keep_only_those_who_should_hear(
    session,
    plans,
) -> None:
    edition = plans.edition
    session_key = f"session:{plans.talk}"
    before = await emails(session, edition, session_key)
    assert "official" in before
    matching_before = await emails(session, edition, "matching")
    assert "official" in matching_before
    await cancel_registration(session, plans.edition_id, plans.official)
    assert await emails(session, edition, session_key) == [e for e in before if e != "official"]
    assert await emails(session, edition, "matching") == [e for e in matching_before if e != "official"]
    # Exhibitors: only the staff of approved exhibitors; a draft or rejected exhibitor's staff is left out.
    staff = await session.scalar(select(ExhibitorStaff).where(ExhibitorStaff.user_id == plans.company))
    await session.execute(
        update(Exhibitor).where(Exhibitor.id == staff.exhibitor_id).values(status="approved")
    )
    await session.commit()
    people = await segments.recipients(session, edition, segments.Segment("exhibitors"))
    assert plans.company in {p.user_id for p in people}
    for status in ("draft", "rejected"):
        await session.execute(
            update(Exhibitor).where(Exhibitor.id == staff.exhibitor_id).values(status=status)
        )
        await session.commit()
        people = await segments.recipients(session, edition, segments.Segment("exhibitors"))
        assert plans.company not in {p.user_id for p in people}


async def test_reminders_skip_cancelled_people_their_meetings_and_waiting_places(
    session,
    session_maker,
    plans,
    mailbox,
    monkeypatch,
) -> None:
    nothing = {"session": 0, "tour": 0, "meeting": 0, "skipped": 0}
    # The bank's person is on the workshop's waiting list (signed up, no seat yet).
    await capacity.claim(session, pool_key(plans.talk), capacity.person(plans.bank), queue_only=True)
    await session.execute(
        update(AgendaEntry)
        .where(AgendaEntry.user_id == plans.bank, AgendaEntry.session_id == plans.talk)
        .values(signed_up=True)
    )
    await session.commit()
    # The official cancels: their bus seat, their workshop seat and their meeting stay in the tables.
    await cancel_registration(session, plans.edition_id, plans.official)
    assert await run_at(session, monkeypatch, plans, "2023-11-13T16:30+09:00") == nothing
    # Of the workshop's people only the online participant is left, and they turned reminders off.
    assert await run_at(session, monkeypatch, plans, "2023-11-14T09:46+09:00") == {**nothing, "skipped": 1}
    # The meeting is not announced to the company's person either: the other party is gone.
    assert await run_at(session, monkeypatch, plans, "2023-11-14T13:16+09:00") == nothing
    await deliver(session_maker, mailbox)
    assert mailbox.messages == []


async def test_waiting_place_gets_no_reminder_but_a_seat_does(
    session,
    session_maker,
    plans,
    mailbox,
    monkeypatch,
) -> None:
    await capacity.claim(session, pool_key(plans.talk), capacity.person(plans.bank), queue_only=True)
    await session.execute(
        update(AgendaEntry)
        .where(AgendaEntry.user_id == plans.bank, AgendaEntry.session_id == plans.talk)
        .values(signed_up=True)
    )
    await session.commit()
    counts = await run_at(session, monkeypatch, plans, "2023-11-14T09:46+09:00")
    assert counts["session"] == 1  # the official, who holds a seat; not the bank's person who waits
    await deliver(session_maker, mailbox)
    assert [
        str(m["To"]).split("<")[1].rstrip(">") for m in mailbox.messages if "10:00" in str(m["Subject"])
    ] == ["official@example.org"]


async def test_failed_campaign_can_be_resumed_or_cancelled(session_maker, session, world, mailbox) -> None:
    async def failed_campaign() -> int:
        async with session_maker() as s:
            edition = await editions.get_by_id(s, world.edition_id)
            campaign = await campaigns.create(
                s, edition, campaign_values(segment=f"tour:{world.trip.b}"), world.actor
            )
            await sending.start_sending(s, edition, campaign.id, world.actor)
            await s.execute(
                update(Campaign)
                .where(Campaign.id == campaign.id)
                .values(status="failed", error="OSError: disk")
            )
            await s.commit()
            return campaign.id

    first = await failed_campaign()
    world.edition = await editions.get_by_id(session, world.edition_id)
    resumed = await sending.resume(session, world.edition, first, world.actor)
    await session.commit()
    assert resumed.status == "sending" and resumed.error == ""
    with pytest.raises(DomainError) as again:
        await sending.resume(session, world.edition, first, world.actor)
    assert again.value.code == "not_resumable" and again.value.status_code == 409
    await session.rollback()
    await sending.execute_send(session_maker, first, BASE, SECRET)
    await sending.execute_send(session_maker, first, BASE, SECRET)  # safe to run again
    await deliver(session_maker, mailbox)
    assert len(mailbox.messages) == 3
    second = await failed_campaign()
    world.edition = await editions.get_by_id(session, world.edition_id)
    assert await sending.cancel(session, world.edition, second, world.actor) == {"taken_back": 0}
    await session.commit()
    assert (await session.get(Campaign, second)).status == "cancelled"


async def test_unreadable_segment_fails_the_campaign_and_writes_to_nobody(
    session_maker, session, world
) -> None:
    campaign = await campaigns.create(
        session, world.edition, campaign_values(segment=f"tour:{world.trip.b}"), world.actor
    )
    await sending.start_sending(session, world.edition, campaign.id, world.actor)
    await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(segment="mode:teleport"))
    await session.commit()
    await sending.execute_send(session_maker, campaign.id, BASE, SECRET)
    await session.refresh(campaign)
    assert campaign.status == "failed" and campaign.error == sending.UNREADABLE_SEGMENT
    assert await outbox_count(session) == 0
    assert await session.scalar(select(func.count()).select_from(CampaignRecipient)) == 0
    with pytest.raises(ValueError):
        campaigns.compose(campaign, None, "en", None)


async def test_an_edit_racing_send_is_refused(session_maker, session, world) -> None:
    plain = campaign_values(segment="all", subject_en="Welcome", subject_ja="", body_en="Hello", body_ja="")
    campaign = await campaigns.create(session, world.edition, plain, world.actor)
    await session.commit()
    await session.refresh(campaign)
    assert campaign.status == "draft"  # this session holds the draft as it was
    async with session_maker() as other:
        edition = await editions.get_by_id(other, world.edition_id)
        await sending.start_sending(other, edition, campaign.id, world.actor)
        await other.commit()
    with pytest.raises(DomainError) as refused:
        await campaigns.update_draft(
            session, world.edition, campaign.id, {**plain, "body_en": "Changed"}, world.actor
        )
    assert refused.value.code == "not_draft" and refused.value.status_code == 409
    campaign_id = campaign.id
    await session.rollback()
    body = await session.scalar(select(Campaign.body_en).where(Campaign.id == campaign_id))
    assert body == "Hello"


async def test_unsubscribing_takes_back_queued_news_but_not_essential_mail(
    session_maker, session, world, mailbox
) -> None:
    slow = campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="1")
    news = await send(session_maker, world, slow)
    essential = await send(session_maker, world, {**slow, "essential": "on", "name": "Safety"})
    await deliver(session_maker, mailbox)  # one of each leaves at once; the others wait their minute
    assert len(mailbox.messages) == 2
    waiting = await session.scalar(
        select(CampaignRecipient.user_id).where(
            CampaignRecipient.campaign_id == news, CampaignRecipient.position == 1
        )
    )
    await preferences.set_preference(session, waiting, "campaigns", False, "one_click")
    await session.commit()
    row = await session.scalar(
        select(CampaignRecipient).where(
            CampaignRecipient.campaign_id == news, CampaignRecipient.user_id == waiting
        )
    )
    assert row.status == "skipped" and row.outbox_message_id is None
    kept = await session.scalar(
        select(CampaignRecipient).where(
            CampaignRecipient.campaign_id == essential, CampaignRecipient.user_id == waiting
        )
    )
    assert kept.status == "queued" and kept.outbox_message_id is not None
    campaign = await session.get(Campaign, news)
    await session.refresh(campaign)
    assert campaign.skipped == 2  # Haruka from the start, and this person now
    tally = sending.tally(await sending.recipient_lines(session, campaign))
    assert (tally["sent"], tally["queued"], tally["skipped"]) == (1, 1, 2)


async def test_progress_counts_come_from_grouped_queries_and_match_the_lines(
    session_maker, session, world, mailbox
) -> None:
    campaign_id = await send(
        session_maker, world, campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="1")
    )
    await deliver(session_maker, mailbox)
    campaign = await session.get(Campaign, campaign_id)
    expected = sending.tally(await sending.recipient_lines(session, campaign))
    assert await sending.progress_tally(session, campaign_id) == expected
    assert (expected["sent"], expected["queued"], expected["skipped"]) == (1, 2, 1)
    # A message deleted from the outbox by hand shows as removed, as in the recipient list.
    some = await session.scalar(
        select(CampaignRecipient.outbox_message_id).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.position == 2
        )
    )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.id == some))
    await session.commit()
    expected = sending.tally(await sending.recipient_lines(session, campaign))
    assert expected["removed"] == 1
    assert await sending.progress_tally(session, campaign_id) == expected


async def test_retry_only_puts_back_failed_messages(session_maker, session, world) -> None:
    campaign_id = await send(
        session_maker, world, campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="1")
    )
    later = await session.scalar(
        select(CampaignRecipient.outbox_message_id).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.position == 2
        )
    )
    waiting = await session.get(OutboxMessage, later)
    not_before = waiting.next_attempt_at
    assert await mail.retry_now(session, later) is False  # a waiting message keeps the throttle's time
    await session.commit()
    await session.refresh(waiting)
    assert waiting.next_attempt_at == not_before and waiting.status == "pending"
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == later).values(status="failed", attempts=5)
    )
    await session.commit()
    assert await mail.retry_now(session, later) is True
    await session.commit()
    await session.refresh(waiting)
    assert waiting.status == "pending" and waiting.attempts == 0
