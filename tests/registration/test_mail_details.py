"""The registration confirmation is what people keep: in person it gives the days, the venue and what to
bring; online, the days in conference time and how to watch. Read from a real SMTP server, in both languages."""

from __future__ import annotations

import pytest

from ascc.mail import services as mail
from ascc.registration import registering
from tests.factories import make_edition, make_user
from tests.registration.conftest import BASE, entry

SENDER = "ASCC <noreply@ascc.example.org>"
DAYS_EN = "When: Monday 13 – Wednesday 15 November 2023"
DAYS_JA = "日時：2023年11月13日(月)～15日(水)"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """What a mail says does not depend on the database: one is enough."""
    return sqlite_url


@pytest.fixture
async def edition_id(session) -> int:
    created = await make_edition(
        session,
        "ascc2023",
        venue_address_en="1-1-1 Minatomirai, Nishi-ku, Yokohama",
        venue_address_ja="横浜市西区みなとみらい1-1-1",
    )
    return created.id


async def confirmation(
    session, session_maker, mailbox, edition_id: int, email: str, lang: str, mode: str
) -> str:
    user = await make_user(session, email, preferred_lang=lang)
    registration = await registering.register(session, edition_id, user.id, entry(mode=mode), BASE)
    assert registration.status == "confirmed"
    await session.commit()
    await mail.deliver_due(session_maker, mailbox.url, SENDER)
    [message] = mailbox.to(email)
    assert str(message["Subject"]).startswith(
        "参加登録が確定しました" if lang == "ja" else "Registration confirmed"
    )
    return message.get_content()


async def test_in_person_the_confirmation_gives_the_days_the_venue_and_what_to_bring(
    session, session_maker, mailbox, edition_id
) -> None:
    body = await confirmation(
        session, session_maker, mailbox, edition_id, "maria@example.org", "en", "in_person"
    )
    assert DAYS_EN in body and DAYS_JA in body
    assert "Where: Pacifico Yokohama North, 1-1-1 Minatomirai, Nishi-ku, Yokohama" in body
    assert "場所：パシフィコ横浜ノース、横浜市西区みなとみらい1-1-1" in body
    assert f"Please bring: your badge, on your phone ({BASE}/badge)" in body
    assert f"持ち物：スマートフォンの参加証（{BASE}/badge）" in body
    assert body.index(DAYS_EN) < body.index(DAYS_JA)  # English first for an English reader
    assert "How to join" not in body


async def test_online_the_confirmation_says_when_in_conference_time_and_how_to_watch(
    session, session_maker, mailbox, edition_id
) -> None:
    body = await confirmation(
        session, session_maker, mailbox, edition_id, "kenji@example.org", "ja", "online"
    )
    assert f"{DAYS_JA}（プログラムの時刻は日本時間）" in body
    assert f"{DAYS_EN} (the programme's times are JST)" in body
    assert f"参加方法：{BASE}/now にサインインすると" in body and "開始15分前から配信" in body
    assert f"How to join: sign in at {BASE}/now" in body and "15 minutes before the start" in body
    assert f"{BASE}/agenda" in body
    assert body.index(DAYS_JA) < body.index(DAYS_EN)  # Japanese first for a Japanese reader
    assert "Where:" not in body and "Please bring" not in body
