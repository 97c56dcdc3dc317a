"""An organizer's decisions on registrations, one or many at once: approve, reject, cancel and reopen.

Each decision may carry a reason, which the person receives in the mail and the audit log keeps; each can
be taken back: a rejected or cancelled registration is reopened and claims a place as a new registration
would (a free place, else the waiting list; its organization's quota counts). The organizers' page shows
whom a decision reaches before it is made (`preview`); `decide_many` makes it.

Under concurrency: everyone concerned is locked first, in id order (locks.lock_people), and each
registration is read again after that; its seat pool is locked by the change itself (capacity.lock_pool in
claim and release): people before pools, as everywhere. Two organizers reopening two registrations for
the last place at once: the pool's lock lets one claim it, the other then finds it taken and waits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import locks
from ascc.audit import services as audit
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.registration import registering
from ascc.registration.models import ACTIVE_STATUSES, Registration
from ascc.registration.organizer import registration_label
from ascc.registration.services import get_registration
from ascc.text import FieldError, optional_block

# What each decision applies to; selected registrations in another status are left as they are.
ACTIONS: dict[str, tuple[str, ...]] = {
    "approve": ("pending",),
    "reject": ACTIVE_STATUSES,
    "cancel": ("confirmed", "waiting"),
    "reopen": registering.REOPENABLE_STATUSES,
}


@dataclass(frozen=True)
class Preview:
    action: str
    applies: list[Registration]  # what the decision changes, with person and organization
    left: list[Registration]  # selected, but the decision does not fit their status


def check_action(action: str) -> str:
    if action not in ACTIONS:
        raise ValidationFailed({"action": ("error.choice_invalid", {})})
    return action


def clean_reason(reason: str | None) -> str | None:
    """The reason as the person will read it (several lines allowed), or None."""
    try:
        return optional_block("reason", reason, registering.NOTE_MAX) or None
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc


async def _selected(session: AsyncSession, edition_id: int, ids: list[int]) -> list[Registration]:
    wanted = sorted(set(ids))
    rows = await session.scalars(
        select(Registration)
        .where(Registration.id.in_(wanted))
        .options(joinedload(Registration.user), joinedload(Registration.organization))
        .order_by(Registration.id)
    )
    found = list(rows.unique().all())
    if len(found) != len(wanted) or any(r.edition_id != edition_id for r in found):
        raise NotFound("registration")
    return found


async def preview(session: AsyncSession, edition_id: int, ids: list[int], action: str) -> Preview:
    """Whom a decision would change and whom it leaves as they are, for the confirmation step."""
    fits = ACTIONS[check_action(action)]
    selected = await _selected(session, edition_id, ids)
    return Preview(
        action,
        [r for r in selected if r.status in fits],
        [r for r in selected if r.status not in fits],
    )


async def decide_many(
    session: AsyncSession,
    edition_id: int,
    ids: list[int],
    action: str,
    base_url: str,
    actor: audit.Actor | None = None,
    reason: str | None = None,
) -> int:
    """Make the decision for each selected registration it fits; returns how many changed. Each person is
    mailed their new status with the reason; each change is one audit entry. A reopening the organization's
    quota has no room for is left as it is."""
    fits = ACTIONS[check_action(action)]
    reason = clean_reason(reason)
    wanted = sorted(set(ids))
    verb = f"bulk_{action}" if len(wanted) > 1 else action
    # Everyone concerned first, in id order, then the pool (in each change): people -> pools, as everywhere.
    people = await session.scalars(select(Registration.user_id).where(Registration.id.in_(wanted)))
    await locks.lock_people(session, *people.all())
    done = 0
    for registration_id in wanted:
        registration = await get_registration(session, registration_id)  # read again, after the lock
        if registration.edition_id != edition_id:
            raise NotFound("registration")
        if registration.status not in fits:
            continue
        before = {"status": registration.status}
        if action in ("approve", "reject"):
            await registering.decide(session, registration, action == "approve", base_url, note=reason)
        elif action == "cancel":
            await registering.cancel(session, registration, base_url, note=reason)
        else:
            try:
                await registering.reopen(session, registration, base_url, note=reason)
            except DomainError as exc:
                if exc.code != "quota_full":  # refused before anything was written
                    raise
                continue
        done += 1
        await audit.record(
            session,
            actor,
            f"registration.{verb}",
            "registration",
            registration.id,
            registration_label(registration),
            before=before,
            after={"status": registration.status, **({"note": reason} if reason else {})},
            edition_id=edition_id,
        )
    return done
