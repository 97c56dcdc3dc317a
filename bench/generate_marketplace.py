#!/usr/bin/env python3
"""Add N solutions (default 2,000, from 200 exhibitors) and M city needs (default 500) to the current edition
of ASCC_DATABASE_URL, for bench/http --market. Texts recombine the demo's real sentences (fixed seed), so a
query like "汚泥" or "water treatment" hits a realistic share of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import clock, db
from ascc.editions import services as editions
from ascc.exhibitors.directory import refresh_need_search
from ascc.exhibitors.models import Exhibitor, Need, Solution
from ascc.exhibitors.services import refresh_search
from ascc.exhibitors.solutions import refresh_solution_search
from ascc.organizations import services as organizations

ROOT = Path(__file__).resolve().parent.parent


def sentences(texts: list[str], japanese: bool) -> list[str]:
    pattern = r"(?<=。)" if japanese else r"(?<=[.!?])\s+"
    return [s.strip() for t in texts for s in re.split(pattern, t) if s.strip()]


async def generate(solutions: int, needs: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    data = json.loads((ROOT / "seed" / "marketplace-2023.json").read_text("utf-8"))
    demo = [s for e in data["exhibitors"] for s in e["solutions"]]
    en = sentences([s["summary_en"] for s in demo] + [n["description_en"] for n in data["needs"]], False)
    ja = sentences([s["summary_ja"] for s in demo] + [n["description_ja"] for n in data["needs"]], True)
    db.load_models()
    engine = db.create_engine(os.environ["ASCC_DATABASE_URL"])
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await editions.current(session)
        per_exhibitor = 10
        for n in range(solutions // per_exhibitor):
            organization = await organizations.find_or_create(session, f"Generated Company {n:04d}", "JP")
            exhibitor = Exhibitor(
                edition_id=edition.id,
                organization_id=organization.id,
                name_en=f"Generated Company {n:04d}",
                name_ja=f"生成企業{n:04d}株式会社",
                home_city=rng.choice(["Yokohama", "Kawasaki", "Kitakyushu"]),
                country="JP",
                description_en=" ".join(rng.sample(en, 3)),
                description_ja="".join(rng.sample(ja, 3)),
                status="approved",
                approved_at=clock.now(),
            )
            exhibitor.solutions = []
            for _ in range(per_exhibitor):
                model = rng.choice(demo)
                solution = Solution(
                    title_en=model["title_en"],
                    title_ja=model["title_ja"],
                    summary_en=" ".join(rng.sample(en, 4)),
                    summary_ja="".join(rng.sample(ja, 4)),
                    sectors=model["sectors"],
                    sdgs=model["sdgs"],
                    countries=model["countries"],
                    reference_projects_en=model.get("reference_projects_en", ""),
                    reference_projects_ja=model.get("reference_projects_ja", ""),
                )
                solution.partners = []
                refresh_solution_search(solution, exhibitor, [])
                exhibitor.solutions.append(solution)
            refresh_search(exhibitor)
            session.add(exhibitor)
        cities = [await organizations.find_or_create(session, n["organization"]) for n in data["needs"]]
        for _ in range(needs):
            model = rng.choice(data["needs"])
            city = rng.choice(cities)
            need = Need(
                edition_id=edition.id,
                organization_id=city.id,
                city=city.name_en,
                country=city.country,
                title_en=model["title_en"],
                title_ja=model["title_ja"],
                description_en=" ".join(rng.sample(en, 4)),
                description_ja="".join(rng.sample(ja, 4)),
                sectors=model["sectors"],
                sdgs=model["sdgs"],
                budget_band=model["budget_band"],
                timeline=model["timeline"],
                financing=model["financing"],
            )
            refresh_need_search(need, city)
            session.add(need)
        await session.commit()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(
        generate(
            int(sys.argv[1]) if len(sys.argv) > 1 else 2000, int(sys.argv[2]) if len(sys.argv) > 2 else 500
        )
    )
