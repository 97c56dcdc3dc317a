"""Tour ID numbers: one rule for the privacy desk and `ascc tours purge-ids`; removed N days after the
tour and not before, never before the edition has ended."""

from __future__ import annotations

from sqlalchemy import select

from ascc.privacy import rules
from ascc.privacy import services as privacy
from ascc.tours import booking as tour_booking
from ascc.tours import id_documents
from ascc.tours.models import Booking
from tests.tours.conftest import BASE, SECRET, build_tours, registered


async def _with_id_number(session, monkeypatch):
    monkeypatch.setenv("ASCC_NOW", "2023-11-05T10:00+09:00")  # before the tour (13 Nov, back 16:30)
    trip = await build_tours(session)
    person = await registered(session, trip.edition_id, "id@example.org", name="Nguyen Thi Lan")
    await tour_booking.book(session, person.id, trip.course_b, BASE)
    await id_documents.set_id_document(session, person.id, trip.course_b, "passport", "C1234 5678", SECRET)
    await session.commit()
    return trip, person.id


async def _stored(session, user_id: int) -> bytes | None:
    session.expire_all()
    return await session.scalar(select(Booking.id_document).where(Booking.user_id == user_id))


async def test_id_numbers_go_n_days_after_the_tour_and_not_before(session, monkeypatch) -> None:
    _, person = await _with_id_number(session, monkeypatch)
    values = {c.key: str(c.default) for c in rules.CLASSES}
    await privacy.save_periods(session, None, {**values, "tour_id_numbers": "10"})
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-11-22T10:00+09:00")  # 9 days after the tour
    report = await privacy.apply(session, None, only=["tour_id_numbers"])
    assert [(r.status, r.count) for r in report.results] == [("done", 0)]
    assert await _stored(session, person) is not None
    monkeypatch.setenv("ASCC_NOW", "2023-11-24T10:00+09:00")  # 11 days after
    dry = await privacy.apply(session, None, dry_run=True, only=["tour_id_numbers"])
    assert dry.results[0].count == 1 and await _stored(session, person) is not None
    report = await privacy.apply(session, None, only=["tour_id_numbers"])
    assert [(r.status, r.count) for r in report.results] == [("done", 1)]
    assert await _stored(session, person) is None


async def test_a_short_rule_during_the_edition_is_refused(session, monkeypatch) -> None:
    _, person = await _with_id_number(session, monkeypatch)
    values = {c.key: str(c.default) for c in rules.CLASSES}
    await privacy.save_periods(session, None, {**values, "tour_id_numbers": "1"})
    await session.commit()
    monkeypatch.setenv(
        "ASCC_NOW", "2023-11-15T10:00+09:00"
    )  # the tour was 2 days ago; the edition runs today
    report = await privacy.apply(session, None, only=["tour_id_numbers"])
    assert [(r.status, r.message) for r in report.results] == [("refused", "privacy.refused_not_ended")]
    assert await _stored(session, person) is not None
