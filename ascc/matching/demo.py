"""The demo edition's business matching: two sessions of slots, profiles, and about 300 requests among the
seeded participants (most accepted; those of the first day scheduled and held, with outcomes).

Requests are written as data, not sent through `meetings.send_request`: a seed must not mail 300 people.
The day-one placements come from the scheduler itself, so they keep every rule a real run keeps.
"""

from __future__ import annotations

import random
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.matching import scheduler
from ascc.matching import services as matching
from ascc.matching.models import Meeting, MeetingFeedback, MeetingSeat
from ascc.registration import services as registration

if TYPE_CHECKING:
    from ascc.editions.models import Edition

SESSIONS = (
    {
        "name_en": "Business matching, day 2",
        "name_ja": "ビジネスマッチング（2日目）",
        "day": "2023-11-14",
        "starts": "13:30",
        "ends": "17:00",
        "slot_minutes": "25",
        "break_minutes": "5",
        "tables": "30",
        "online_rooms": "8",
        "location_en": "Hall B, business matching area",
        "location_ja": "ホールB ビジネスマッチングエリア",
    },
    {
        "name_en": "Business matching, day 3",
        "name_ja": "ビジネスマッチング（3日目）",
        "day": "2023-11-15",
        "starts": "13:00",
        "ends": "16:00",
        "slot_minutes": "25",
        "break_minutes": "5",
        "tables": "30",
        "online_rooms": "8",
        "location_en": "Hall B, business matching area",
        "location_ja": "ホールB ビジネスマッチングエリア",
    },
)
PROFILES = {
    "delegate@example.org": {
        "sectors": ["water", "waste"],
        "offers": "Cebu City's experience with barangay-level solid waste segregation.",
        "seeks": "Septage treatment and sludge dewatering for areas without sewers; non-revenue water reduction.",
    },
    "exhibitor@example.org": {
        "sectors": ["water", "waste", "energy"],
        "offers": "Yokohama's public-private water, waste and energy know-how through YUSA member companies.",
        "seeks": "Cities preparing water, sanitation or waste projects with JICA or ADB financing.",
    },
}
MESSAGES = (
    "We would like to learn how your solution could work in our city.",
    "御社の技術について、当市の課題に合うかお話を伺いたいです。",
    "Could we discuss a possible feasibility study next year?",
    "Chúng tôi muốn trao đổi về hợp tác trong lĩnh vực nước sạch.",
    "",
)


async def load_matching(session: AsyncSession, edition: Edition, requests: int = 300) -> int:
    """Sessions, profiles and requests of the demo; returns the number of requests made (0 when present)."""
    if not await matching.list_sessions(session, edition.id):
        for values in SESSIONS:
            await matching.save_session(session, edition, None, values)
    for email, profile in PROFILES.items():
        mine = await _user_id(session, email)
        if mine and await matching.get_profile(session, edition.id, mine) is None:
            await matching.save_profile(session, edition.id, mine, {**profile, "formats": []})
    existing = await session.scalar(select(func.count()).where(Meeting.edition_id == edition.id))
    if existing:
        return 0
    return await _requests(session, edition, requests)


async def _user_id(session: AsyncSession, email: str) -> int | None:
    user = await accounts.find_by_email(session, email)
    return user.id if user else None


async def _requests(session: AsyncSession, edition: Edition, count: int) -> int:
    listed = await registration.in_directory(session, edition.id)
    settings = await matching.get_settings(session, edition.id)
    officials = [r for r in listed if r.category == "city_official"]
    partners = [r for r in listed if r.category in ("company", "international")]
    rng = random.Random("ascc2023-matching")
    pairs: dict[tuple[int, int], tuple[Any, Any]] = {}
    demo = {
        email: await _user_id(session, email) for email in ("delegate@example.org", "exhibitor@example.org")
    }
    # The demo accounts first: the delegate asked YUSA's Kenji Watanabe, who has not answered yet.
    by_user = {r.user_id: r for r in listed}
    if demo["delegate@example.org"] in by_user and demo["exhibitor@example.org"] in by_user:
        pairs[(demo["delegate@example.org"], demo["exhibitor@example.org"])] = (
            by_user[demo["delegate@example.org"]],
            by_user[demo["exhibitor@example.org"]],
        )
    while len(pairs) < count and officials and partners:
        official, partner = rng.choice(officials), rng.choice(partners)
        a, b = (official, partner) if rng.random() < 0.6 else (partner, official)
        if (a.user_id, b.user_id) in pairs or (b.user_id, a.user_id) in pairs:
            continue
        if not matching.may_meet(settings, a.category, b.category):
            continue
        pairs[(a.user_id, b.user_id)] = (a, b)
    now = clock.now()
    rows = []
    for index, (a, b) in enumerate(pairs.values()):
        roll = rng.random()
        status = (
            "requested"
            if index == 0 or roll < 0.12
            else "declined"
            if roll < 0.2
            else "cancelled"
            if roll < 0.24
            else "accepted"
        )
        both_in_person = a.mode == b.mode == "in_person"
        rows.append(
            Meeting(
                edition_id=edition.id,
                requester_id=a.user_id,
                recipient_id=b.user_id,
                message=rng.choice(MESSAGES),
                priority="must" if rng.random() < 0.3 else "would_like",
                format="in_person" if both_in_person else ("online" if a.mode == b.mode else "hybrid"),
                status=status,
                answered_by_id=b.user_id if status in ("accepted", "declined") else None,
                answered_at=now if status in ("accepted", "declined") else None,
                room_token=secrets.token_urlsafe(18),
                interpreter_needed=(a.interpretation != "none") != (b.interpretation != "none"),
            )
        )
    session.add_all(rows)
    await session.flush()
    accepted = [m for m in rows if m.status == "accepted"]
    day_two = [m for m in accepted if rng.random() < 0.5]
    await _place(session, edition, day_two, 0, rng, held=True)
    # A quarter of the rest is scheduled on day 3; the others wait for the organizers' "schedule all".
    rest = [m for m in accepted if m.status == "accepted" and m.id != rows[0].id]
    await _place(session, edition, [m for m in rest if rng.random() < 0.25], 1, rng, held=False)
    return len(rows)


async def _place(
    session: AsyncSession, edition: Edition, chosen: list[Meeting], day: int, rng: random.Random, held: bool
) -> None:
    """Meetings placed by the scheduler into one session; on the past day they were held, most with feedback."""
    sessions = await matching.list_sessions(session, edition.id)
    slots = sessions[day].slots
    people = sorted({p for m in chosen for p in (m.requester_id, m.recipient_id)})
    busy = await matching.busy_of(session, edition.id, people)
    free = {p: matching.free_slot_ids(slots, busy.get(p, [])) for p in people}
    problem = [
        scheduler.Meeting(
            m.id,
            (m.requester_id, m.recipient_id),
            m.weight,
            frozenset(free[m.requester_id] & free[m.recipient_id]),
            scheduler.IN_PERSON if m.format == "in_person" else scheduler.ONLINE,
        )
        for m in chosen
    ]
    places = [scheduler.Slot(s.id, sessions[day].tables, sessions[day].online_rooms) for s in slots]
    result = scheduler.schedule(problem, places)
    by_id = {m.id: m for m in chosen}
    for meeting_id, (slot_id, number) in result.placed.items():
        m = by_id[meeting_id]
        m.slot_id, m.place, m.place_number = slot_id, "table" if m.format == "in_person" else "room", number
        m.status = "scheduled" if not held else "held" if rng.random() < 0.85 else "no_show"
        if m.status == "scheduled":
            session.add_all(
                MeetingSeat(meeting_id=m.id, slot_id=slot_id, user_id=u)
                for u in (m.requester_id, m.recipient_id)
            )
        elif m.status == "held":
            slot = next(s for s in slots if s.id == slot_id)
            m.checked_in_at = m.requester_checked_in_at = m.recipient_checked_in_at = slot.starts_at
            outcome = rng.choice(("informative", "informative", "cooperation_possible", "follow_up"))
            session.add(
                MeetingFeedback(
                    meeting_id=m.id,
                    user_id=m.recipient_id,
                    outcome=outcome,
                    follow_up=["feasibility_study"] if outcome == "follow_up" else [],
                )
            )
            session.add_all(
                MeetingSeat(meeting_id=m.id, slot_id=slot_id, user_id=u)
                for u in (m.requester_id, m.recipient_id)
            )
        else:
            m.place_number = None
    await session.flush()
