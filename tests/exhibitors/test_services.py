"""Marketplace rules on SQLite and PostgreSQL: profiles, uploads, booths, staff, needs, search, leads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ascc.badges import checkin
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors import demo, directory, leads, solutions, staff
from ascc.exhibitors import services as marketplace
from ascc.exhibitors.directory import DirectoryQuery
from ascc.exhibitors.models import Lead, Solution
from ascc.files.models import StoredFile
from ascc.mail import services as mail
from tests.exhibitors.conftest import BASE, build_market, registered, with_consent
from tests.factories import make_edition, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
async def market(session):
    return await build_market(session)


async def _titles(session, edition_id, kind, **query) -> list[str]:
    found = await directory.search(session, edition_id, kind, DirectoryQuery(**query))
    return [getattr(item, "title_en", None) or item.name_en for item in found.items]


async def test_search_finds_japanese_and_english_and_hides_unapproved(session, market) -> None:
    e = market.edition_id
    assert await _titles(session, e, "solutions", q="汚泥脱水") == ["Septage sludge dewatering unit"]
    assert await _titles(session, e, "solutions", q="脱水") == ["Septage sludge dewatering unit"]
    assert await _titles(session, e, "solutions", q="PLASTIC fuel") == ["Waste plastics to fuel plant"]
    assert await _titles(session, e, "solutions", q="ぷらすちっく") == ["Waste plastics to fuel plant"]
    assert await _titles(session, e, "solutions", q="solar") == []  # the draft exhibitor is not public
    assert await _titles(session, e, "exhibitors", q="若戸") == ["Wakato Sludge Technologies Co., Ltd."]
    assert await _titles(session, e, "solutions", q="100%_") == []


async def test_filters_by_sector_sdg_goal_and_country(session, market) -> None:
    e = market.edition_id
    assert await _titles(session, e, "solutions", sector="water") == ["Septage sludge dewatering unit"]
    assert await _titles(session, e, "solutions", sdg="6") == ["Septage sludge dewatering unit"]
    assert await _titles(session, e, "solutions", sdg="12.5") == ["Waste plastics to fuel plant"]
    assert await _titles(session, e, "solutions", country="VN") == ["Septage sludge dewatering unit"]
    assert await _titles(session, e, "exhibitors", sector="waste") == ["Hibiki Eco Plastics Co., Ltd."]


async def test_package_names_its_partner_and_the_partner_lists_the_package(session, market) -> None:
    solution = await solutions.get_solution(session, market.edition_id, market.plastics_solution)
    assert solution.is_package
    assert [(p.exhibitor.name_en, p.role_en) for p in solution.partners] == [
        ("Wakato Sludge Technologies Co., Ltd.", "Sludge part")
    ]
    assert [s.id for s in await solutions.packages_with(session, market.sludge)] == [market.plastics_solution]


async def test_logo_must_be_a_small_image_and_a_refusal_stores_nothing(session, market) -> None:
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    with pytest.raises(DomainError) as not_image:
        await marketplace.set_logo(session, exhibitor, "logo.png", b"<svg onload=alert(1)>")
    assert (not_image.value.status_code, not_image.value.field) == (415, "logo")
    with pytest.raises(DomainError) as too_big:
        await marketplace.set_logo(session, exhibitor, "logo.png", PNG + b"\x00" * marketplace.LOGO_MAX_BYTES)
    assert too_big.value.status_code == 413
    assert await session.scalar(select(func.count(StoredFile.id))) == 0
    await marketplace.set_logo(session, exhibitor, "ロゴ.png", PNG)
    assert exhibitor.logo_id is not None


async def test_a_brochure_that_is_not_a_pdf_stores_no_solution_either(session, market) -> None:
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    values = {"title_en": "Pipe renewal", "sectors": ["water"]}
    with pytest.raises(DomainError) as refused:
        await solutions.save_solution(session, exhibitor, None, values, brochure=("b.pdf", b"MZ\x90\x00 exe"))
    assert (refused.value.status_code, refused.value.message) == (415, "error.pdf_type")
    await session.rollback()
    assert (
        await session.scalar(select(func.count(Solution.id)).where(Solution.title_en == "Pipe renewal")) == 0
    )
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    saved = await solutions.save_solution(session, exhibitor, None, values, brochure=("パンフ.pdf", PDF))
    assert saved.brochure_id is not None


async def test_solution_fields_are_checked_all_at_once(session, market) -> None:
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    bad = {
        "sectors": ["teleportation"],
        "sdgs": "6.3, 99",
        "countries": "PH, XX",
        "brochure_url": "javascript:alert(1)",
    }
    with pytest.raises(ValidationFailed) as failed:
        await solutions.save_solution(session, exhibitor, None, bad)
    assert set(failed.value.errors) == {"title_en", "sectors", "sdgs", "countries", "brochure_url"}


async def test_booth_must_fit_the_hall_and_not_overlap(session, market) -> None:
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.draft)
    base = {"hall": "N", "booth_number": "N-09", "booth_y": "1", "booth_w": "3", "booth_h": "3"}
    for x, problem in (("2", "error.booth_overlaps"), ("28", "error.booth_outside_hall")):
        with pytest.raises(ValidationFailed) as refused:
            await marketplace.assign_booth(session, exhibitor, {**base, "booth_x": x})
        assert refused.value.errors["booth_x"][0] == problem
    with pytest.raises(ValidationFailed) as taken:
        await marketplace.assign_booth(session, exhibitor, {**base, "booth_number": "N-01", "booth_x": "20"})
    assert taken.value.errors == {"booth_number": ("error.booth_number_taken", {})}
    await marketplace.assign_booth(session, exhibitor, {**base, "booth_x": "8"})  # touching N-02 is fine
    assert (exhibitor.booth_number, exhibitor.booth_x) == ("N-09", 8)


async def test_apply_submit_review_publishes_the_profile(session, market) -> None:
    person = await make_user(session, "new@example.org", name="Mina Kato")
    values = {
        "name_en": "Kawasaki Water Meter Co.",
        "description_ja": "<script>alert(1)</script> スマート水道メーター",
    }
    exhibitor = await marketplace.start_exhibitor(session, market.edition_id, person.id, values)
    assert exhibitor.status == "draft"
    assert (await marketplace.my_exhibitor(session, market.edition_id, person.id))[1] is True
    await marketplace.submit(session, exhibitor)
    with pytest.raises(DomainError):
        await marketplace.save_profile(session, exhibitor, values)  # under review: not editable
    with pytest.raises(ValidationFailed):
        await marketplace.review(session, exhibitor, approve=False, note=" ")
    await marketplace.review(session, exhibitor, approve=True, note=None)
    assert await _titles(session, market.edition_id, "exhibitors", q="水道メーター") == [
        "Kawasaki Water Meter Co."
    ]
    with pytest.raises(DomainError) as twice:
        await marketplace.start_exhibitor(session, market.edition_id, person.id, {"name_en": "Another"})
    assert twice.value.code == "already_exhibitor_staff"


async def test_staff_invitation_works_only_for_the_invited_address(session, market) -> None:
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    invite = await staff.invite_staff(session, exhibitor, "Colleague@Example.org", "Aiko", BASE, "ja")
    assert invite.email_key == "colleague@example.org"
    sent = await mail.messages_to(session, "Colleague@example.org")
    link = next(line for line in sent[0].body_text.splitlines() if "/exhibitor/invite/" in line)
    token = link.rsplit("/", 1)[1]
    stranger = await make_user(session, "stranger@example.org")
    with pytest.raises(DomainError) as foreign:
        await staff.accept_staff_invite(session, token, stranger.id)
    assert foreign.value.status_code == 403
    colleague = await make_user(session, "colleague@example.org")
    joined = await staff.accept_staff_invite(session, token, colleague.id)
    assert joined.id == market.sludge
    with pytest.raises(DomainError):
        await staff.accept_staff_invite(session, token, colleague.id)  # used


async def test_only_city_officials_post_needs_for_their_own_city(session, market) -> None:
    official = await registered(
        session, market.edition_id, "official@cebu.example.org", organization="Cebu City"
    )
    values = {
        "title_en": "Septage treatment for 0% sewer coverage",
        "description_ja": "下水道普及率0%のため、し尿汚泥の脱水処理が必要です。",
        "sectors": ["water"],
        "sdgs": ["6.2"],
        "budget_band": "1m_10m",
        "financing": ["jica", "adb"],
    }
    need = await directory.save_need(session, market.edition_id, official.id, values)
    assert (need.organization.name_en, need.country, need.city) == ("Cebu City", "PH", "Cebu City")
    with pytest.raises(DomainError) as company:
        await directory.save_need(session, market.edition_id, market.staff_a, values)
    assert company.value.status_code == 403
    with pytest.raises(ValidationFailed) as bad:
        await directory.save_need(
            session, market.edition_id, official.id, {"sectors": [], "budget_band": "lots"}
        )
    assert set(bad.value.errors) == {"title_en", "description_en", "sectors", "budget_band"}
    other = await registered(
        session, market.edition_id, "official@mandaue.example.org", organization="Mandaue City"
    )
    with pytest.raises(NotFound):
        await directory.save_need(session, market.edition_id, other.id, values, need_id=need.id)
    found = await directory.suggestions_for_need(session, market.edition_id, need)
    assert found[0][0].title_en == "Septage sludge dewatering unit"
    assert found[0][1].sectors == ("water",) and "6.2" in found[0][1].sdgs


async def booth_scan(session, exhibitor, staff_id: int, code: str) -> str:
    """A badge scanned at the booth, judged as at the check-in door (what the app wires as `badge_holder`)."""
    return (await leads.record(session, exhibitor, staff_id, code, checkin.identify)).outcome


async def test_a_lead_is_stored_only_with_consent_and_stays_withdrawn(session, market) -> None:
    exhibitor = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    shy = await registered(session, market.edition_id, "shy@example.org", name="Shy Person")
    keen = await registered(session, market.edition_id, "keen@example.org", name="Keen Person")
    shy_code = await with_consent(session, market.edition_id, shy.id, scanning=False)
    keen_code = await with_consent(session, market.edition_id, keen.id, scanning=True)

    assert await booth_scan(session, exhibitor, market.staff_a, shy_code) == "not_shared"
    assert await session.scalar(select(func.count(Lead.id))) == 0  # not even the attempt is kept
    typed = keen_code.lower().replace("-", " ")  # as someone types it from the badge
    assert await booth_scan(session, exhibitor, market.staff_a, typed) == "recorded"
    assert await booth_scan(session, exhibitor, market.staff_a, keen_code) == "already"
    assert await booth_scan(session, exhibitor, market.staff_a, "ZZZZ-ZZZZ") == "unknown"
    [view] = await leads.list_leads(session, exhibitor)
    assert (view.name_latin, view.email, view.scanned_by) == ("Keen Person", "keen@example.org", "Aiko Staff")

    await leads.annotate(session, exhibitor.id, view.id, "Wants a pilot in Cebu 🚛", "5")
    with pytest.raises(ValidationFailed):
        await leads.annotate(session, exhibitor.id, view.id, "x", "9")
    other = await marketplace.get_exhibitor(session, market.edition_id, market.plastics)
    with pytest.raises(NotFound):  # another exhibitor's staff cannot touch it
        await leads.annotate(session, other.id, view.id, "mine now", "1")

    [scan] = await leads.scans_of(session, market.edition_id, keen.id)
    await leads.withdraw(session, keen.id, scan.id)
    assert await leads.list_leads(session, exhibitor) == []
    assert await booth_scan(session, exhibitor, market.staff_a, keen_code) == "not_shared"


async def test_two_staff_scanning_one_badge_at_once_make_one_lead(session_maker, session, market) -> None:
    keen = await registered(session, market.edition_id, "keen@example.org", name="Keen Person")
    code = await with_consent(session, market.edition_id, keen.id, scanning=True)

    async def scan() -> str:
        async with session_maker() as own:
            exhibitor = await marketplace.get_exhibitor(own, market.edition_id, market.sludge)
            result = await leads.record(own, exhibitor, market.staff_a, code, checkin.identify)
            await own.commit()
            return result.outcome

    outcomes = await asyncio.gather(*(scan() for _ in range(6)), return_exceptions=True)
    assert sorted(o if isinstance(o, str) else type(o).__name__ for o in outcomes).count("recorded") == 1
    assert await session.scalar(select(func.count(Lead.id))) == 1


async def test_seed_needs_get_sensible_top_suggestions(session) -> None:
    """The demo's city needs (from the source documents) find the solutions a person would pick."""
    created = await make_edition(session, "ascc2023")
    edition = await editions.get_by_id(session, created.id)
    data = json.loads(
        (Path(__file__).resolve().parents[2] / "seed" / "marketplace-2023.json").read_text("utf-8")
    )
    await demo.load_marketplace(session, edition, data)
    await session.commit()
    needs = await directory.search(session, edition.id, "needs", DirectoryQuery(), limit=100)
    by_city = {}
    for need in needs.items:
        found = await directory.suggestions_for_need(session, edition.id, need, 3)
        by_city.setdefault(need.city, []).append((need.title_en, [s.title_en for s, _ in found], found))
    cebu = by_city["Cebu City"][0]
    assert all("septage" in title.lower() for title in cebu[1]), cebu[1]
    mandaue = next(n for n in by_city["Mandaue City"] if "sorting" in n[0])
    assert "sorting" in mandaue[1][0].lower()
    hai_phong = next(n for n in by_city["Hai Phong City"] if "drinking" in n[0])
    assert "drinking water" in hai_phong[1][0].lower()
    reason = cebu[2][0][1]
    assert reason.sectors == ("water",) and "6.2" in reason.sdgs and reason.phrases_en
    # And the other way round: the septage plant's best need is Cebu's.
    septage = cebu[2][0][0]
    [(need, _), *_] = await directory.suggestions_for_solution(session, edition.id, septage)
    assert need.city == "Cebu City"


async def test_a_draft_exhibitor_collects_no_leads_and_a_new_name_goes_back_to_review(
    session, market
) -> None:
    keen = await registered(session, market.edition_id, "keen@example.org", name="Keen Person")
    code = await with_consent(session, market.edition_id, keen.id, scanning=True)
    draft = await marketplace.get_exhibitor(session, market.edition_id, market.draft)
    with pytest.raises(DomainError) as refused:
        await leads.record(session, draft, market.staff_a, code, checkin.identify)
    assert (refused.value.status_code, refused.value.code) == (403, "exhibitor_not_approved")
    published = await marketplace.get_exhibitor(session, market.edition_id, market.sludge)
    same_name = {"name_en": published.name_en, "name_ja": published.name_ja, "description_en": "Updated."}
    assert (await marketplace.save_profile(session, published, same_name)).status == "approved"
    renamed = await marketplace.save_profile(session, published, {**same_name, "name_en": "World Bank"})
    assert renamed.status == "submitted"
    assert await _titles(session, market.edition_id, "exhibitors", q="world bank") == []
