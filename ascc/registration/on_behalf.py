"""An organizer registers a person (who has an account) whatever the registration dates: the late arrival at
the desk, the guest of honour added after the close. The usual rules otherwise (category, quota, seats or the
waiting list, approval), the usual mail to the person, and an entry in the audit log."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.errors import ValidationFailed
from ascc.registration.models import Registration
from ascc.registration.registering import RegistrationInput, register
from ascc.text import clean_line


async def register_for(
    session: AsyncSession,
    edition_id: int,
    email: str,
    data: RegistrationInput,
    base_url: str,
    actor: audit.Actor | None,
    privacy_version: str | None = None,
) -> Registration:
    """Register the person whose account is `email`. `data.privacy_accepted`: the organizer confirms the
    person accepted the privacy notice (on paper at the desk, by mail)."""
    address = clean_line(email)
    user = await accounts.find_by_email(session, address) if address else None
    if user is None:
        raise ValidationFailed({"email": ("error.account_unknown", {})})
    registration = await register(
        session, edition_id, user.id, data, base_url, require_open=False, privacy_version=privacy_version
    )
    await audit.record(
        session,
        actor,
        "registration.register_for",
        "registration",
        registration.id,
        user.name_latin,
        after={"status": registration.status, "mode": registration.mode, "category": registration.category},
        edition_id=edition_id,
    )
    return registration
