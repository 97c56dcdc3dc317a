"""The published figures of editions held before the platform, from the source documents (domain.md)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.reports import services as reports

EARLIER_EDITIONS = (
    {
        "number": "8",
        "label": "2019",
        "name_en": "8th Asia Smart City Conference",
        "name_ja": "第8回アジア・スマートシティ会議",
        "countries": "20",
        "participants": "850",
        "note": "With the ASEAN Smart Cities Network high-level meeting and the G20 Global Smart Cities "
        "Alliance: 20 countries, 57 cities, about 850 participants.",
    },
    {
        "number": "9",
        "label": "FY2020",
        "name_en": "9th Asia Smart City Conference (online)",
        "name_ja": "第9回アジア・スマートシティ会議（オンライン）",
        "participants": "1300",
        "participants_online": "1300",
        "meetings_held": "1000",
        "note": "Fully online on a digital platform: nearly 1,300 participants and 1,000 business matchings.",
    },
)


async def load_recorded(session: AsyncSession) -> int:
    """Record the earlier editions' figures (again: the same figures, so seeding twice changes nothing)."""
    for values in EARLIER_EDITIONS:
        await reports.save_recorded(session, None, dict(values))
    return len(EARLIER_EDITIONS)
