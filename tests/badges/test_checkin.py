"""Check-in answers at every place, on both databases: OK, ALREADY CHECKED IN, REVOKED, INVALID, NOT BOOKED."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ascc import clock
from ascc.badges import checkin, figures, signing
from ascc.badges import services as badges
from ascc.badges.models import Badge
from ascc.errors import ValidationFailed
from ascc.registration import registering
from ascc.registration import services as registration
from tests.badges.conftest import code_of


def scan(code: str, place_type: str = "entrance", place_id: int | None = None, **extra) -> checkin.ScanInput:
    return checkin.ScanInput(code=code, place_type=place_type, place_id=place_id, device_id="gate-1", **extra)


async def test_entrance_checks_in_once_a_day_and_says_when(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    first = await checkin.scan(session, world.edition_id, scan(code), None)
    await session.commit()
    again = await checkin.scan(session, world.edition_id, scan(code), None)
    await session.commit()
    assert (first.result, first.person.name_latin, first.person.organization) == (
        "ok",
        "Maria Reyes",
        "Cebu City",
    )
    assert again.result == "duplicate"
    assert again.checked_in_at == first.checked_in_at == clock.now()
    stats = await figures.stats(session, world.edition_id)
    assert stats.entrance_today == 1
    assert stats.results_today == {"ok": 1, "duplicate": 1}


async def test_typed_short_code_works_like_the_qr_code(session, world) -> None:
    reg = await registration.my_registration(session, world.edition_id, world.bank)
    answer = await checkin.scan(
        session, world.edition_id, scan(reg.badge_code.lower().replace("-", " ")), None
    )
    assert (answer.result, answer.person.name_latin) == ("ok", "Akane Shimizu")


async def test_online_participant_is_not_booked_at_the_door(session, world) -> None:
    code = await code_of(session, world.edition_id, world.online)
    answer = await checkin.scan(session, world.edition_id, scan(code), None)
    assert (answer.result, answer.reason) == ("not_booked", "online_registration")


async def test_session_with_sign_up_admits_only_seat_holders(session, world) -> None:
    official = await checkin.scan(
        session,
        world.edition_id,
        scan(await code_of(session, world.edition_id, world.official), "session", world.talk),
        None,
    )
    bank = await checkin.scan(
        session,
        world.edition_id,
        scan(await code_of(session, world.edition_id, world.bank), "session", world.talk),
        None,
    )
    assert (official.result, bank.result, bank.reason) == ("ok", "not_booked", "no_seat")
    assert official.place_label_en == "Sludge workshop"


async def test_tour_bus_roll_call_marks_the_booked_person_present(session, world) -> None:
    from ascc.tours import roll_call as tours

    code = await code_of(session, world.edition_id, world.official)
    aboard = await checkin.scan(session, world.edition_id, scan(code, "tour", world.bus), None)
    wrong_bus = await checkin.scan(session, world.edition_id, scan(code, "tour", world.other_bus), None)
    await session.commit()
    _, lines = await tours.manifest(session, world.bus, "test-secret")
    assert (aboard.result, wrong_bus.result, wrong_bus.reason) == ("ok", "not_booked", "not_on_tour")
    assert [(line.name_latin, line.present) for line in lines] == [("Maria Reyes", True)]


async def test_meeting_table_checks_in_the_meeting_of_now(session, world) -> None:
    from ascc.matching import meetings

    code = await code_of(session, world.edition_id, world.official)
    answer = await checkin.scan(session, world.edition_id, scan(code, "meeting", world.session_id), None)
    bank = await checkin.scan(
        session,
        world.edition_id,
        scan(await code_of(session, world.edition_id, world.bank), "meeting", world.session_id),
        None,
    )
    await session.commit()
    meeting = await meetings.get_meeting(session, world.meeting)
    # One party at the table is not a meeting held: it waits for the other one.
    assert (answer.result, meeting.status) == ("ok", "scheduled")
    assert (bank.result, bank.reason) == ("not_booked", "no_meeting_now")
    company = await code_of(session, world.edition_id, world.company)
    other = await checkin.scan(session, world.edition_id, scan(company, "meeting", world.session_id), None)
    await session.commit()
    meeting = await meetings.get_meeting(session, world.meeting)
    assert (other.result, meeting.status) == ("ok", "held")


async def test_revoked_after_cancellation_and_after_reissue(session, world) -> None:
    code = await code_of(session, world.edition_id, world.bank)
    reg = await registration.my_registration(session, world.edition_id, world.bank)
    reg = await registration.get_registration(session, reg.id)
    _, new = await badges.reissue(session, reg, "http://x", "lost")
    await session.commit()
    old_answer = await checkin.scan(session, world.edition_id, scan(code), None)
    new_answer = await checkin.scan(session, world.edition_id, scan(new.code), None)
    assert (old_answer.result, old_answer.reason, new_answer.result) == ("revoked", "lost", "ok")
    assert signing.nonce_text(signing.decode(code)[0].nonce) in await badges.revoked(
        session, world.edition_id
    )

    await registering.cancel(session, reg, "http://x")
    await session.commit()
    cancelled = await checkin.scan(session, world.edition_id, scan(new.code, "session", world.talk), None)
    assert (cancelled.result, cancelled.person.name_latin) == ("revoked", "Akane Shimizu")
    assert signing.nonce_text(new.nonce) in await badges.revoked(session, world.edition_id)


async def test_category_change_reissues_and_revokes_the_old_code(session, world) -> None:
    code = await code_of(session, world.edition_id, world.bank)
    reg = await registration.my_registration(session, world.edition_id, world.bank)
    reg.category = "speaker"
    await session.commit()
    answer = await checkin.scan(session, world.edition_id, scan(code), None)
    fresh = await code_of(session, world.edition_id, world.bank)
    assert (answer.result, answer.reason) == ("revoked", "category_changed")
    assert signing.decode(fresh)[0].category == "speaker"


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda c: c[:40] + ("A" if c[40] != "A" else "B") + c[41:], "signature"),
        (lambda c: "", "malformed"),
        (lambda c: "x" * 5000, "malformed"),
        (lambda c: "名札のコード😀", "malformed"),
        (lambda c: "AAAA-AAAA", "unknown"),
        (lambda c: "<script>alert(1)</script>", "malformed"),
        (lambda c: c[:-4], "malformed"),
    ],
)
async def test_garbage_tampered_and_unknown_codes_are_invalid(session, world, mangle, reason) -> None:
    code = await code_of(session, world.edition_id, world.official)
    answer = await checkin.scan(session, world.edition_id, scan(mangle(code)), None)
    assert (answer.result, answer.reason, answer.person) == ("invalid", reason, None)


async def test_expired_and_foreign_edition_codes_are_invalid(session, world) -> None:
    key = await badges.signing_key(session, world.edition_id)
    now = clock.now()
    expired = signing.Payload(
        world.edition_id,
        "company",
        "in_person",
        b"12345678",
        now - timedelta(days=9),
        now - timedelta(days=1),
    )
    foreign = signing.Payload(
        world.edition_id + 1, "company", "in_person", b"87654321", now, now + timedelta(days=1)
    )
    other_key = signing.new_private_key()
    forged = signing.Payload(
        world.edition_id, "company", "in_person", b"abcdefgh", now, now + timedelta(days=1)
    )
    answers = [
        await checkin.scan(session, world.edition_id, scan(signing.sign(p, k)), None)
        for p, k in ((expired, key), (foreign, key), (forged, other_key))
    ]
    assert [(a.result, a.reason) for a in answers] == [
        ("invalid", "expired"),
        ("invalid", "other_edition"),
        ("invalid", "signature"),
    ]


async def test_every_scan_is_logged_and_a_replayed_nonce_answers_the_same(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    first = await checkin.scan(session, world.edition_id, scan(code, nonce="n-1", offline=True), None)
    await session.commit()
    replay = await checkin.scan(session, world.edition_id, scan(code, nonce="n-1", offline=True), None)
    await checkin.scan(session, world.edition_id, scan("garbage"), None)
    await session.commit()
    logged = await figures.recent_scans(session, world.edition_id)
    assert (replay.result, replay.scan_id) == ("ok", first.scan_id)
    assert [(s.result, s.name, s.offline) for s in logged] == [
        ("invalid", "", False),
        ("ok", "Maria Reyes", True),
    ]


async def test_a_replayed_nonce_with_another_code_is_invalid(session, world) -> None:
    """After a genuine scan with device gate-1 and nonce N, forged text, a tampered code and another person's
    badge sent with gate-1 and N are refused; the same badge replayed still gets the first answer, counted once."""
    code = await code_of(session, world.edition_id, world.official)
    other = await code_of(session, world.edition_id, world.bank)
    tampered = code[:40] + ("A" if code[40] != "A" else "B") + code[41:]
    first = await checkin.scan(session, world.edition_id, scan(code, nonce="N"), None)
    await session.commit()
    refused = []
    for text in ("garbage-not-a-badge", tampered, other):
        refused.append(await checkin.scan(session, world.edition_id, scan(text, nonce="N"), None))
        await session.commit()
    same = await checkin.scan(session, world.edition_id, scan(code, nonce="N", offline=True), None)
    await session.commit()
    stats = await figures.stats(session, world.edition_id)
    assert (first.result, first.person.name_latin) == ("ok", "Maria Reyes")
    assert [(a.result, a.reason, a.person) for a in refused] == [("invalid", "nonce_reused", None)] * 3
    assert (same.result, same.person.name_latin, same.scan_id) == ("ok", "Maria Reyes", first.scan_id)
    assert (stats.entrance_today, stats.results_today) == (1, {"ok": 1, "invalid": 3})


async def test_a_failed_scan_replayed_with_a_valid_badge_stays_invalid(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    failed = await checkin.scan(session, world.edition_id, scan("garbage-not-a-badge", nonce="M"), None)
    await session.commit()
    replay = await checkin.scan(session, world.edition_id, scan(code, nonce="M"), None)
    assert (failed.result, replay.result, replay.person, replay.scan_id) == (
        "invalid",
        "invalid",
        None,
        failed.scan_id,
    )
    assert (await figures.stats(session, world.edition_id)).entrance_today == 0


async def test_roster_names_the_badges_in_force_only(session, world) -> None:
    """What the check-in page keeps to name people offline: a lost (reissued) badge names nobody any more."""
    maria = await code_of(session, world.edition_id, world.official)
    lost = await code_of(session, world.edition_id, world.bank)
    reg = await registration.my_registration(session, world.edition_id, world.bank)
    _, new = await badges.reissue(
        session, await registration.get_registration(session, reg.id), "http://x", "lost"
    )
    await session.commit()
    people = await checkin.roster(session, world.edition_id)
    nonce_of = lambda code: signing.nonce_text(signing.decode(code)[0].nonce)  # noqa: E731
    assert {nonce: p.name_latin for nonce, p in people.items()} == {
        nonce_of(maria): "Maria Reyes",
        nonce_of(new.code): "Akane Shimizu",
    }
    assert nonce_of(lost) not in people


async def test_device_clock_far_off_is_flagged_and_not_trusted(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    answer = await checkin.scan(
        session, world.edition_id, scan(code, scanned_at=clock.now() + timedelta(days=2)), None
    )
    assert (answer.result, answer.clock_flagged, answer.checked_in_at) == ("ok", True, clock.now())


async def test_unknown_place_is_a_field_error(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    with pytest.raises(ValidationFailed) as caught:
        await checkin.scan(session, world.edition_id, scan(code, "session", 999999), None)
    with pytest.raises(ValidationFailed) as kind:
        await checkin.scan(session, world.edition_id, scan(code, "stage"), None)
    assert (list(caught.value.errors), list(kind.value.errors)) == (["place_id"], ["place_type"])


async def test_signed_payload_holds_no_personal_data(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    raw = base64.urlsafe_b64decode(code + "==")
    payload = signing.decode(code)[0]
    assert len(raw) == 85 and len(code) == signing.CODE_LENGTH
    assert b"Maria" not in raw and b"Cebu" not in raw
    assert (payload.category, payload.mode, payload.edition_id) == (
        "city_official",
        "in_person",
        world.edition_id,
    )
    assert payload.valid_until > datetime.fromisoformat("2023-11-15T23:00+09:00")


async def test_naive_device_time_is_read_as_utc_and_huge_place_ids_are_field_errors(session, world) -> None:
    code = await code_of(session, world.edition_id, world.official)
    naive = clock.now().astimezone(UTC).replace(tzinfo=None)
    answer = await checkin.scan(session, world.edition_id, scan(code, scanned_at=naive), None)
    with pytest.raises(ValidationFailed) as caught:
        await checkin.scan(session, world.edition_id, scan(code, "session", 2**40), None)
    assert (answer.result, answer.clock_flagged) == ("ok", False)
    assert list(caught.value.errors) == ["place_id"]


async def test_search_finds_names_not_email_addresses(session, world) -> None:
    by_name = await checkin.search(session, world.edition_id, "reyes")
    by_mail = await checkin.search(session, world.edition_id, "official@example.org")
    by_domain = await checkin.search(session, world.edition_id, "example.org")
    assert ([p.name_latin for p in by_name], by_mail, by_domain) == (["Maria Reyes"], [], [])


async def test_search_finds_vietnamese_names_typed_without_accents(session, world) -> None:
    for typed in ("nguyen", "nguyen thi", "NGUYỄN THỊ", "ｎｇｕｙｅｎ thi thu"):
        assert [p.name_latin for p in await checkin.search(session, world.edition_id, typed)] == [
            "Nguyễn Thị Thu"
        ]
    assert await checkin.search(session, world.edition_id, "thi reyes") == []


async def test_issuing_at_the_same_moment_leaves_one_badge_in_force(session_maker, world) -> None:
    async def issue() -> str:
        async with session_maker() as own:
            reg = await registration.my_registration(own, world.edition_id, world.bank)
            reg = await registration.get_registration(own, reg.id)
            badge = await badges.current_badge(own, reg)
            await own.commit()
            return badge.code

    codes = await asyncio.gather(*(issue() for _ in range(5)))
    async with session_maker() as own:
        reg = await registration.my_registration(own, world.edition_id, world.bank)
        active = (await own.scalars(select(Badge).where(Badge.registration_id == reg.id))).all()
    assert [b.revoked_at for b in active] == [None]
    assert set(codes) == {active[0].code}


async def test_a_changed_category_is_revoked_as_such_in_the_list(session, world) -> None:
    code = await code_of(session, world.edition_id, world.bank)
    reg = await registration.my_registration(session, world.edition_id, world.bank)
    reg.category = "speaker"
    await session.commit()
    nonces = await badges.revoked(session, world.edition_id)
    badge = (await session.scalars(select(Badge).where(Badge.code == code))).one()
    assert (nonces, badge.revoked_reason) == ([signing.nonce_text(badge.nonce)], "category_changed")


async def test_a_badge_shown_again_at_another_gate_names_the_first_gate_and_counts_once(
    session, world
) -> None:
    code = await code_of(session, world.edition_id, world.official)
    first = await checkin.scan(session, world.edition_id, scan(code), None)
    await session.commit()
    elsewhere = checkin.ScanInput(code=code, place_type="entrance", device_id="gate-2")
    other_gate = await checkin.scan(session, world.edition_id, elsewhere, None)
    same_gate = await checkin.scan(session, world.edition_id, scan(code), None)
    await session.commit()
    assert (other_gate.result, other_gate.first_place_en, other_gate.checked_in_at) == (
        "duplicate",
        "gate-1",
        first.checked_in_at,
    )
    assert (same_gate.result, same_gate.first_place_en) == ("duplicate", None)
    assert (
        other_gate.person == first.person and len({first.scan_id, other_gate.scan_id, same_gate.scan_id}) == 3
    )
    assert (await figures.stats(session, world.edition_id)).entrance_today == 1


async def test_a_replayed_duplicate_names_its_own_place_after_a_check_in_elsewhere(session, world) -> None:
    """An offline phone syncs a duplicate scan at the workshop after its holder checked in at another session:
    the replay still says when they entered the workshop (not the other session), old log lines included."""
    from sqlalchemy import update

    from ascc.badges.models import Scan
    from ascc.editions import services as editions
    from ascc.programme import session_editing
    from tests.programme.conftest import session_form

    edition = await editions.get_by_id(session, world.edition_id)
    open_talk, _ = await session_editing.save_session(
        session,
        edition,
        None,
        session_form(title_en="Open talk", start="15:00", end="16:00", format="in_person"),
    )
    await session.commit()
    code = await code_of(session, world.edition_id, world.official)
    now = clock.now()
    at_workshop, at_talk = now - timedelta(minutes=30), now - timedelta(minutes=5)
    first = await checkin.scan(
        session, world.edition_id, scan(code, "session", world.talk, scanned_at=at_workshop), None
    )
    await session.commit()
    phone = checkin.ScanInput(
        code, "session", world.talk, now - timedelta(minutes=20), "phone-2", "dup-1", True
    )
    duplicate = await checkin.scan(session, world.edition_id, phone, None)
    await session.commit()
    later = await checkin.scan(
        session, world.edition_id, scan(code, "session", open_talk.id, scanned_at=at_talk), None
    )
    await session.commit()
    replay = await checkin.scan(session, world.edition_id, phone, None)
    await session.commit()
    assert (first.result, duplicate.result, later.result) == ("ok", "duplicate", "ok")
    assert (replay.result, replay.scan_id, replay.checked_in_at, replay.first_place_en) == (
        "duplicate",
        duplicate.scan_id,
        at_workshop,
        "gate-1",
    )
    # A duplicate logged before it kept its check-in: found by its place all the same.
    await session.execute(update(Scan).where(Scan.id == duplicate.scan_id).values(check_in_id=None))
    await session.commit()
    old_line = await checkin.scan(session, world.edition_id, phone, None)
    assert (old_line.result, old_line.checked_in_at, old_line.place_label_en) == (
        "duplicate",
        at_workshop,
        "Sludge workshop",
    )
