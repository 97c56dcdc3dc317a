"""The year-round network's rules on both databases: joining and leaving, the directory and its search in
any language, bringing an earlier need into the current edition, and off-season meetings."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select, update

from ascc import clock
from ascc.accounts import services as accounts
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors import directory as needs_directory
from ascc.mail.models import OutboxMessage
from ascc.network import carry_over, directory, joining, meetings
from ascc.network import services as network
from ascc.network.models import CarriedOver, NetworkChoice, NetworkMeeting, NetworkMember
from ascc.registration import services as registration
from tests.factories import make_user
from tests.network.conftest import BASE, PASSWORD, build_network, next_edition


@pytest.fixture
async def world(session):
    return await build_network(session)


async def _names(session, q: str = "", country: str = "", sector: str = "") -> list[str]:
    cards = directory.select_cards(
        await directory.cards(session), directory.DirectoryQuery(q, country, sector)
    )
    return [c.name for c in cards]


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def _outbox(session, kind: str) -> list[OutboxMessage]:
    return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


# --- opt-in and leaving ---------------------------------------------------------------------------------


async def test_directory_finds_vietnamese_names_typed_without_accents(session, world) -> None:
    for typed in ("nguyen thi thu", "NGUYỄN thi", "ｎｇｕｙｅｎ"):
        assert await _names(session, typed) == ["Nguyễn Thị Thu"], typed


async def test_joining_and_leaving_are_recorded_with_their_dates(session, world) -> None:
    assert await network.member_ids(session) == {world.official, world.bank, world.online}
    await joining.leave(session, world.bank, BASE)
    await session.commit()
    assert world.bank not in await network.member_ids(session)
    assert "Akane Shimizu" not in await _names(session)  # gone from the directory at once
    member = await network.membership(session, world.bank)
    assert member.left_at == datetime.fromisoformat("2024-03-01T09:00+09:00")
    # Joining again opens a new period; every choice stays on record.
    await joining.join(session, world.bank, {"headline": "Back", "timezone": "Asia/Tokyo"})
    await session.commit()
    assert [(c.action, c.via) for c in await network.choices_of(session, world.bank)] == [
        ("join", "account"),
        ("leave", "account"),
        ("join", "account"),
    ]
    assert "Akane Shimizu" in await _names(session)


async def test_bad_profile_input_saves_nothing(session, world) -> None:
    outsider_id = (await make_user(session, "outsider@example.org", name="Out Sider")).id
    before = await _count(session, NetworkChoice)
    with pytest.raises(ValidationFailed) as caught:
        await joining.join(session, outsider_id, {"headline": "x" * 301, "timezone": "Mars/Olympus"})
    assert set(caught.value.errors) == {"headline", "timezone"}
    await session.rollback()
    assert await _count(session, NetworkChoice) == before
    assert not await network.is_member(session, outsider_id)


async def test_hostile_and_multilingual_input_survives(session, world, inputs) -> None:
    texts = [*inputs["hostile"], *inputs["unicode_traps"], *(n["local"] for n in inputs["names"])]
    for text in texts:
        await joining.join(
            session, world.bank, {"headline": text, "interests": text, "timezone": "Asia/Tokyo"}
        )
        await session.commit()
        card = await directory.member_card(session, world.bank)
        assert "\x00" not in card.headline and "\n" not in card.headline  # one clean line
        directory.select_cards([card], directory.DirectoryQuery(text))  # any text is a query, never an error
        rows = directory.csv_rows([card])
        assert rows[0][0] == "Akane Shimizu"
    # Overlong input is refused with the field named, and what was saved before stays.
    with pytest.raises(ValidationFailed) as caught:
        await joining.join(session, world.bank, {"interests": "x" * inputs["lengths"]["overlong"]})
    assert set(caught.value.errors) == {"interests"}
    await session.rollback()
    assert (await directory.member_card(session, world.bank)).headline == texts[-1].strip()


# --- the directory -------------------------------------------------------------------------------------


async def test_directory_describes_members_across_editions(session, world) -> None:
    card = await directory.member_card(session, world.official)
    assert card.organization_en == "Cebu City" and card.category == "city_official"
    assert card.headline == "下水汚泥処理とごみの分別（セブ市）"
    assert [e.year for e in card.editions] == [2023]
    assert [n.title_en for n in card.needs] == [
        "Septage and sludge dewatering for a city with no sewer network"
    ]
    with pytest.raises(NotFound):
        await directory.member_card(session, world.company)  # registered, but not in the network


async def test_search_in_japanese_and_vietnamese(session, world) -> None:
    assert await _names(session, "汚泥") == ["Maria Reyes"]  # inside 下水汚泥処理: no spaces needed
    assert await _names(session, "セブ") == ["Maria Reyes"]
    assert await _names(session, "せぶ") == ["Maria Reyes"]  # hiragana finds katakana
    assert await _names(session, "Đà Nẵng") == ["Nguyễn Thị Thu"]
    assert await _names(session, "ĐÀ NẴNG") == ["Nguyễn Thị Thu"]  # case folded
    decomposed = unicodedata.normalize("NFD", "chống ngập")
    assert await _names(session, decomposed) == ["Nguyễn Thị Thu"]  # a Vietnamese keyboard's combining marks
    assert await _names(session, "JICA sanitation") == ["Akane Shimizu"]
    assert await _names(session, "nothing-like-this") == []


async def test_filters_by_country_and_sector(session, world) -> None:
    assert await _names(session, country="PH") == ["Akane Shimizu", "Maria Reyes", "Nguyễn Thị Thu"]
    assert await _names(session, country="JP") == []
    assert await _names(session, sector="water") == []
    await session.execute(
        registration.Registration.__table__.update()
        .where(registration.Registration.user_id == world.online)
        .values(interests=["water"], country="VN")
    )
    await session.commit()
    assert await _names(session, sector="water") == ["Nguyễn Thị Thu"]
    assert await _names(session, country="VN") == ["Nguyễn Thị Thu"]
    assert await _names(session, "Vietnam") == ["Nguyễn Thị Thu"]
    assert await _names(session, "ベトナム") == ["Nguyễn Thị Thu"]


async def test_only_members_and_organizers_see_the_directory(session, world) -> None:
    class Viewer:
        def __init__(self, id: int, role: str) -> None:
            self.id, self.role = id, role

    assert await directory.may_see_directory(session, Viewer(world.official, "delegate"))
    assert not await directory.may_see_directory(session, Viewer(world.company, "exhibitor"))
    assert await directory.may_see_directory(session, Viewer(world.company, "organizer"))
    assert not await directory.may_see_directory(session, None)


# --- carry-over --------------------------------------------------------------------------------------------


async def test_a_previous_editions_need_is_brought_into_the_current_edition(session, world) -> None:
    await next_edition(session, world)
    edition = await editions.get_by_id(session, world.edition_2024)
    options = await carry_over.carry_over_options(session, edition, world.official)
    assert [o.item.title_en for o in options["needs"]] == [
        "Septage and sludge dewatering for a city with no sewer network"
    ]
    source_id = options["needs"][0].item.id
    copy = await carry_over.bring_need(session, edition, world.official, source_id)
    await session.commit()
    assert copy.edition_id == world.edition_2024 and copy.id != source_id
    assert copy.title_ja == "下水道のない都市のし尿汚泥脱水" and copy.sectors == ["water"]
    original = await needs_directory.get_need(session, world.edition_id, source_id)
    assert original.edition_id == world.edition_id  # copied, not moved
    assert [
        n.title_en for n in await needs_directory.needs_of(session, world.edition_2024, copy.organization_id)
    ] == ["Septage and sludge dewatering for a city with no sewer network"]
    again = await carry_over.carry_over_options(session, edition, world.official)
    assert again["needs"][0].copy_id == copy.id
    with pytest.raises(DomainError) as caught:
        await carry_over.bring_need(session, edition, world.official, source_id)
    assert caught.value.code == "already_brought"
    await session.rollback()
    edition = await editions.get_by_id(session, world.edition_2024)
    # Someone who is not an official of that city in 2024 cannot bring it.
    with pytest.raises(NotFound):
        await carry_over.bring_need(session, edition, world.bank, source_id)
    await session.rollback()
    assert await _count(session, CarriedOver) == 1
    # The network shows the city's needs of both editions.
    card = await directory.member_card(session, world.official)
    assert sorted(n.edition_id for n in card.needs) == sorted([world.edition_id, world.edition_2024])


async def test_an_exhibitors_earlier_solution_is_copied_into_its_new_exhibitor(session, world) -> None:
    await next_edition(session, world)
    edition = await editions.get_by_id(session, world.edition_2024)
    options = await carry_over.carry_over_options(session, edition, world.company)
    assert [o.item.title_en for o in options["solutions"]] == ["Septage sludge dewatering unit"]
    copy = await carry_over.bring_solution(session, edition, world.company, options["solutions"][0].item.id)
    await session.commit()
    assert copy.exhibitor.edition_id == world.edition_2024 and copy.title_ja == "し尿汚泥脱水ユニット"
    with pytest.raises(DomainError):  # the other company's staff have no exhibitor in 2024
        await carry_over.bring_solution(
            session, edition, world.other_company, options["solutions"][0].item.id
        )


# --- off-season meetings ---------------------------------------------------------------------------------


def _request(**changes) -> dict:
    values = {"message": "Shall we talk about septage?", "duration": "30", "slot_1": "2024-03-05T10:00"}
    values.update(changes)
    return values


async def test_request_acceptance_and_mails_in_both_languages(session, world) -> None:
    # The JICA officer (Asia/Tokyo, English) asks the Cebu official (Asia/Manila, Japanese mail).
    meeting = await meetings.request_meeting(
        session, world.bank, _request(slot_2="2024-03-06T15:00", recipient_id=world.official), BASE
    )
    await session.commit()
    meeting_id, slots = meeting.id, meeting.slots
    assert slots == [
        datetime.fromisoformat("2024-03-05T10:00+09:00"),
        datetime.fromisoformat("2024-03-06T15:00+09:00"),
    ]
    [asked] = await _outbox(session, "network_meeting_requested")
    assert asked.to_address == "official@example.org"
    assert asked.subject.startswith("ネットワーク面談のお申込み / Network meeting request")
    japanese, english = asked.body_text.split("-" * 60)
    assert "2024年3月5日(火) 09:00–09:30 (フィリピン時間)" in japanese  # 10:00 in Tokyo is 9:00 in Manila
    assert "Tuesday 5 March 2024, 09:00–09:30 (Philippine Time)" in english
    assert "Shall we talk about septage?" in japanese
    assert asked.invitation is None

    with pytest.raises(DomainError) as caught:  # only the one asked answers
        await meetings.answer(session, meeting_id, world.bank, "accept", {"slot": "1"}, BASE)
    assert caught.value.code == "not_yours"
    await session.rollback()
    with pytest.raises(ValidationFailed) as invalid:
        await meetings.answer(session, meeting_id, world.official, "accept", {"slot": "7"}, BASE)
    assert set(invalid.value.errors) == {"slot"}
    await session.rollback()

    accepted = await meetings.answer(session, meeting_id, world.official, "accept", {"slot": "2"}, BASE)
    await session.commit()
    assert accepted.status == "accepted" and accepted.starts_at == slots[1]
    mails = {m.to_address: m for m in await _outbox(session, "network_meeting_accepted")}
    assert set(mails) == {"bank@example.org", "official@example.org"}
    assert mails["bank@example.org"].subject.startswith("Network meeting confirmed")
    assert "Wednesday 6 March 2024, 15:00–15:30 (JST)" in mails["bank@example.org"].body_text
    assert mails["official@example.org"].subject.startswith("ネットワーク面談が確定しました")
    assert "2024年3月6日(水) 14:00–14:30 (フィリピン時間)" in mails["official@example.org"].body_text
    invitation = mails["official@example.org"].invitation
    assert invitation["zone"] == "Asia/Manila" and invitation["item"]["status"] == "CONFIRMED"
    assert invitation["item"]["location"] == f"{BASE}/network/meetings/{meeting_id}/join"
    assert "meet.jit.si" not in str(invitation)  # the room's own address never leaves the server

    cancelled = await meetings.cancel(session, meeting_id, world.bank, BASE)
    await session.commit()
    assert cancelled.status == "cancelled"
    cancels = {
        m.to_address: m.invitation["item"]["status"]
        for m in await _outbox(session, "network_meeting_cancelled")
    }
    assert cancels == {"official@example.org": "CANCELLED", "bank@example.org": "CANCELLED"}


async def test_the_room_opens_only_for_the_two_members_near_the_time(session, world, monkeypatch) -> None:
    meeting = await meetings.request_meeting(session, world.bank, _request(recipient_id=world.official), BASE)
    await meetings.answer(session, meeting.id, world.official, "accept", {"slot": "1"}, BASE)
    await session.commit()
    early = datetime.fromisoformat("2024-03-05T09:30+09:00")
    with pytest.raises(DomainError) as caught:
        await meetings.room_meeting(session, meeting.id, world.bank, early)
    assert caught.value.code == "room_closed"
    during = datetime.fromisoformat("2024-03-05T09:50+09:00")
    address = await meetings.room_address(session, meeting.id, world.bank, during)
    assert address == f"https://meet.jit.si/ascc-{meeting.room_token}"
    with pytest.raises(NotFound):
        await meetings.room_meeting(session, meeting.id, world.online, during)
    after = datetime.fromisoformat("2024-03-05T10:31+09:00")
    with pytest.raises(DomainError):
        await meetings.room_meeting(session, meeting.id, world.official, after)
    await meetings.room_address(session, meeting.id, world.official, during)
    await session.commit()
    figures = await directory.figures(session, await directory.cards(session), "Asia/Tokyo")
    assert figures.meetings | {} == {
        "requested": 0,
        "accepted": 1,
        "declined": 0,
        "cancelled": 0,
        "total": 1,
        "held": 1,
        "waiting": 0,
        "expired": 0,
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"slot_1": "2024-02-29T10:00"}, "slot_1", "network.error.slot_past"),
        ({"slot_1": "", "slot_2": ""}, "slot_1", "error.required"),
        ({"slot_1": "tomorrow"}, "slot_1", "network.error.slot_invalid"),
        ({"slot_2": "2024-03-05T10:00"}, "slot_2", "network.error.slot_repeated"),
        ({"slot_3": "2026-03-05T10:00"}, "slot_3", "network.error.slot_too_far"),
        ({"duration": "600"}, "duration", "error.choice_invalid"),
        ({"message": "x" * 1001}, "message", "error.too_long"),
    ],
)
async def test_bad_requests_name_the_field_and_save_nothing(session, world, changes, field, code) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await meetings.request_meeting(
            session, world.bank, _request(recipient_id=world.official, **changes), BASE
        )
    assert caught.value.errors[field][0] == code
    await session.rollback()
    assert await _count(session, NetworkMeeting) == 0
    assert await _outbox(session, "network_meeting_requested") == []


async def test_requests_only_between_members_and_not_too_many(session, world) -> None:
    refusals = [
        (world.bank, world.company, "unknown_member"),  # registered but not in the network
        (world.company, world.bank, "not_member"),
        (world.bank, world.bank, "self"),
    ]
    for requester, recipient, code in refusals:
        with pytest.raises(DomainError) as caught:
            await meetings.request_meeting(session, requester, _request(recipient_id=recipient), BASE)
        assert caught.value.code == code
        await session.rollback()
    assert await _count(session, NetworkMeeting) == 0
    await meetings.request_meeting(session, world.bank, _request(recipient_id=world.official), BASE)
    await session.commit()
    with pytest.raises(DomainError) as caught:
        await meetings.request_meeting(session, world.official, _request(recipient_id=world.bank), BASE)
    assert caught.value.code == "already_open"
    await session.rollback()
    # A sixth request waiting for answers is refused.
    for n in range(4):
        other = (await make_user(session, f"member{n}@example.org", name=f"Member {n}")).id
        await joining.join(session, other, {"timezone": "Asia/Tokyo"})
        await meetings.request_meeting(session, world.bank, _request(recipient_id=other), BASE)
        await session.commit()
    last = (await make_user(session, "member9@example.org", name="Member 9")).id
    await joining.join(session, last, {})
    await session.commit()
    with pytest.raises(DomainError) as caught:
        await meetings.request_meeting(session, world.bank, _request(recipient_id=last), BASE)
    assert caught.value.code == "too_many_pending"
    await session.rollback()
    assert await _count(session, NetworkMeeting) == 5


async def test_leaving_cancels_open_requests(session, world) -> None:
    await meetings.request_meeting(session, world.bank, _request(recipient_id=world.official), BASE)
    await session.commit()
    await joining.leave(session, world.official, BASE)
    await session.commit()
    [meeting] = await meetings.meetings_of(session, world.bank)
    assert meeting.status == "cancelled"
    [told] = await _outbox(session, "network_meeting_cancelled")
    assert told.to_address == "bank@example.org"


# --- found in review ---------------------------------------------------------------------------------------


async def test_utc_offered_on_the_form_is_a_time_zone_one_may_choose(session, world) -> None:
    assert "UTC" in network.COMMON_ZONES
    member = await joining.join(session, world.bank, {"headline": "x", "timezone": "UTC"})
    await session.commit()
    assert member.timezone == "UTC" and await network.zone_of(session, world.bank) == "UTC"
    for folder in ("Asia", "America", "../etc/passwd"):
        with pytest.raises(ValidationFailed) as caught:
            await joining.join(session, world.bank, {"timezone": folder})
        assert set(caught.value.errors) == {"timezone"}
        await session.rollback()


async def test_joining_twice_at_once_keeps_one_membership(session, world, monkeypatch) -> None:
    """The second of two simultaneous clicks finds no row when it looks, then meets the first one's row."""
    newcomer = (await make_user(session, "twice@example.org", name="Twice Clicked")).id
    await joining.join(session, newcomer, {"headline": "First", "timezone": "Asia/Tokyo"})
    await session.commit()
    real, calls = network.membership, []

    async def missed_it(session, user_id):
        calls.append(user_id)
        return None if len(calls) == 1 else await real(session, user_id)

    monkeypatch.setattr(joining, "membership", missed_it)
    member = await joining.join(session, newcomer, {"headline": "Second", "timezone": "Asia/Tokyo"})
    await session.commit()
    assert member.user_id == newcomer and member.left_at is None
    assert await network.is_member(session, newcomer)
    assert [c.action for c in await network.choices_of(session, newcomer)] == ["join"]


async def test_bringing_the_same_need_twice_at_once_is_already_brought(session, world, monkeypatch) -> None:
    """A double click: the second request's check ran before the first one's row was written."""
    await next_edition(session, world)
    edition = await editions.get_by_id(session, world.edition_2024)
    source_id = (await carry_over.carry_over_options(session, edition, world.official))["needs"][0].item.id
    await carry_over.bring_need(session, edition, world.official, source_id)
    await session.commit()
    needs_before = await _count(session, needs_directory.Need)

    async def nothing_yet(*args, **kwargs):
        return None

    monkeypatch.setattr(carry_over, "_already", nothing_yet)
    edition = await editions.get_by_id(session, world.edition_2024)
    with pytest.raises(DomainError) as caught:
        await carry_over.bring_need(session, edition, world.official, source_id)
    assert caught.value.code == "already_brought" and caught.value.status_code == 409
    await session.rollback()
    assert await _count(session, needs_directory.Need) == needs_before  # no second copy
    assert await _count(session, CarriedOver) == 1


async def test_a_carried_over_item_whose_copy_was_deleted_may_be_brought_again(session, world) -> None:
    await next_edition(session, world)
    edition = await editions.get_by_id(session, world.edition_2024)
    source_id = (await carry_over.carry_over_options(session, edition, world.official))["needs"][0].item.id
    copy = await carry_over.bring_need(session, edition, world.official, source_id)
    await session.commit()
    await session.execute(delete(needs_directory.Need).where(needs_directory.Need.id == copy.id))
    await session.commit()
    edition = await editions.get_by_id(session, world.edition_2024)
    options = await carry_over.carry_over_options(session, edition, world.official)
    assert options["needs"][0].copy_id is None  # not "already brought" for ever
    again = await carry_over.bring_need(session, edition, world.official, source_id)
    await session.commit()
    rows = list(await session.scalars(select(CarriedOver)))
    assert [(r.source_id, r.copy_id) for r in rows] == [(source_id, again.id)]


async def test_joining_again_from_the_registration_form_keeps_the_earlier_profile(session, world) -> None:
    await joining.leave(session, world.official, BASE)
    await session.commit()
    await joining.join(session, world.official, {}, via="registration")
    await session.commit()
    member = await network.membership(session, world.official)
    assert member.left_at is None
    assert (member.headline, member.interests, member.timezone) == (
        "下水汚泥処理とごみの分別（セブ市）",
        "し尿処理、JCM",
        "Asia/Manila",
    )
    assert [c.action for c in await network.choices_of(session, world.official)] == ["join", "leave", "join"]


async def test_a_member_who_left_is_never_served_from_the_cached_directory(session, world) -> None:
    assert "Akane Shimizu" in await _names(session)  # the directory is now cached
    # A leave committed after a concurrent rebuild: the cache key (latest change, count) does not move.
    await session.execute(
        update(NetworkMember)
        .where(NetworkMember.user_id == world.bank)
        .values(left_at=clock.now(), updated_at=NetworkMember.updated_at)
    )
    await session.commit()
    assert "Akane Shimizu" not in await _names(session)


async def test_signing_in_does_not_rebuild_the_directory(session, world, monkeypatch) -> None:
    await directory.cards(session)
    real, builds = directory._build, []

    async def counted(session, user_ids):
        builds.append(user_ids)
        return await real(session, user_ids)

    monkeypatch.setattr(directory, "_build", counted)
    await accounts.authenticate(session, "bank@example.org", PASSWORD)
    await session.commit()
    await directory.cards(session)
    assert builds == []
    # A change a card shows still does.
    await session.execute(
        update(accounts.User).where(accounts.User.id == world.bank).values(name_latin="Akane S.")
    )
    await session.commit()
    assert "Akane S." in await _names(session) and builds == [None]


async def test_requests_whose_times_all_passed_are_expired_and_block_nothing(
    session, world, monkeypatch
) -> None:
    first = await meetings.request_meeting(session, world.bank, _request(recipient_id=world.official), BASE)
    others = []
    for n in range(4):
        other = (await make_user(session, f"member{n}@example.org", name=f"Member {n}")).id
        await joining.join(session, other, {"timezone": "Asia/Tokyo"})
        await meetings.request_meeting(session, world.bank, _request(recipient_id=other), BASE)
        others.append(other)
    await session.commit()
    assert not first.expired(clock.now())
    monkeypatch.setenv("ASCC_NOW", "2024-03-06T09:00+09:00")  # the day after every proposed time
    now = clock.now()
    first = await meetings.get_meeting(session, first.id)
    assert first.expired(now) and first.shown_status(now) == "expired"
    later = {"slot_1": "2024-03-10T10:00"}
    again = await meetings.request_meeting(
        session, world.bank, _request(recipient_id=world.official, **later), BASE
    )
    await session.commit()  # the same pair again, and a sixth request: the five before expired
    assert again.shown_status(now) == "requested"
    assert await _count(session, NetworkMeeting) == 6


async def test_a_local_time_the_clocks_skip_is_refused(session, world) -> None:
    await joining.join(session, world.bank, {"timezone": "America/New_York"})
    await session.commit()
    with pytest.raises(ValidationFailed) as caught:
        await meetings.request_meeting(
            session, world.bank, _request(recipient_id=world.official, slot_1="2024-03-10T02:30"), BASE
        )
    assert caught.value.errors["slot_1"][0] == "network.error.slot_nonexistent"
    await session.rollback()
    assert await _count(session, NetworkMeeting) == 0
