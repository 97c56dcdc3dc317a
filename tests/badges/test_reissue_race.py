"""Two organizers reissuing one lost badge at the same moment (both databases): the person is locked first,
so the reissues run one after the other. One badge stays in force, each replaced short code is retired
(and answers REVOKED), and the code in force is none of them."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from ascc.badges import checkin
from ascc.badges import services as badges
from ascc.badges.models import Badge, RetiredBadgeCode
from ascc.registration import registering
from ascc.registration import services as registration
from tests.factories import make_edition, make_user


async def test_two_reissues_at_once_leave_one_badge_and_every_old_code_revoked(session_maker) -> None:
    async with session_maker() as session:
        edition = await make_edition(session, "ascc2023")
        person = await make_user(session, "lost@example.org", name="Nguyễn Thị Minh Khai")
        reg = await registering.register(
            session,
            edition.id,
            person.id,
            registering.RegistrationInput(mode="in_person", category="company", privacy_accepted=True),
            "http://x",
            notify=False,
        )
        await badges.current_badge(session, reg)
        first_code, reg_id, edition_id = reg.badge_code, reg.id, edition.id
        await session.commit()

    async def reissue(reason: str) -> str:
        async with session_maker() as session:
            old, _ = await badges.reissue(
                session, await registration.get_registration(session, reg_id), "http://x", reason
            )
            await session.commit()
            return old

    olds = await asyncio.gather(reissue("lost"), reissue("stolen"))

    async with session_maker() as session:
        reg = await registration.get_registration(session, reg_id)
        in_force = await session.scalar(
            select(func.count()).where(Badge.registration_id == reg_id, Badge.revoked_at.is_(None))
        )
        retired = set((await session.scalars(select(RetiredBadgeCode.code))).all())
        answers = [
            await checkin.scan(
                session,
                edition_id,
                checkin.ScanInput(code=code, place_type="entrance", place_id=None, device_id="gate-1"),
                None,
            )
            for code in sorted(retired)
        ]
    assert in_force == 1
    assert first_code in olds and len(set(olds)) == 2 and retired == set(olds)
    assert reg.badge_code not in retired
    assert [a.result for a in answers] == ["revoked", "revoked"]
