"""What check-in tells webhook receivers (ascc/webhooks): a person checked in at a place.

Called by checkin.scan for a new check-in only (a duplicate or a replayed scan is not news), in the
scan's transaction. Ids and the place only: receivers know the person from registration.confirmed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.webhooks import payloads
from ascc.webhooks import services as webhooks


async def listeners(session: AsyncSession) -> list[int]:
    """The endpoints that take check-ins. Read by a scan before its first write, so that SQLite's write lock
    is not held across this query (an endpoint enabled in between sees the next check-in)."""
    return await webhooks.listeners(session, payloads.CHECKIN_RECORDED)


async def checked_in(
    session: AsyncSession,
    endpoint_ids: list[int],
    *,
    check_in_id: int,
    registration_id: int,
    edition_id: int,
    person_id: int,
    place_type: str,
    place_id: int | None,
    at: datetime,
) -> None:
    if not endpoint_ids:
        return
    event = payloads.check_in(
        check_in_id=check_in_id,
        registration_id=registration_id,
        edition_id=edition_id,
        person_id=person_id,
        place_type=place_type,
        place_id=place_id,
        at=at,
    )
    await webhooks.record(session, event, endpoint_ids)
