"""The demo's privacy notice: version 2023-1, the one the demo's registrations accepted. Idempotent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.i18n import translate
from ascc.privacy.models import NoticeVersion

VERSION = "2023-1"


def _text(lang: str) -> str:
    return "\n\n".join(translate(lang, f"privacy.notice_{n}") for n in range(1, 5))


async def load_notice(session: AsyncSession) -> bool:
    """Publish the built-in notice as version 2023-1 (effective 1 June 2023) unless a version exists."""
    if await session.scalar(select(NoticeVersion.id).limit(1)):
        return False
    session.add(
        NoticeVersion(
            version=VERSION, body_en=_text("en"), body_ja=_text("ja"), effective_on=date(2023, 6, 1)
        )
    )
    await session.flush()
    return True
