#!/usr/bin/env python3
"""Make a generated edition current in ASCC_DATABASE_URL: N sessions (bench/generate_programme.py) and, in
bulk, P participants from 300 organizations in 40 countries, their entrance check-ins and session door
check-ins on the second day, viewing minutes, and M business meetings with feedback and follow-ups.

Usage: python bench/generate_edition.py [participants=5000] [sessions=200] [meetings=5000]
Used by bench/report. Rows go in with bulk inserts (minutes, not hours); the figures are plausible, not real.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_programme import main as generate_programme

from ascc import db
from ascc.accounts.models import User
from ascc.badges.models import CheckIn
from ascc.matching.models import FollowUp, Meeting, MeetingFeedback
from ascc.online.models import ViewingMinute
from ascc.organizations.models import Organization
from ascc.programme.models import ProgrammeSession
from ascc.registration.models import Registration

COUNTRIES = [
    "JP",
    "PH",
    "VN",
    "TH",
    "ID",
    "MY",
    "KH",
    "LA",
    "MM",
    "IN",
    "LK",
    "BD",
    "NP",
    "MN",
    "KR",
    "TW",
    "CN",
    "SG",
    "BT",
    "PK",
    "TL",
    "BN",
    "MV",
    "FJ",
    "PG",
    "AU",
    "NZ",
    "US",
    "GB",
    "FR",
    "DE",
    "KE",
    "ZA",
    "BR",
    "MX",
    "AE",
    "SA",
    "EG",
    "TR",
    "UZ",
]
KINDS = ["city", "city", "city", "company", "company", "international", "government", "academia", "ngo"]
CATEGORIES = ["city_official", "company", "international", "academia", "ngo", "press", "speaker"]
STATUS_WEIGHTS = {
    "held": 40,
    "scheduled": 15,
    "no_show": 5,
    "accepted": 10,
    "requested": 15,
    "declined": 10,
    "cancelled": 5,
}


async def generate(participants: int, sessions: int, meetings: int, seed: int = 2030) -> None:
    rng = random.Random(seed)
    await generate_programme(sessions)  # the edition bench2030, current, with its published sessions
    engine = db.create_engine(os.environ["ASCC_DATABASE_URL"])
    now = datetime.now(UTC)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        from ascc.editions import services as editions

        edition = await editions.get_by_slug(session, "bench2030")
        orgs = [
            {
                "name_en": f"Generated body {n}",
                "name_key": f"generated body {n}",
                "kind": KINDS[n % len(KINDS)],
                "country": COUNTRIES[n % len(COUNTRIES)],
                "name_ja": f"生成団体{n}",
            }
            for n in range(300)
        ]
        await session.execute(insert(Organization), orgs)
        org_rows = (
            await session.execute(
                select(Organization.id, Organization.country).where(
                    Organization.name_key.like("generated body %")
                )
            )
        ).all()
        users = [
            {
                "email": f"gen{n}@example.org",
                "email_key": f"gen{n}@example.org",
                "password_hash": "x",
                "name_latin": f"Participant {n}",
                "role": "delegate",
                "preferred_lang": "en" if n % 3 else "ja",
            }
            for n in range(participants)
        ]
        await session.execute(insert(User), users)
        user_ids = list(await session.scalars(select(User.id).where(User.email_key.like("gen%@example.org"))))
        registrations = []
        for n, user_id in enumerate(user_ids):
            org_id, country = org_rows[rng.randrange(len(org_rows))]
            registrations.append(
                {
                    "edition_id": edition.id,
                    "user_id": user_id,
                    "mode": "online" if n % 5 == 0 else "in_person",
                    "category": CATEGORIES[n % len(CATEGORIES)],
                    "status": "confirmed" if n % 20 else rng.choice(["pending", "waiting", "cancelled"]),
                    "organization_id": org_id,
                    "country": country,
                    "city": f"City {rng.randrange(120)}",
                    "privacy_version": "2023-1",
                    "privacy_accepted_at": now,
                    "badge_code": f"G{n:07d}"[:9],
                }
            )
        await session.execute(insert(Registration), registrations)
        regs = (
            await session.execute(
                select(Registration.id, Registration.user_id, Registration.mode).where(
                    Registration.edition_id == edition.id
                )
            )
        ).all()
        session_rows = (
            await session.execute(
                select(ProgrammeSession.id, ProgrammeSession.starts_at).where(
                    ProgrammeSession.edition_id == edition.id
                )
            )
        ).all()
        day = edition.starts_on + timedelta(days=1)
        opening = datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
        in_person = [r for r in regs if r.mode == "in_person"]
        check_ins = [
            {
                "edition_id": edition.id,
                "registration_id": r.id,
                "place_type": "entrance",
                "place_id": None,
                "place_key": f"entrance:{day}",
                "checked_in_at": opening + timedelta(minutes=rng.randrange(540)),
                "device_id": "gate-1",
            }
            for r in in_person
            if rng.random() < 0.7
        ]
        for r in in_person:
            if rng.random() < 0.5:
                target = session_rows[rng.randrange(len(session_rows))]
                check_ins.append(
                    {
                        "edition_id": edition.id,
                        "registration_id": r.id,
                        "place_type": "session",
                        "place_id": target.id,
                        "place_key": f"session:{target.id}",
                        "checked_in_at": target.starts_at,
                        "device_id": "door-1",
                    }
                )
        await session.execute(insert(CheckIn), check_ins)
        minutes = []
        for r in [r for r in regs if r.mode == "online"][:800]:
            target = session_rows[rng.randrange(len(session_rows))]
            start = target.starts_at
            minutes += [
                {"session_id": target.id, "user_id": r.user_id, "minute": start + timedelta(minutes=m)}
                for m in range(rng.randrange(5, 40))
            ]
        await session.execute(insert(ViewingMinute), minutes)
        statuses = [s for s, weight in STATUS_WEIGHTS.items() for _ in range(weight)]
        people = [r.user_id for r in regs]

        def pair() -> tuple[int, int]:  # two different people
            first = rng.randrange(len(people))
            return people[first], people[(first + 1 + rng.randrange(len(people) - 1)) % len(people)]

        pairs = [pair() for _ in range(meetings)]
        await session.execute(
            insert(Meeting),
            [
                {
                    "edition_id": edition.id,
                    "requester_id": pairs[n][0],
                    "recipient_id": pairs[n][1],
                    "status": rng.choice(statuses),
                    "version": 1,
                    "room_token": f"bench{n:08d}",
                }
                for n in range(meetings)
            ],
        )
        held = (
            await session.execute(
                select(Meeting.id, Meeting.requester_id).where(
                    Meeting.edition_id == edition.id, Meeting.status == "held"
                )
            )
        ).all()
        outcomes = ["informative", "cooperation_possible", "follow_up"]
        await session.execute(
            insert(MeetingFeedback),
            [
                {"meeting_id": m.id, "user_id": m.requester_id, "outcome": outcomes[i % 3], "follow_up": []}
                for i, m in enumerate(held)
            ],
        )
        await session.execute(
            insert(FollowUp),
            [
                {
                    "meeting_id": m.id,
                    "month": 6,
                    "status": ["in_contact", "feasibility_study", "pilot", "contract"][i % 4],
                }
                for i, m in enumerate(held[: len(held) // 3])
            ],
        )
        await session.commit()
        print(
            f"generated: {len(regs)} participants, {len(session_rows)} sessions, {meetings} meetings, "
            f"{len(check_ins)} check-ins, {len(minutes)} viewing minutes (conference day {day})"
        )
    await engine.dispose()


if __name__ == "__main__":
    db.load_models()
    numbers = [int(a) for a in sys.argv[1:4]]
    asyncio.run(generate(*(numbers + [5000, 200, 5000][len(numbers) :])))
