#!/usr/bin/env python3
"""Make a generated edition with N sessions (default 500) current, published, in ASCC_DATABASE_URL.

Used by bench/http --sessions N: 20 rooms, 6 tracks, 300 speakers, sessions over the edition's 3 days.
With --into SLUG the sessions join that existing edition instead (its rooms and days), published as its next
release: bench/http --compare keeps the demo's people, seats, badges and meetings beside a large programme.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.editions import services as editions
from ascc.programme import demo
from ascc.programme.schedule import FORMATS, KINDS
from ascc.taxonomy import SECTORS


def programme_data(
    count: int, rooms: list[str], seed: int = 12, first_day: date = date(2030, 11, 13)
) -> dict:
    rng = random.Random(seed)
    tracks = [
        {
            "key": f"t{n}",
            "name_en": f"Track {n}",
            "name_ja": f"トラック{n}",
            "colour": f"#{rng.randrange(0x1000000):06x}",
        }
        for n in range(6)
    ]
    speakers = [
        {
            "slug": f"speaker-{n}",
            "name": f"Speaker {n}",
            "name_local": f"登壇者 {n}",
            "affiliation_en": "City",
            "affiliation_ja": "市",
        }
        for n in range(300)
    ]
    sessions = []
    for n in range(count):
        day = first_day + timedelta(days=n % 3)
        slot = (n // 3) // len(rooms)
        start_minutes = 8 * 60 + (slot * 50) % (11 * 60)
        sessions.append(
            {
                "title_en": f"Session {n}: smart water and energy for cities",
                "title_ja": f"セッション{n}：都市の水とエネルギー",
                "abstract_en": "A generated session for the benchmark. " * 8,
                "abstract_ja": "ベンチマーク用に生成したセッションです。" * 8,
                "kind": rng.choice(KINDS),
                "day": day.isoformat(),
                "start": f"{start_minutes // 60:02d}:{start_minutes % 60:02d}",
                "end": f"{(start_minutes + 45) // 60:02d}:{(start_minutes + 45) % 60:02d}",
                "room": rooms[(n // 3) % len(rooms)],
                "track": f"t{n % 6}",
                "people": [[f"speaker-{rng.randrange(300)}", "speaker"] for _ in range(rng.randint(1, 3))],
                "format": rng.choice(FORMATS),
                "floor_language": rng.choice(["en", "ja"]),
                "interpretation": rng.choice([[], ["ja"], ["en"]]),
                "sdgs": [str(rng.randint(1, 17))],
                "sectors": [rng.choice(SECTORS)],
            }
        )
    return {"tracks": tracks, "speakers": speakers, "sessions": sessions, "release_note": "generated"}


async def main(count: int, into: str | None = None) -> None:
    db.load_models()
    engine = db.create_engine(os.environ["ASCC_DATABASE_URL"])
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        if into is not None:
            edition = await editions.get_by_slug(session, into)
            names = [r.name_en for r in await editions.list_rooms(session, edition.id)]
            data = programme_data(count, names, first_day=edition.starts_on)
            created = await demo.load_programme(session, edition, data, base_url="")
            await session.commit()
            await engine.dispose()
            print(f"edition {into}: {created} generated sessions added")
            return
        rooms = [
            editions.RoomInput(f"Room {n}", f"会議室 {n}", f"{n % 5 + 1}F", 100, n % 2 == 0)
            for n in range(20)
        ]
        data = editions.EditionInput(
            slug="bench2030",
            name_en="Generated edition",
            name_ja="生成された回",
            starts_on=date(2030, 11, 13),
            ends_on=date(2030, 11, 15),
            status="live",
            rooms=rooms,
        )
        edition = await editions.upsert(session, data)
        await editions.set_current(session, edition.slug)
        created = await demo.load_programme(
            session, edition, programme_data(count, [r.name_en for r in rooms]), base_url=""
        )
        await session.commit()
    await engine.dispose()
    print(f"generated edition bench2030: {created} sessions")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    target = None
    if "--into" in arguments:
        target = arguments.pop(arguments.index("--into") + 1)
        arguments.remove("--into")
    asyncio.run(main(int(arguments[0]) if arguments else 500, target))
