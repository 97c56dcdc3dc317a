"""Joining a delegation that already has a head: asking, the head's answer, withdrawing, and invitations that
answer the same whether an address has an account (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.mail import services as mail
from ascc.registration import delegations, joining, registering
from ascc.registration import services as registration
from ascc.registration.models import DelegationJoinRequest
from tests.registration.conftest import BASE, entry
from tests.support.web import link_in


async def register(session, edition, user, **changes):
    result = await registering.register(session, edition.id, user.id, entry(**changes), BASE)
    await session.commit()
    return result


async def city_with_head(session, edition, person, city="Cebu City"):
    """A registered head leading their city's delegation, and a colleague registered for the same city."""
    head_user = await person(f"head@{city.split()[0].lower()}.example.org", name="Maria Reyes")
    head = await register(session, edition, head_user, organization=city)
    await delegations.start_delegation(session, head)
    await session.commit()
    colleague = await register(
        session,
        edition,
        await person(
            f"colleague@{city.split()[0].lower()}.example.org", name="Jose Santos", name_local="ホセ"
        ),
        organization=city,
    )
    return head_user.id, colleague.id


async def mine(session, registration_id):
    return await registration.get_registration(session, registration_id)


async def test_a_colleague_asks_to_join_and_the_head_accepts(session, edition, person) -> None:
    head_id, colleague_id = await city_with_head(session, edition, person)
    offer = await joining.offer(session, await mine(session, colleague_id))
    assert offer is not None and offer.head_name == "Maria Reyes" and offer.open_request is None
    assert offer.delegation.organization.name_en == "Cebu City"
    request = await joining.ask(session, await mine(session, colleague_id), BASE)
    await session.commit()
    [asked] = [
        m for m in await mail.messages_to(session, "head@cebu.example.org") if m.kind.startswith("delegation")
    ]
    assert asked.kind == "delegation_join_request" and "Jose Santos (ホセ)" in asked.body_text
    assert f"{BASE}/delegation" in asked.body_text
    assert (await joining.offer(session, await mine(session, colleague_id))).open_request.id == request.id
    delegation = await delegations.delegation_of_head(session, edition.id, head_id)
    assert [r.registration.user.name_latin for r in await joining.open_requests(session, delegation)] == [
        "Jose Santos"
    ]
    await joining.answer(session, edition.id, head_id, request.id, True, BASE)
    await session.commit()
    joined = await mine(session, colleague_id)
    assert joined.delegation_id == delegation.id
    assert await joining.offer(session, joined) is None  # nothing left to ask
    delegation = await delegations.delegation_of_head(session, edition.id, head_id)
    assert [(line.email, line.invite_status) for line in await delegations.roster(session, delegation)] == [
        ("colleague@cebu.example.org", "accepted")
    ]
    assert await joining.open_requests(session, delegation) == []
    [accepted] = [
        m for m in await mail.messages_to(session, "colleague@cebu.example.org") if "join" in m.kind
    ]
    assert accepted.kind == "delegation_join_accepted" and "Maria Reyes" in accepted.body_text


async def test_a_declined_person_is_told_and_may_ask_again(session, edition, person) -> None:
    head_id, colleague_id = await city_with_head(session, edition, person)
    request_id = (await joining.ask(session, await mine(session, colleague_id), BASE)).id
    await session.commit()
    answered = await joining.answer(session, edition.id, head_id, request_id, False, BASE)
    await session.commit()
    assert answered.status == "declined" and (await mine(session, colleague_id)).delegation_id is None
    kinds = [m.kind for m in await mail.messages_to(session, "colleague@cebu.example.org")]
    assert kinds[-1] == "delegation_join_declined"
    with pytest.raises(DomainError) as closed:
        await joining.answer(session, edition.id, head_id, request_id, True, BASE)
    assert closed.value.code == "join_request_closed"
    await session.rollback()
    again = await joining.ask(session, await mine(session, colleague_id), BASE)
    await session.commit()
    assert again.id != request_id


async def test_one_open_request_per_person_and_it_can_be_withdrawn(session, edition, person) -> None:
    _, colleague_id = await city_with_head(session, edition, person)
    await joining.ask(session, await mine(session, colleague_id), BASE)
    await session.commit()
    with pytest.raises(DomainError) as twice:
        await joining.ask(session, await mine(session, colleague_id), BASE)
    assert twice.value.code == "join_already_asked"
    await session.rollback()
    assert await joining.withdraw(session, await mine(session, colleague_id)) is True
    await session.commit()
    assert await joining.withdraw(session, await mine(session, colleague_id)) is False
    assert (await joining.offer(session, await mine(session, colleague_id))).open_request is None


async def test_the_open_request_index_holds_even_without_the_lock(session, edition, person) -> None:
    _, colleague_id = await city_with_head(session, edition, person)
    request = await joining.ask(session, await mine(session, colleague_id), BASE)
    await session.commit()
    session.add(
        DelegationJoinRequest(
            delegation_id=request.delegation_id, registration_id=colleague_id, status="open"
        )
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        await session.flush()
    await session.rollback()
    count = await session.scalar(
        select(func.count()).where(
            DelegationJoinRequest.registration_id == colleague_id, DelegationJoinRequest.status == "open"
        )
    )
    assert count == 1


async def test_only_the_head_answers_and_nobody_asks_where_there_is_no_head(session, edition, person) -> None:
    _, colleague_id = await city_with_head(session, edition, person)
    other_head, _ = await city_with_head(session, edition, person, city="Danang City")
    request = await joining.ask(session, await mine(session, colleague_id), BASE)
    await session.commit()
    with pytest.raises(NotFound):
        await joining.answer(session, edition.id, other_head, request.id, True, BASE)
    await session.rollback()
    alone = await register(session, edition, await person(), organization="Yokohama City")
    assert await joining.offer(session, alone) is None
    with pytest.raises(DomainError) as nothing:
        await joining.ask(session, alone, BASE)
    assert nothing.value.code == "no_delegation_to_join"


async def test_invitations_answer_the_same_whether_or_not_the_address_has_an_account(
    session, edition, person
) -> None:
    head_id, _ = await city_with_head(session, edition, person)
    await person("account@example.org")  # an account, not registered
    delegation = await delegations.delegation_of_head(session, edition.id, head_id)
    for address in ("nobody@example.org", "account@example.org", "colleague@cebu.example.org"):
        invite = await delegations.invite_member(session, delegation, address, BASE, "en")
        assert invite.status == "invited"
        delegation = await delegations.delegation_of_head(session, edition.id, head_id)
    await session.commit()
    kinds = {
        a: [m.kind for m in await mail.messages_to(session, a)][-1]
        for a in ("nobody@example.org", "account@example.org", "colleague@cebu.example.org")
    }
    assert kinds == {
        "nobody@example.org": "delegation_invite",
        "account@example.org": "delegation_invite",
        "colleague@cebu.example.org": "delegation_invite_registered",
    }
    with pytest.raises(ValidationFailed) as own:
        await delegations.invite_member(session, delegation, "HEAD@cebu.example.org", BASE, "en")
    assert own.value.errors["email"][0] == "error.invite_self"


async def test_a_registered_person_joins_from_the_invitation_once(session, edition, person) -> None:
    head_id, colleague_id = await city_with_head(session, edition, person)
    await joining.ask(session, await mine(session, colleague_id), BASE)  # asked already: the invitation wins
    delegation = await delegations.delegation_of_head(session, edition.id, head_id)
    await delegations.invite_member(session, delegation, "colleague@cebu.example.org", BASE, "ja")
    await session.commit()
    [*_, message] = await mail.messages_to(session, "colleague@cebu.example.org")
    token = link_in(message.body_text, "/invite/").removeprefix("/invite/")
    colleague = await mine(session, colleague_id)
    await joining.join_by_invite(session, edition.id, colleague.user_id, token)
    await session.commit()
    joined = await mine(session, colleague_id)
    assert joined.delegation_id == delegation.id
    assert (await joining.offer(session, joined)) is None
    open_left = await session.scalar(
        select(func.count()).where(
            DelegationJoinRequest.registration_id == colleague_id, DelegationJoinRequest.status == "open"
        )
    )
    assert open_left == 0
    with pytest.raises(DomainError) as used:
        await joining.join_by_invite(session, edition.id, joined.user_id, token)
    assert used.value.code == "invite_used"


async def test_accepting_someone_who_joined_elsewhere_meanwhile_is_refused(session, edition, person) -> None:
    head_id, colleague_id = await city_with_head(session, edition, person)
    other_head, _ = await city_with_head(session, edition, person, city="Danang City")
    request = await joining.ask(session, await mine(session, colleague_id), BASE)
    other = await delegations.delegation_of_head(session, edition.id, other_head)
    await delegations.invite_member(session, other, "colleague@cebu.example.org", BASE, "en")
    await session.commit()
    [*_, message] = await mail.messages_to(session, "colleague@cebu.example.org")
    token = link_in(message.body_text, "/invite/").removeprefix("/invite/")
    await joining.join_by_invite(session, edition.id, (await mine(session, colleague_id)).user_id, token)
    await session.commit()
    with pytest.raises(DomainError) as refused:
        await joining.answer(session, edition.id, head_id, request.id, True, BASE)
    assert refused.value.code in ("already_in_delegation", "join_request_closed")
    await session.rollback()
    assert (await mine(session, colleague_id)).delegation_id == other.id
