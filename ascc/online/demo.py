"""The demo's online side: streams (placeholder addresses) for the hybrid and online sessions, and the SDGs
seminar's questions and poll as they might have gone (120 people in the room, about 30 online)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.online.models import LiveQuestion, LiveSettings, Poll, PollVote, QuestionVote, Stream
from ascc.programme import services as programme
from ascc.registration import services as registration

if TYPE_CHECKING:
    from ascc.editions.models import Edition

PANEL = "Panel: cities reporting on the SDGs"
KEYNOTE = "SDGs seminar keynote"
QUESTIONS = [  # (body, status, votes, anonymous, answer)
    (
        "How did Kuala Lumpur involve its districts in collecting data for the VLR?",
        "answered",
        14,
        False,
        "Through a working group with every district office; see the city's presentation.",
    ),
    ("VLRの作成にあたり、市民の参加をどのように確保しましたか？", "approved", 11, False, ""),
    ("Could CITYNET help smaller cities with a VLR template in local languages?", "approved", 9, False, ""),
    ("Đà Nẵng có kế hoạch cập nhật VLR hằng năm không?", "approved", 6, False, ""),
    ("What indicators do you use for SDG 11 where national data is missing?", "approved", 4, True, ""),
    ("Is the Y-SDGs certification open to companies outside Yokohama?", "pending", 0, False, ""),
]
POLL = (
    "Has your city published a Voluntary Local Review?",
    "あなたの都市はVLRを公表していますか？",
    [("Yes", "はい"), ("We are preparing one", "作成中"), ("Not yet", "まだ")],
    [9, 12, 7],
)


def _stream_urls(number: int, channels: list[str]) -> dict[str, str]:
    urls = {"floor": f"https://www.youtube.com/watch?v=ascc23s{number:04d}"}
    for channel in channels:
        urls[channel] = f"https://live.example.org/ascc2023/session-{number}/{channel}.m3u8"
    return urls


async def load_online(session: AsyncSession, edition: Edition) -> int:
    """Streams, questions and a poll; does nothing when the edition's sessions have streams already."""
    rows = [r for r in await programme.sessions_of(session, edition.id) if r.status == "published"]
    ids = [r.id for r in rows]
    if not ids or await session.scalar(
        select(func.count()).select_from(Stream).where(Stream.session_id.in_(ids))
    ):
        return 0
    created = 0
    for number, row in enumerate(rows, start=1):
        if row.format not in ("hybrid", "online"):
            continue
        channels = [c for c in ("ja", "en") if c in row.interpretation or c == row.floor_language]
        for channel, url in _stream_urls(number, channels).items():
            provider = "youtube" if "youtube" in url else "hls"
            session.add(Stream(session_id=row.id, channel=channel, provider=provider, url=url))
            created += 1
    people = [r for r in await registration.in_directory(session, edition.id) if r.status == "confirmed"]
    people.sort(key=lambda r: r.id)
    panel = next((r for r in rows if r.title_en.startswith(PANEL)), None)
    keynote = next((r for r in rows if r.title_en.startswith(KEYNOTE)), None)
    if panel is None or keynote is None or len(people) < 40:
        await session.flush()
        return created
    session.add(LiveSettings(session_id=panel.id, qa_open=True, qa_moderated=True))
    voters = [p.user_id for p in people[10:40]]
    for i, (body, status, votes, anonymous, answer) in enumerate(QUESTIONS):
        asker = people[i]
        author = asker.user.name_latin + (f" · {asker.organization.name_en}" if asker.organization else "")
        question = LiveQuestion(
            session_id=panel.id,
            user_id=asker.user_id,
            author=author,
            anonymous=anonymous,
            body=body,
            language="ja" if i == 1 else "en",
            status=status,
            answer=answer,
            votes=votes,
            created_at=panel.starts_at + timedelta(minutes=2 + 3 * i),
        )
        session.add(question)
        await session.flush()
        for user_id in voters[:votes]:
            session.add(QuestionVote(question_id=question.id, user_id=user_id))
    question_en, question_ja, options, counts = POLL
    poll = Poll(
        session_id=keynote.id,
        question_en=question_en,
        question_ja=question_ja,
        options=[{"en": en, "ja": ja} for en, ja in options],
        status="closed",
    )
    session.add(poll)
    await session.flush()
    voter = iter(p.user_id for p in people[:40])
    for option, count in enumerate(counts):
        for _ in range(count):
            session.add(PollVote(poll_id=poll.id, user_id=next(voter), option=option))
    await session.flush()
    return created
