"""What registration tells webhook receivers (ascc/webhooks): a registration confirmed, or cancelled.

Called by registering.py after a status change, in the change's own transaction: a change that rolls back
records nothing, a committed one is delivered.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.organizations import services as organizations
from ascc.registration.models import Registration
from ascc.webhooks import payloads
from ascc.webhooks import services as webhooks


async def name_and_organization(
    session: AsyncSession, user_id: int, organization_id: int | None
) -> tuple[str, str | None]:
    """What an event names a person by: the Latin name and the organization's English name, nothing more."""
    user = await accounts.get_user(session, user_id)
    organization = (await organizations.get(session, organization_id)).name_en if organization_id else None
    return user.name_latin, organization


async def status_changed(session: AsyncSession, registration: Registration, was: str | None) -> None:
    """`was`: the status before the change (None: a new registration)."""
    now, status = clock.now(), registration.status
    if status == "confirmed" and was != "confirmed":

        async def confirmed() -> payloads.Event:
            name, organization = await name_and_organization(
                session, registration.user_id, registration.organization_id
            )
            return payloads.registration_confirmed(
                registration_id=registration.id,
                edition_id=registration.edition_id,
                person_id=registration.user_id,
                name=name,
                organization=organization,
                category=registration.category,
                mode=registration.mode,
                at=now,
            )

        await webhooks.emit(session, payloads.REGISTRATION_CONFIRMED, confirmed)
    elif (status == "cancelled" and was != "cancelled") or (status == "rejected" and was == "confirmed"):
        # A confirmed place withdrawn by an organizer ends like a cancellation for a receiver.

        async def cancelled() -> payloads.Event:
            return payloads.registration_cancelled(
                registration_id=registration.id,
                edition_id=registration.edition_id,
                person_id=registration.user_id,
                category=registration.category,
                mode=registration.mode,
                status=status,
                at=now,
            )

        await webhooks.emit(session, payloads.REGISTRATION_CANCELLED, cancelled)
