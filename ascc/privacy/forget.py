"""Deleting one's account and forgetting a person: every domain lets go of what it holds about them.

The person's own choice (`delete_account`) and the retention rules (`privacy.services.apply`, for people of
editions long past) both come here; each domain's service removes or anonymizes its own rows.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.exhibitors import staff
from ascc.mail import services as mail
from ascc.matching import services as matching
from ascc.messages import services as messages
from ascc.network import services as network
from ascc.online import questions as online
from ascc.programme import feedback
from ascc.registration import visa
from ascc.registration.consents import CONSENTS
from ascc.registration.delegations import hand_over
from ascc.registration.models import ACTIVE_STATUSES, DelegationInvite, Registration
from ascc.registration.registering import cancel
from ascc.webhooks import services as webhooks


async def delete_account(session: AsyncSession, user_id: int, base_url: str) -> None:
    """Personal data goes; what reports count (category, country, mode of past registrations) stays, unnamed."""
    registrations = (await session.scalars(select(Registration).where(Registration.user_id == user_id))).all()
    for registration in registrations:
        if registration.status in ACTIVE_STATUSES:
            await cancel(session, registration, base_url, notify=False)
    await forget_person(session, user_id)


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """Anonymize a person without touching their registrations' status (so past editions' figures stay):
    the account, the registrations' personal fields and consents, delegations they led, their mail, and what
    they wrote elsewhere (questions' author line, matching and network texts, staff invitations, audit names).

    `delete_account` (the person's own choice) cancels their open registrations first; the retention rules
    (privacy.services.apply) call this directly for people of editions long past.
    """
    registrations = (await session.scalars(select(Registration).where(Registration.user_id == user_id))).all()
    for registration in registrations:
        registration.position = registration.city = registration.dietary = registration.accessibility = None
        registration.answers, registration.interests, registration.note = {}, [], None
        for name in CONSENTS:
            setattr(registration, name, False)
    await hand_over(session, user_id)
    await visa.forget_person(session, user_id)  # passport data given for visa letters
    user = await accounts.get_user(session, user_id)
    await session.execute(delete(DelegationInvite).where(DelegationInvite.email_key == user.email.casefold()))
    address = user.email
    await mail.forget_recipient(session, address)
    await staff.forget_invites(session, address)
    await online.forget_author(session, user_id)
    await matching.forget_person(session, user_id)
    await messages.forget_person(session, user_id)  # what they wrote to others, their blocks and reports
    await network.forget_member(session, user_id)
    await feedback.forget_person(session, user_id)  # ratings stay for the averages, unnamed; comments go
    await webhooks.forget_person(session, user_id)  # deliveries that carry their name, sent or waiting
    await accounts.anonymize(session, user_id)
    user = await accounts.get_user(session, user_id)
    await audit.forget_actor(session, user_id, user.name_latin)
