"""A meeting's mails say when (one format, with the conference's zone), where, and what to bring or how to
join, in both languages, as the person receives them from a real SMTP server."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from ascc.accounts.models import User
from ascc.mail import services as mail
from ascc.matching import meeting_requests
from tests.matching.conftest import BASE, build_matching

SENDER = "ASCC <noreply@ascc.example.org>"
# The session's first slot: 13:30 to 13:55 on Tuesday 14 November, in Yokohama.
WHEN_EN = "When: Tuesday 14 November 2023, 13:30–13:55 (JST)"
WHEN_JA = "日時：2023年11月14日(火) 13:30–13:55 (日本時間)"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """What a mail says does not depend on the database: one is enough."""
    return sqlite_url


async def accepted_mail(
    session, session_maker, mailbox, w, requester: int, recipient: int, email: str
) -> str:
    meeting = await meeting_requests.send_request(
        session, w.edition, requester, {"recipient_id": recipient, "message": "Let us talk"}, BASE
    )
    await meeting_requests.answer(
        session, w.edition, meeting.id, recipient, "accept", {"slot_id": w.slots[0]}, BASE
    )
    await session.commit()
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    [message] = [m for m in mailbox.to(email) if "accepted" in str(m["Subject"])]
    return message.get_body(preferencelist=("plain",)).get_content()


async def test_meeting_accepted_says_when_at_which_table_and_to_bring_the_badge(
    session, session_maker, mailbox
) -> None:
    w = await build_matching(session)
    await session.execute(update(User).where(User.id == w.official).values(preferred_lang="ja"))
    await session.commit()
    body = await accepted_mail(
        session, session_maker, mailbox, w, w.official, w.company, "official@example.org"
    )
    assert body.startswith("Maria Reyes 様")
    assert WHEN_JA in body and WHEN_EN in body
    assert body.index(WHEN_JA) < body.index(WHEN_EN)
    assert "場所：テーブル 1、ホールB" in body and "Where: Table 1, Hall B" in body
    assert "持ち物：参加証" in body and "Please bring: your badge" in body
    assert "PM" not in body and "11/14/23" not in body


async def test_an_online_meeting_says_how_to_join(session, session_maker, mailbox) -> None:
    w = await build_matching(session)
    body = await accepted_mail(session, session_maker, mailbox, w, w.online, w.bank, "online@example.org")
    assert body.startswith("Dear Nguyễn Thị Thu,")
    assert WHEN_EN in body and WHEN_JA in body
    assert "Where: Online" in body and "場所：オンライン" in body
    assert (
        "How to join: open the meeting page (the link below): the video room opens there 15 minutes" in body
    )
    assert "参加方法：下記の商談ページを開いてください。開始15分前からビデオ会議室に入れます。" in body
    assert "Please bring" not in body
