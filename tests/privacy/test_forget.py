"""Anonymizing a person leaves nothing that names them or that they wrote: questions' author line, matching
profile and messages, feedback and availability notes, network lines and messages, staff invitations, and
their name on the audit entries they made. And the retention rules never reach someone still active in the
live edition as exhibitor staff, speaker or matching participant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.audit.models import AuditEntry
from ascc.exhibitors.models import Exhibitor, ExhibitorStaff, StaffInvite
from ascc.mail import services as mail
from ascc.mail.models import OutboxMessage
from ascc.matching.models import AvailabilityBlock, MatchingProfile, Meeting, MeetingFeedback
from ascc.network.models import NetworkMeeting, NetworkMember
from ascc.online.models import LiveQuestion
from ascc.organizations import services as organizations
from ascc.privacy import services as privacy
from ascc.privacy.forget import forget_person
from ascc.programme.models import ProgrammeSession, SessionPerson, Speaker
from tests.privacy.conftest import OLD

SECRET = "Call me on +63 917 555 0101"


async def _alice_wrote_everywhere(session, world) -> None:
    alice, carol = world.alice, world.carol
    session.add(
        LiveQuestion(session_id=world.talk, user_id=alice, author="Alice Tan · Cebu Water", body="How?")
    )
    session.add(MatchingProfile(edition_id=world.past, user_id=alice, offers=SECRET, seeks=SECRET))
    session.add(
        AvailabilityBlock(
            edition_id=world.past, user_id=alice, starts_at=OLD, ends_at=OLD + timedelta(hours=1), note=SECRET
        )
    )
    asked = Meeting(
        edition_id=world.past, requester_id=alice, recipient_id=carol, message=SECRET, room_token="m1"
    )
    answered = Meeting(
        edition_id=world.past,
        requester_id=carol,
        recipient_id=alice,
        message="Carol's own words",
        answered_by_id=alice,
        answer=SECRET,
        status="held",  # one open meeting per pair: the earlier one was held, the new request is open
        room_token="m2",
    )
    session.add_all([asked, answered])
    await session.flush()
    session.add(MeetingFeedback(meeting_id=answered.id, user_id=alice, outcome="useful", note=SECRET))
    session.add(NetworkMember(user_id=alice, joined_at=OLD, headline=SECRET, interests=SECRET))
    session.add(
        NetworkMeeting(requester_id=alice, recipient_id=carol, message=SECRET, slot_1_at=OLD, room_token="r1")
    )
    session.add(
        NetworkMeeting(
            requester_id=carol,
            recipient_id=alice,
            message="hello",
            answer=SECRET,
            slot_1_at=OLD,
            room_token="r2",
        )
    )
    organization = await organizations.find_or_create(session, "Cebu Water", "PH")
    booth = Exhibitor(
        edition_id=world.past, organization_id=organization.id, name_en="Cebu", status="approved"
    )
    session.add(booth)
    await session.flush()
    session.add(
        StaffInvite(
            exhibitor_id=booth.id,
            email="Alice@Example.org",
            email_key="alice@example.org",
            token_hash="t" * 64,
        )
    )
    actor = await accounts.get_user(session, alice)
    await audit.record(
        session, actor, "exhibitor.update", "exhibitor", booth.id, "Cebu", edition_id=world.past
    )
    await session.commit()


async def test_forgetting_a_person_leaves_nothing_they_wrote(session, world) -> None:
    await _alice_wrote_everywhere(session, world)
    await forget_person(session, world.alice)
    await session.commit()
    session.expire_all()
    alice = world.alice
    assert (
        await session.scalars(select(LiveQuestion.author).where(LiveQuestion.user_id == alice))
    ).all() == [""]
    profile = await session.scalar(select(MatchingProfile).where(MatchingProfile.user_id == alice))
    assert (profile.offers, profile.seeks) == ("", "")
    assert (
        await session.scalar(select(AvailabilityBlock.note).where(AvailabilityBlock.user_id == alice)) == ""
    )
    meetings = (await session.scalars(select(Meeting).order_by(Meeting.id))).all()
    assert [(m.message, m.answer) for m in meetings] == [("", ""), ("Carol's own words", "")]
    assert await session.scalar(select(MeetingFeedback.note)) == ""
    member = await session.scalar(select(NetworkMember).where(NetworkMember.user_id == alice))
    assert (member.headline, member.interests) == ("", "")
    talks = (await session.scalars(select(NetworkMeeting).order_by(NetworkMeeting.id))).all()
    assert [(m.message, m.answer) for m in talks] == [("", ""), ("hello", "")]
    invite = await session.scalar(select(StaffInvite))
    assert (invite.email, invite.status) == ("", "revoked")
    names = (await session.scalars(select(AuditEntry.actor_name).where(AuditEntry.actor_id == alice))).all()
    assert names == ["Deleted participant"]
    # Nothing anywhere still holds what she wrote.
    for model, column in (
        (MatchingProfile, MatchingProfile.offers),
        (Meeting, Meeting.message),
        (Meeting, Meeting.answer),
        (MeetingFeedback, MeetingFeedback.note),
        (AvailabilityBlock, AvailabilityBlock.note),
        (NetworkMember, NetworkMember.headline),
        (NetworkMeeting, NetworkMeeting.message),
        (NetworkMeeting, NetworkMeeting.answer),
    ):
        assert SECRET not in (await session.scalars(select(column))).all(), model.__name__


async def _only_in_the_past_edition(session, world, role: str) -> None:
    """Alice (registered only in 2022) becomes active in the live 2023 edition in another way."""
    if role == "staff":
        organization = await organizations.find_or_create(session, "Live Booth KK", "JP")
        booth = Exhibitor(
            edition_id=world.current, organization_id=organization.id, name_en="Live", status="approved"
        )
        session.add(booth)
        await session.flush()
        session.add(ExhibitorStaff(edition_id=world.current, exhibitor_id=booth.id, user_id=world.alice))
    elif role == "speaker":
        talk = ProgrammeSession(
            edition_id=world.current,
            title_en="Live talk",
            title_ja="講演",
            kind="talk",
            starts_at=OLD.replace(year=2023),
            ends_at=OLD.replace(year=2023, hour=4),
            status="published",
        )
        speaker = Speaker(edition_id=world.current, slug="alice", name="Alice Tan", user_id=world.alice)
        session.add_all([talk, speaker])
        await session.flush()
        session.add(SessionPerson(session_id=talk.id, speaker_id=speaker.id))
    else:
        session.add(MatchingProfile(edition_id=world.current, user_id=world.alice))
    await session.commit()


@pytest.mark.parametrize("role", ["staff", "speaker", "matching"])
async def test_someone_active_in_the_live_edition_is_not_anonymized(session, world, role) -> None:
    await _only_in_the_past_edition(session, world, role)
    report = await privacy.apply(session, None, dry_run=True, only=["personal_data"])
    assert report.results[0].count == 0
    await privacy.apply(session, None, only=["personal_data"])
    session.expire_all()
    alice = await accounts.get_user(session, world.alice)
    assert (alice.name_latin, alice.is_active) == ("Alice Tan", True)


async def test_the_mail_texts_rule_clears_html_and_the_unsubscribe_headers(session, world) -> None:
    await mail.queue_composed(
        session,
        to="bob@example.org",
        name="Bob Member",
        lang="en",
        kind="campaign",
        subject="Save the date",
        body="Dear Bob",
        html="<p>Dear Bob</p>",
        headers={"List-Unsubscribe": "<https://x/unsubscribe/SECRET-TOKEN>"},
    )
    await mail.queue_composed(
        session, to="bob@example.org", name="Bob", lang="en", kind="campaign", subject="Plain", body="Hi"
    )
    await session.execute(update(OutboxMessage).values(status="sent", created_at=OLD))
    await session.commit()
    dry = await privacy.apply(session, None, dry_run=True, only=["mail_bodies"])
    assert dry.results[0].count == 3  # with the world's old mail to Alice
    await privacy.apply(session, None, only=["mail_bodies"])
    session.expire_all()
    rows = (
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == "bob@example.org")
            .order_by(OutboxMessage.id)
        )
    ).all()
    assert [(m.subject, m.body_text, m.body_html, m.headers, m.invitation) for m in rows] == [
        ("Save the date", "", None, None, None),
        ("Plain", "", None, None, None),
    ]
    again = await privacy.apply(session, None, dry_run=True, only=["mail_bodies"])
    assert again.results[0].count == 0
