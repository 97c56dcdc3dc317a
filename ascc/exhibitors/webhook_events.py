"""What lead retrieval tells webhook receivers (ascc/webhooks): a lead recorded, to that exhibitor's own
endpoint only. Called by leads.record in the scan's transaction, for a new lead only (the attendee opted in
to scanning; a repeated scan is not news)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.exhibitors.models import Exhibitor, Lead
from ascc.registration import services as registration
from ascc.registration.webhook_events import name_and_organization
from ascc.webhooks import payloads
from ascc.webhooks import services as webhooks


async def lead_recorded(
    session: AsyncSession, exhibitor: Exhibitor, lead: Lead, attendee: registration.Registration
) -> None:
    async def build() -> payloads.Event:
        name, organization = await name_and_organization(session, attendee.user_id, attendee.organization_id)
        return payloads.lead_recorded(
            lead_id=lead.id,
            exhibitor_id=exhibitor.id,
            edition_id=exhibitor.edition_id,
            person_id=attendee.user_id,
            name=name,
            organization=organization,
            category=attendee.category,
            at=lead.scanned_at,
        )

    await webhooks.emit(session, payloads.LEAD_RECORDED, build, exhibitor_id=exhibitor.id)
