"""The demo's campaigns: a draft to Tour B's bookers, ready to preview and send. Running it twice adds nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.campaigns.models import Campaign
from ascc.tours import services as tours

if TYPE_CHECKING:
    from ascc.editions.models import Edition

TOUR_B_EN = """Dear {name},

Thank you for booking {tour}. The bus leaves at {tour_departs} sharp.

Meeting point: {meeting_point}
Please bring your badge and the ID document you registered; the facility checks it at the gate.
Comfortable shoes are recommended: part of the visit is outdoors.

Your agenda with the visit: {my_agenda_url}

The ASCC secretariat"""

TOUR_B_JA = """{name_local} 様

{tour}にお申し込みいただき、ありがとうございます。バスは{tour_departs}に定刻で出発します。

集合場所：{meeting_point}
参加証と、ご登録いただいた身分証明書をお持ちください。施設の入口で確認があります。
見学の一部は屋外のため、歩きやすい靴でお越しください。

視察を含むアジェンダ：{my_agenda_url}

アジア・スマートシティ会議 事務局"""


async def load_campaigns(session: AsyncSession, edition: Edition) -> int:
    """A draft campaign to the people booked on Tour B (essential: logistics), unless one exists."""
    if await session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.edition_id == edition.id)
    ):
        return 0
    tour_b = next((t for t in await tours.list_tours(session, edition.id) if t.code == "B"), None)
    if tour_b is None:
        return 0
    session.add(
        Campaign(
            edition_id=edition.id,
            name="Tour B: meeting point and what to bring",
            subject_en="{tour}: departure at {tour_departs}",
            subject_ja="{tour}：{tour_departs}出発のご案内",
            body_en=TOUR_B_EN,
            body_ja=TOUR_B_JA,
            segment=f"tour:{tour_b.id}",
            essential=True,
            rate_per_minute=60,
            status="draft",
        )
    )
    await session.flush()
    return 1
