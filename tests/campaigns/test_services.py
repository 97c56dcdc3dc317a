"""Campaigns as organizers and participants meet them, through a real SMTP server, on both databases:
Tour B's bookers get exactly their message in their language, previews, refusals that write nothing,
a double "send" that sends once, the throttle, unsubscribing, and the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ascc import clock
from ascc.audit.models import AuditEntry
from ascc.campaigns import message, preferences, segments, sending
from ascc.campaigns import services as campaigns
from ascc.campaigns.models import Campaign, CampaignRecipient
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.mail.models import OutboxMessage
from tests.campaigns.conftest import BASE, HOSTILE_ORG, SECRET, campaign_values, deliver


async def outbox_count(session) -> int:
    return await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "campaign")
    )


async def send(session_maker, world, values) -> int:
    async with session_maker() as session:
        campaign = await campaigns.create(session, world.edition, values, world.actor)
        await sending.start_sending(session, world.edition, campaign.id, world.actor)
        await session.commit()
    await sending.execute_send(session_maker, campaign.id, BASE, SECRET)
    return campaign.id


def text_of(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(mail) -> str:
    return mail.get_body(preferencelist=("html",)).get_content()


async def test_tour_b_campaign_reaches_exactly_its_bookers_in_their_language(
    session, session_maker, world, mailbox
) -> None:
    campaign_id = await send(session_maker, world, campaign_values(segment=f"tour:{world.trip.b}"))
    report = await deliver(session_maker, mailbox)
    assert report.sent == 3
    to = sorted(str(m["To"]).rsplit("<", 1)[-1].rstrip(">") for m in mailbox.messages)
    # Haruka unsubscribed from news; Thu is on Tour A; the online participant booked nothing.
    assert to == ["kenji@example.org", "maria@example.org", "somchai@example.org"]
    [kenji] = mailbox.to("kenji@example.org")
    assert kenji["Subject"] == "視察B · B 水再生：2023年11月13日(月) 13:30 (日本時間)出発"
    body = text_of(kenji)
    assert body.startswith(
        "渡辺 健二 様\n\n視察B · B 水再生（横浜市）のお席を確保しました。\n集合場所：1階正面入口"
    )
    assert "http://testserver.local/my-agenda" in body and "Dear" not in body
    assert f"{BASE}/mail/unsubscribe/{world.kenji}." in body
    [maria] = mailbox.to("maria@example.org")
    assert (
        maria["Subject"] == "Tour B · B Water reclamation: departure at Monday 13 November 2023, 13:30 (JST)"
    )
    maria_body = text_of(maria)
    assert (
        "Dear Maria Cristina dela Cruz,\n\nYour seat on Tour B · B Water reclamation (Cebu City)"
        in maria_body
    )
    assert "Meeting point: 1F main entrance." in maria_body
    assert "{This line keeps its braces}" in maria_body
    assert "様" not in maria_body
    # One-click unsubscribe for mail programs, and the HTML part escapes what people typed.
    [somchai] = mailbox.to("somchai@example.org")
    assert somchai["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert somchai["List-Unsubscribe"].startswith(f"<{BASE}/mail/unsubscribe/{world.somchai}.")
    assert HOSTILE_ORG in text_of(somchai)
    html = html_of(somchai)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in html
    assert f'<a href="{BASE}/my-agenda">' in html
    # Per recipient: three sent, one skipped because unsubscribed; the counts are on the campaign.
    campaign = await campaigns.get(session, world.edition_id, campaign_id)
    lines = await sending.recipient_lines(session, campaign)
    assert {(line.email, line.state) for line in lines} == {
        ("kenji@example.org", "sent"),
        ("maria@example.org", "sent"),
        ("somchai@example.org", "sent"),
        ("quiet@example.org", "skipped"),
    }
    assert (campaign.status, campaign.total, campaign.queued, campaign.skipped) == ("sent", 4, 3, 1)
    actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert [a for a in actions if a.startswith("campaigns.")] == ["campaigns.create", "campaigns.send"]


async def test_essential_campaign_reaches_unsubscribed_people_too_without_a_link(
    session_maker, world, mailbox
) -> None:
    values = campaign_values(
        segment=f"course:{world.trip.course_b}", essential="on", subject_ja="", body_ja=""
    )
    await send(session_maker, world, values)
    await deliver(session_maker, mailbox)
    [quiet] = mailbox.to("quiet@example.org")
    assert quiet["List-Unsubscribe"] is None
    body = text_of(quiet)
    # Haruka reads Japanese, but the campaign has no Japanese: she gets the English one, footer included.
    assert body.startswith("Dear Haruka Sato,") and "essential message" in body and "/mail/" not in body
    assert len(mailbox.messages) == 4


async def test_preview_renders_a_real_recipient_in_both_languages(session, world) -> None:
    values = campaign_values(segment=f"tour:{world.trip.b}")
    preview = await campaigns.preview(session, world.edition, values, BASE, SECRET, as_user=world.kenji)
    assert preview.people == 4 and preview.unsubscribed == 1 and preview.reads == "ja"
    assert preview.person.email == "kenji@example.org"
    assert preview.letters["ja"].subject == "視察B · B 水再生：2023年11月13日(月) 13:30 (日本時間)出発"
    assert preview.letters["en"].text.startswith("Dear Kenji Watanabe,\n\nYour seat on Tour B · B Water")
    # Without a choice, the first person by name.
    first = await campaigns.preview(session, world.edition, values, BASE, SECRET)
    assert first.person.name == "Haruka Sato"
    assert await session.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(
    ("field", "text", "message_part"),
    [
        ("body_en", "Dear {nmae},", "There is no placeholder {nmae}. Did you mean {name}?"),
        ("subject_ja", "{会議}のご案内", "“{会議}” is not a placeholder"),
        ("body_ja", "{% raw %}{{ config }}{% endraw %}", "“{% raw %}” is not a placeholder"),
        ("body_en", "Price: 100} yen", "A closing brace has no opening one: “Price: 100}”"),
        ("subject_en", "Open {brace", "A brace is opened and not closed: “{brace”"),
        ("body_en", "See {session}", "The placeholder {session} only works for the people of one site visit"),
        ("body_en", "{xyzzy}", "There is no placeholder {xyzzy}: see the list"),
    ],
)
async def test_bad_placeholders_are_refused_naming_field_and_placeholder(
    session, world, field, text, message_part
) -> None:
    values = campaign_values(segment="all", **{field: text})
    with pytest.raises(ValidationFailed) as refused:
        await campaigns.create(session, world.edition, values, world.actor)
    key, params = refused.value.errors[field]
    from ascc.i18n import translate

    assert message_part in translate("en", key, **params)
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(Campaign)) == 0


async def test_empty_segment_is_refused_and_nothing_is_queued(session, world) -> None:
    values = campaign_values(
        segment="category:press", subject_en="Hello {name}", body_en="Hi", subject_ja="", body_ja=""
    )
    with pytest.raises(ValidationFailed) as refused:
        await campaigns.preview(session, world.edition, values, BASE, SECRET)
    assert refused.value.errors == {"segment": ("campaigns.error.empty_segment", {})}
    campaign_id = (await campaigns.create(session, world.edition, values, world.actor)).id
    await session.commit()
    with pytest.raises(ValidationFailed):
        await sending.start_sending(session, world.edition, campaign_id, world.actor)
    await session.rollback()
    campaign = await campaigns.get(session, world.edition_id, campaign_id)
    assert campaign.status == "draft"
    assert await outbox_count(session) == 0
    # Japanese half-written: refused, naming the missing half.
    edition = await editions.get_by_id(session, world.edition_id)  # re-read after the rollback
    with pytest.raises(ValidationFailed) as half:
        await campaigns.create(
            session, edition, campaign_values(segment=f"tour:{world.trip.b}", body_ja=""), world.actor
        )
    assert half.value.errors == {"body_ja": ("campaigns.error.japanese_incomplete", {})}


async def test_hostile_and_multilingual_text_survives(session_maker, world, mailbox, inputs) -> None:
    hostile = [h for h in inputs["hostile"] if "{" not in h and "}" not in h and h.strip()]
    traps = inputs["unicode_traps"]
    body = "\n".join(hostile + traps + ["สวัสดีครับ", "Xin chào các bạn", "こんにちは 👩🏽‍💼"])
    values = campaign_values(
        segment=f"course:{world.trip.course_b}",
        body_en=body,
        body_ja=body,
        subject_en="🎉 Tour B ✓",
        subject_ja="視察B 🎉",
    )
    await send(session_maker, world, values)
    await deliver(session_maker, mailbox)
    [maria] = mailbox.to("maria@example.org")
    text = text_of(maria)
    assert "<script>alert(1)</script>" in text and "สวัสดีครับ" in text and "Xin chào các bạn" in text
    assert "\u202e" not in text and "\u200b" not in text  # direction overrides and invisible spaces go
    assert "x\x00y" not in text and "xy" in text
    html = html_of(maria)
    assert "<script>" not in html and "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert maria["Subject"] == "🎉 Tour B ✓"
    # Very long text: a clear message, nothing saved.
    async with session_maker() as session:
        with pytest.raises(ValidationFailed) as refused:
            await campaigns.create(
                session,
                world.edition,
                campaign_values(body_en="x" * inputs["lengths"]["overlong"] * 3),
                world.actor,
            )
        assert refused.value.errors["body_en"] == ("error.too_long", {"max": 20000})


async def test_pressing_send_twice_or_two_workers_racing_send_once(session_maker, world, mailbox) -> None:
    async with session_maker() as session:
        campaign = await campaigns.create(
            session, world.edition, campaign_values(segment=f"tour:{world.trip.b}"), world.actor
        )
        await sending.start_sending(session, world.edition, campaign.id, world.actor)
        await session.commit()
        with pytest.raises(DomainError) as again:
            await sending.start_sending(session, world.edition, campaign.id, world.actor)
        assert again.value.code == "already_sent"
        await session.rollback()
    # Two jobs at once (two workers, or a job and the loop that resumes stale campaigns).
    await asyncio.gather(
        sending.execute_send(session_maker, campaign.id, BASE, SECRET),
        sending.execute_send(session_maker, campaign.id, BASE, SECRET),
    )
    await sending.execute_send(session_maker, campaign.id, BASE, SECRET)  # a late third: nothing to do
    await deliver(session_maker, mailbox)
    assert sorted(str(m["To"]) for m in mailbox.messages) == sorted(
        set(str(m["To"]) for m in mailbox.messages)
    )
    assert len(mailbox.messages) == 3
    async with session_maker() as session:
        assert await outbox_count(session) == 3
        rows = await session.scalar(
            select(func.count())
            .select_from(CampaignRecipient)
            .where(CampaignRecipient.campaign_id == campaign.id)
        )
        assert rows == 4


async def test_throttle_spreads_messages_through_the_outbox(
    session_maker, world, mailbox, monkeypatch
) -> None:
    values = campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="2", essential="on")
    await send(session_maker, world, values)
    sent = []
    start = clock.now()
    for seconds in (0, 29, 30, 59, 60, 90):
        monkeypatch.setenv("ASCC_NOW", (start + timedelta(seconds=seconds)).isoformat())
        await deliver(session_maker, mailbox)
        sent.append(len(mailbox.messages))
    # Two a minute: one at once, one 30 s later, and so on; four people in two minutes.
    assert sent == [1, 1, 2, 2, 3, 4]


async def test_unsubscribed_people_are_skipped_and_counted(session_maker, session, world, mailbox) -> None:
    await preferences.set_preference(session, world.maria, "campaigns", False, "account")
    await session.commit()
    campaign_id = await send(session_maker, world, campaign_values(segment=f"tour:{world.trip.b}"))
    await deliver(session_maker, mailbox)
    assert {str(m["To"]).rsplit("<")[-1].rstrip(">") for m in mailbox.messages} == {
        "kenji@example.org",
        "somchai@example.org",
    }
    campaign = await campaigns.get(session, world.edition_id, campaign_id)
    await session.refresh(campaign)
    assert campaign.skipped == 2
    # Subscribing again brings the next campaign back.
    await preferences.set_preference(session, world.maria, "campaigns", True, "link")
    await session.commit()
    assert (
        await segments.segment_size(session, world.edition, segments.Segment("tour", str(world.trip.b)))
    ).unsubscribed == 1


async def test_cancel_takes_back_what_has_not_left(session_maker, session, world, mailbox) -> None:
    campaign_id = await send(
        session_maker, world, campaign_values(segment=f"tour:{world.trip.b}", rate_per_minute="1")
    )
    await deliver(session_maker, mailbox)  # the first goes at once; the others wait a minute each
    assert len(mailbox.messages) == 1
    result = await sending.cancel(session, world.edition, campaign_id, world.actor)
    await session.commit()
    assert result == {"taken_back": 2}
    campaign = await campaigns.get(session, world.edition_id, campaign_id)
    tally = sending.tally(await sending.recipient_lines(session, campaign))
    assert (tally["sent"], tally["cancelled"], tally["skipped"]) == (1, 2, 1)
    assert await outbox_count(session) == 1
    assert (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()[
        -1
    ] == "campaigns.cancel"


async def test_editing_a_draft_is_audited_and_a_sent_campaign_is_frozen(
    session_maker, session, world
) -> None:
    plain = {
        "subject_en": "Welcome, {name}",
        "subject_ja": "ようこそ",
        "body_en": "See {agenda_url}",
        "body_ja": "{agenda_url}",
    }
    campaign = await campaigns.create(
        session, world.edition, campaign_values(segment="all", **plain), world.actor
    )
    await campaigns.update_draft(
        session,
        world.edition,
        campaign.id,
        campaign_values(segment="mode:online", name="Online only", **plain),
        world.actor,
    )
    await session.commit()
    entry = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()))).first()
    assert entry.action == "campaigns.edit"
    assert entry.before == {"name": "Tour B logistics", "segment": "all"}
    assert entry.after == {"name": "Online only", "segment": "mode:online"}
    await sending.start_sending(session, world.edition, campaign.id, world.actor)
    await session.commit()
    with pytest.raises(DomainError):
        await campaigns.update_draft(
            session, world.edition, campaign.id, campaign_values(segment="all", **plain), world.actor
        )


async def test_segments_pick_the_right_people(session, world) -> None:
    async def emails(key: str) -> list[str]:
        people = await segments.recipients(session, world.edition, segments.parse_segment(key))
        return sorted(p.email.split("@")[0] for p in people)

    assert await emails("mode:online") == ["online"]
    assert await emails("category:company") == ["somchai"]
    assert await emails(f"course:{world.trip.a1}") == ["thu"]
    assert await emails("country:PH") == ["kenji", "maria", "online", "quiet", "somchai", "thu"]
    assert await emails("network") == []
    assert segments.parse_segment("country:XX") is None and segments.parse_segment("tour:1x") is None
    assert segments.parse_segment("session:99999999999999") is None


def test_unsubscribe_tokens_are_signed() -> None:
    token = message.preferences_token(SECRET, 42)
    assert message.user_of_token(SECRET, token) == 42
    assert message.user_of_token("another secret", token) is None
    assert message.user_of_token(SECRET, "43" + token[2:]) is None
    assert message.user_of_token(SECRET, "42.") is None and message.user_of_token(SECRET, "x" * 100) is None
    assert message.user_of_token(SECRET, "٤٢." + token.split(".")[1]) is None  # Arabic-Indic digits
