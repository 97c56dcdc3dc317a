"""The figures organizers publish and watch, counted from a small conference on both databases."""

from __future__ import annotations

from ascc.editions import services as editions
from ascc.errors import ValidationFailed
from ascc.reports import figures
from ascc.reports import services as reports
from tests.reports.conftest import build_report, hold_meeting


async def test_edition_report_counts_what_organizers_publish(session, monkeypatch) -> None:
    w = await build_report(session)
    await hold_meeting(session, w, monkeypatch)
    edition = await editions.get_by_id(session, w.edition_id)
    report = await reports.edition_figures(session, edition)
    values = dict(report.values)
    # Overseas cities and institutions: Cebu City (PH) and Da Nang City (VN); not JICA or Yokohama (Japan),
    # not the cancelled Bangkok registration.
    assert [o.name_en for o in report.organizations] == ["Cebu City", "Da Nang City", "World Bank"]
    assert (values["overseas_organizations"], values["overseas_cities"]) == (3, 2)
    assert (
        values["participants_online"] == 1 and values["participants"] == values["participants_in_person"] + 1
    )
    assert values["attended_in_person"] == 1  # the official's entrance scan
    assert values["site_visit_participants"] == 1
    assert (values["meetings_requested"], values["meetings_held"]) == (1, 1)
    assert values["meetings_cooperation"] == 1  # two positive feedbacks, one meeting
    assert (values["feasibility_studies"], values["pilots"], values["contracts"]) == (1, 1, 1)
    # The two parties answered differently: the meeting counts once, under the better answer.
    assert report.outcomes == {"follow_up": 1}
    assert report.number == 12 and report.label == "2023"


async def test_an_international_body_without_a_country_is_an_overseas_institution(session) -> None:
    w = await build_report(session)
    edition = await editions.get_by_id(session, w.edition_id)
    names = [o.name_en for o in (await reports.edition_figures(session, edition)).organizations]
    assert "World Bank" in names and "JICA" not in names  # JICA is in Japan


async def test_dashboard_shows_registrations_check_ins_tours_and_the_meeting_funnel(session) -> None:
    w = await build_report(session)
    edition = await editions.get_by_id(session, w.edition_id)
    board = await reports.dashboard(session, edition)
    assert board.by_status["cancelled"] == 1
    assert board.by_mode["online"] == 1
    assert board.entrance_today == 1
    assert [c.confirmed for c in board.courses if c.label.startswith("B")] == [1]
    assert board.funnel == [("requested", 1), ("accepted", 1), ("scheduled", 1), ("held", 0)]
    assert sum(n for _, n in board.by_country) == sum(board.by_mode.values())


async def test_recorded_figures_of_an_earlier_edition_join_the_comparison(session) -> None:
    await build_report(session)
    await reports.save_recorded(
        session,
        None,
        {"number": "8", "label": "2019", "countries": "20", "participants": "850", "note": "57 cities"},
    )
    await session.commit()
    compared = await reports.all_editions(session)
    assert [(e.number, e.source) for e in compared] == [(8, "recorded"), (12, "platform")]
    assert compared[0].get("countries") == 20 and compared[0].get("sessions") is None
    rows = {row.key: row for row in figures.comparison(compared)}
    assert rows["participants"].change == compared[1].get("participants") - 850
    assert rows["sessions"].change is None  # unknown for the 8th: no change is claimed


async def test_bad_recorded_figures_name_the_field_and_save_nothing(session) -> None:
    await build_report(session)
    for values, field in (
        ({"number": "x", "label": "2019", "countries": "1"}, "number"),
        ({"number": "8", "label": "", "countries": "1"}, "label"),
        ({"number": "8", "label": "2019", "countries": "-3"}, "countries"),
        ({"number": "8", "label": "2019", "countries": "1.5"}, "countries"),
        ({"number": "12", "label": "2023", "countries": "3"}, "number"),  # the platform's own 2023 edition
        ({"number": "8", "label": "2019", "participants": "10", "participants_online": "11"}, "participants"),
        ({"number": "8", "label": "2019"}, "participants"),
    ):
        try:
            await reports.save_recorded(session, None, values)
        except ValidationFailed as failed:
            assert field in failed.errors
        else:
            raise AssertionError(values)
        await session.rollback()
    assert await reports.recorded_editions(session) == []
