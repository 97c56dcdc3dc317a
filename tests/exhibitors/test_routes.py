"""Marketplace pages and API as visitors, companies, city officials, exhibitor staff and organizers use them."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.badges import services as badges
from ascc.exhibitors.models import Lead, Solution
from ascc.registration import services as registration
from tests.exhibitors.conftest import BASE, PASSWORD, build_market, registered, with_consent
from tests.factories import make_user
from tests.support.web import csrf_token, sign_in, text_of
from tests.support.web import submit as post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def post_json(client, url: str, data: dict):
    return await client.post(url, json=data, headers={"x-csrftoken": await csrf_token(client)})


@pytest.fixture
async def site(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_market(session)
        built.session = session
        yield built
    await engine.dispose()


async def test_directory_searches_in_place_with_htmx_and_in_japanese(client, site) -> None:
    page = await client.get("/marketplace", params={"q": "脱水"})
    assert page.status_code == 200 and "<html" in page.text
    assert "Septage sludge dewatering unit" in text_of(page.text)
    assert "Waste plastics to fuel plant" not in text_of(page.text)
    partial = await client.get(
        "/marketplace", params={"q": "fuel", "kind": "solutions"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.text and "1 found" in text_of(partial.text)
    assert "Waste plastics to fuel plant" in text_of(partial.text)
    exhibitors = await client.get("/marketplace", params={"kind": "exhibitors", "sector": "water"})
    assert "Wakato Sludge Technologies" in text_of(exhibitors.text)
    assert "Hibiki" not in text_of(exhibitors.text) and "Hidden Solar" not in text_of(exhibitors.text)


async def test_needs_are_for_signed_in_people_and_posted_by_city_officials(client, site) -> None:
    anonymous = await client.get("/marketplace", params={"kind": "needs"})
    assert "City needs are shown to signed-in participants." in text_of(anonymous.text)
    assert (await client.get("/api/v1/needs")).status_code == 401

    await sign_in(client, "staff-a@example.org", PASSWORD)
    refused = await post_json(
        client, "/api/v1/needs", {"title_en": "x", "description_en": "y", "sectors": ["water"]}
    )
    assert refused.status_code == 403 and refused.json()["error"] == "needs_city_official"

    await registered(site.session, site.edition_id, "cebu@example.org", organization="Cebu City")
    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await sign_in(client, "cebu@example.org", PASSWORD)
    bad = await post_json(client, "/api/v1/needs", {"sectors": ["warp"], "sdgs": ["18.1"]})
    assert bad.status_code == 422
    body = bad.json()
    assert body["field"] in {"title_en", "description_en", "sectors", "sdgs"} and body["detail"]
    created = await post_json(
        client,
        "/api/v1/needs",
        {
            "title_ja": "し尿汚泥の脱水処理",
            "description_en": "0% sewer coverage: septage sludge dewatering is needed.",
            "sectors": ["water"],
            "sdgs": ["6.2"],
            "financing": ["jica"],
        },
    )
    assert created.status_code == 201, created.text
    need = created.json()
    assert (need["organization"], need["country"]) == ("Cebu City", "PH")
    suggestions = (await client.get(f"/api/v1/needs/{need['id']}/suggestions")).json()
    assert suggestions[0]["solution"]["title_en"] == "Septage sludge dewatering unit"
    assert suggestions[0]["reason"]["sectors"] == ["water"] and "6.2" in suggestions[0]["reason"]["sdgs"]
    page = await client.get(f"/marketplace/needs/{need['id']}")
    assert "Why: both:" in text_of(page.text) and "SDG 6.2" in text_of(page.text)
    plastics = await post_json(
        client,
        "/api/v1/needs",
        {
            "title_en": "Waste plastics to fuel after the landfill closed",
            "description_en": "Mixed plastics fill the dumpsite.",
            "sectors": ["waste"],
            "sdgs": ["12.5"],
        },
    )
    [package] = (await client.get(f"/api/v1/needs/{plastics.json()['id']}/suggestions")).json()
    assert (
        package["solution"]["is_package"] and package["reason"]["phrases_en"][0] == "waste plastics to fuel"
    )
    listed = (await client.get("/api/v1/needs", params={"q": "汚泥"})).json()
    assert [n["id"] for n in listed["items"]] == [need["id"]]


async def test_form_for_a_need_keeps_what_was_typed_and_names_the_fields(client, site) -> None:
    await registered(site.session, site.edition_id, "cebu@example.org", organization="Cebu City")
    await sign_in(client, "cebu@example.org", PASSWORD)
    response = await post_form(
        client, "/marketplace/needs", {"title_en": "Dewatering <b>now</b>", "budget_band": "x"}
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Choose at least one sector." in text and "Write a description in English or Japanese." in text
    assert "Dewatering &lt;b&gt;now&lt;/b&gt;" in response.text


async def test_api_lists_public_exhibitors_and_hides_drafts(client, site) -> None:
    listed = (await client.get("/api/v1/exhibitors")).json()
    assert [e["name_en"] for e in listed["items"]] == [
        "Wakato Sludge Technologies Co., Ltd.",
        "Hibiki Eco Plastics Co., Ltd.",
    ]
    assert listed["items"][0]["booth"] == {"hall": "N", "number": "N-01", "x": 1, "y": 1, "w": 3, "h": 3}
    detail = (await client.get(f"/api/v1/exhibitors/{site.plastics}")).json()
    [package] = detail["solutions"]
    assert (
        package["is_package"] and package["partners"][0]["name_en"] == "Wakato Sludge Technologies Co., Ltd."
    )
    assert (await client.get(f"/api/v1/exhibitors/{site.draft}")).status_code == 404
    assert (await client.get(f"/marketplace/exhibitors/{site.draft}")).status_code == 404
    solutions = (await client.get("/api/v1/solutions", params={"sdg": "12.5"})).json()
    assert [s["title_en"] for s in solutions["items"]] == ["Waste plastics to fuel plant"]


async def test_floor_plan_lights_up_the_booths_that_match(client, site) -> None:
    page = await client.get("/marketplace/floor-plan", params={"q": "汚泥脱水"})
    assert page.status_code == 200
    assert 'data-testid="booth-N-01" data-hit="1"' in page.text
    assert 'data-testid="booth-N-02" data-hit' not in page.text
    assert "N-03" not in page.text  # the draft has no public booth
    assert "1 booths match" in text_of(page.text)


async def test_leads_need_consent_and_stay_with_their_exhibitor(client, site) -> None:
    shy = await registered(site.session, site.edition_id, "shy@example.org", name="Shy Person")
    keen = await registered(
        site.session, site.edition_id, "keen@example.org", name="Nguyen Thi Lan", local="Nguyễn Thị Lan"
    )
    shy_code = await with_consent(site.session, site.edition_id, shy.id, scanning=False)
    keen_code = await with_consent(site.session, site.edition_id, keen.id, scanning=True)

    await sign_in(client, "staff-a@example.org", PASSWORD)
    refused = await post_json(client, "/api/v1/leads", {"code": shy_code})
    assert refused.status_code == 403 and refused.json()["error"] == "not_shared"
    page = await post_form(client, "/exhibitor/leads", {"code": shy_code})
    assert "Not shared" in text_of(page.text)
    recorded = await post_json(client, "/api/v1/leads", {"code": keen_code})
    assert recorded.status_code == 201 and recorded.json()["lead"]["name_local"] == "Nguyễn Thị Lan"
    lead_id = recorded.json()["lead"]["id"]
    assert (await post_json(client, "/api/v1/leads", {"code": keen_code})).status_code == 200
    assert (await post_json(client, "/api/v1/leads", {"code": "NOPE-NOPE"})).status_code == 404
    saved = await post_form(client, f"/exhibitor/leads/{lead_id}", {"note": '=HYPERLINK("x")', "rating": "4"})
    assert saved.status_code == 303
    exported = await client.get("/exhibitor/leads.csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["Nguyen Thi Lan", "Nguyễn Thị Lan", "keen@example.org"]
    assert rows[1][-2:] == ["4", '\'=HYPERLINK("x")']

    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await sign_in(client, "staff-b@example.org", PASSWORD)
    assert (await client.get("/api/v1/leads")).json() == []
    other = await post_form(client, f"/exhibitor/leads/{lead_id}", {"note": "stolen", "rating": "1"})
    assert other.status_code == 404
    assert "keen@example.org" not in (await client.get("/exhibitor/leads.csv")).text

    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await sign_in(client, "keen@example.org", PASSWORD)
    mine = await client.get("/me/scans")
    assert "Wakato Sludge Technologies Co., Ltd." in text_of(mine.text) and keen_code in mine.text
    assert (await client.get("/api/v1/leads")).status_code == 403  # not exhibitor staff
    withdrawn = await post_form(client, f"/me/scans/{lead_id}/withdraw", {})
    assert withdrawn.status_code == 303
    assert await site.session.scalar(select(Lead.withdrawn_at).where(Lead.id == lead_id)) is not None


async def test_an_oversize_brochure_keeps_what_was_typed_and_names_the_limit(client, site) -> None:
    """#25: a file over 10 MB gave a bare 413 and lost the form. The limit is stated beside the field (and given
    to the browser's check); a file a few times too large comes back as the form with everything typed and the
    error beside the field; a body too large to read at all gets a page naming the limit, with a way back."""
    await sign_in(client, "staff-a@example.org", PASSWORD)
    token = await csrf_token(client)
    form = (await client.get("/exhibitor/solutions/new")).text
    assert "PDF, up to 10 MB" in text_of(form)
    assert 'data-max-bytes="10485760"' in form
    assert "The file you chose is {size} MB; at most 10 MB can be sent." in form  # for the browser's check
    typed = {
        "title_en": "Tidal power for islands",
        "title_ja": "離島の潮力発電",
        "summary_en": "Nguyễn Thị Minh",
    }
    kept = await client.post(
        "/exhibitor/solutions",
        data={**typed, "sectors": "energy"},
        files={"brochure": ("big.pdf", b"%PDF-" + b"0" * (25 * 1024 * 1024), "application/pdf")},
        headers={"x-csrftoken": token},
    )
    assert kept.status_code == 413
    assert 'value="Tidal power for islands"' in kept.text and 'value="離島の潮力発電"' in kept.text
    assert ">Nguyễn Thị Minh</textarea>" in kept.text and 'value="energy" checked' in kept.text
    assert (
        '<p class="error" id="e-brochure" role="alert">The file is too large: at most 10 MB.</p>' in kept.text
    )

    await client.get("/lang/ja")
    refused = await client.post(
        "/exhibitor/solutions",
        data=typed,
        files={"brochure": ("huge.pdf", b"%PDF-" + b"0" * (51 * 1024 * 1024), "application/pdf")},
        headers={"x-csrftoken": token, "referer": "http://testserver.local/exhibitor/solutions/new"},
    )
    assert refused.status_code == 413
    assert "このフォームで送れるファイルは 10 MB までです" in text_of(refused.text)
    assert '<a class="button" href="/exhibitor/solutions/new" data-history-back' in refused.text
    count = await site.session.scalar(select(func.count(Solution.id)).where(Solution.title_en.like("Tidal%")))
    assert count == 0


async def test_bad_uploads_and_markup_are_refused_or_escaped(client, site, inputs) -> None:
    await sign_in(client, "staff-a@example.org", PASSWORD)
    token = await csrf_token(client)
    not_image = await client.post(
        "/exhibitor/logo",
        files={"logo": ("logo.png", b"GIF89a not really", "image/png")},
        headers={"x-csrftoken": token},
    )
    assert not_image.status_code == 415 and "Upload a photo as PNG, JPEG or WebP." in text_of(not_image.text)
    huge = await client.post(
        "/exhibitor/solutions",
        data={"title_en": "Big", "sectors": "water"},
        files={"brochure": ("big.pdf", b"%PDF-" + b"0" * (50 * 1024 * 1024), "application/pdf")},
        headers={"x-csrftoken": token},
    )
    assert huge.status_code == 413
    not_pdf = await client.post(
        "/exhibitor/solutions",
        data={"title_en": "Exe brochure", "sectors": "water"},
        files={"brochure": ("brochure.pdf", b"MZ\x90\x00", "application/pdf")},
        headers={"x-csrftoken": token},
    )
    assert not_pdf.status_code == 415 and "Upload the brochure as a PDF file." in text_of(not_pdf.text)
    count = await site.session.scalar(
        select(func.count(Solution.id)).where(Solution.title_en.like("%brochure%"))
    )
    assert count == 0
    hostile = (
        " ".join(v for v in inputs["hostile"] if v.strip() and "\x00" not in v)
        + " "
        + inputs["unicode_traps"][2]
    )
    saved = await post_form(
        client,
        "/exhibitor/profile",
        {
            "name_en": "Wakato Sludge Technologies Co., Ltd.",
            "name_ja": "若戸汚泥テクノロジー株式会社",
            "kind": "company",
            "description_en": hostile,
        },
    )
    assert saved.status_code == 303
    public = await client.get(f"/marketplace/exhibitors/{site.sludge}")
    assert (
        "<script>alert(1)</script>" not in public.text
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in public.text
    )
    assert "{{ 7*7 }}" in text_of(public.text) and "49" not in text_of(public.text)
    found = await client.get("/marketplace", params={"kind": "exhibitors", "q": "<script>"})
    assert "1 found" in text_of(found.text)


async def test_company_applies_and_organizer_approves_and_places_the_booth(client, site) -> None:
    await make_user(site.session, "new@example.org", name="Mina Kato")
    await make_user(site.session, "boss@example.org", role="organizer", name="Haruka Sato")
    await sign_in(client, "new@example.org", PASSWORD)
    assert "Exhibit at the conference" in text_of((await client.get("/exhibitor")).text)
    applied = await post_form(
        client,
        "/exhibitor/apply",
        {
            "name_en": "Kawasaki Meter Co.",
            "name_ja": "川崎メーター株式会社",
            "kind": "company",
            "country": "JP",
        },
    )
    assert applied.status_code == 303
    empty = await post_form(client, "/exhibitor/submit", {})
    assert empty.status_code == 422 and "Write a description" in text_of(empty.text)
    await post_form(
        client,
        "/exhibitor/profile",
        {"name_en": "Kawasaki Meter Co.", "kind": "company", "description_ja": "水道メーター"},
    )
    assert (await post_form(client, "/exhibitor/submit", {})).status_code == 303
    assert (await client.get("/organizer/exhibitors")).status_code == 403

    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await sign_in(client, "boss@example.org", PASSWORD)
    listing = await client.get("/organizer/exhibitors", params={"status": "submitted"})
    assert "Kawasaki Meter Co." in text_of(listing.text)
    exhibitor_id = int(listing.text.split('href="/organizer/exhibitors/')[1].split('"')[0])
    overlap = await post_form(
        client,
        f"/organizer/exhibitors/{exhibitor_id}/booth",
        {"hall": "N", "booth_number": "N-10", "booth_x": "2", "booth_y": "2", "booth_w": "3", "booth_h": "3"},
    )
    assert overlap.status_code == 422 and "The booth overlaps another booth." in text_of(overlap.text)
    placed = await post_form(
        client,
        f"/organizer/exhibitors/{exhibitor_id}/booth",
        {
            "hall": "N",
            "booth_number": "N-10",
            "booth_x": "20",
            "booth_y": "10",
            "booth_w": "3",
            "booth_h": "3",
        },
    )
    assert placed.status_code == 303
    approved = await post_form(
        client, f"/organizer/exhibitors/{exhibitor_id}/review", {"decision": "approve"}
    )
    assert approved.status_code == 303
    plan = await client.get("/marketplace/floor-plan", params={"q": "メーター"})
    assert 'data-testid="booth-N-10" data-hit="1"' in plan.text


async def _badge_qr(session, edition_id: int, user_id: int) -> str:
    """The signed text of the QR code on the person's badge (what a camera reads)."""
    mine = await registration.my_registration(session, edition_id, user_id)
    badge = await badges.current_badge(session, await registration.get_registration(session, mine.id))
    await session.commit()
    return badge.code


async def test_a_scanned_qr_is_judged_as_at_the_door_before_a_lead_is_kept(client, site) -> None:
    """#28: the camera sends the badge's signed QR text. A genuine badge of someone who shares their details
    is a lead, shown with name and organization; a forged or a revoked one is refused, saying why."""
    keen = await registered(
        site.session,
        site.edition_id,
        "keen@example.org",
        name="Nguyen Thi Lan",
        organization="Hai Phong City",
    )
    shy = await registered(site.session, site.edition_id, "shy@example.org", name="Shy Person")
    await with_consent(site.session, site.edition_id, keen.id, scanning=True)
    await with_consent(site.session, site.edition_id, shy.id, scanning=False)
    keen_qr = await _badge_qr(site.session, site.edition_id, keen.id)
    shy_qr = await _badge_qr(site.session, site.edition_id, shy.id)
    forged = keen_qr[:60] + ("A" if keen_qr[60] != "A" else "B") + keen_qr[61:]

    await sign_in(client, "staff-a@example.org", PASSWORD)
    camera = {"HX-Request": "true"}  # as static/js/leads-scan.js sends it: the result and the list come back
    recorded = await client.post(
        "/exhibitor/leads",
        data={"code": keen_qr},
        headers={**camera, "x-csrftoken": await csrf_token(client)},
    )
    assert recorded.status_code == 201 and "<html" not in recorded.text
    assert text_of(recorded.text).startswith("Lead recorded. Nguyen Thi Lan · Hai Phong City")
    again = await post_json(client, "/api/v1/leads", {"code": keen_qr})
    assert again.status_code == 200 and again.json()["lead"]["organization"] == "Hai Phong City"
    assert "Not shared" in text_of((await post_form(client, "/exhibitor/leads", {"code": shy_qr})).text)

    refused = await post_form(client, "/exhibitor/leads", {"code": forged})
    assert refused.status_code == 422
    assert "Not a valid badge of this conference (signature does not match)." in text_of(refused.text)
    api_refused = await post_json(client, "/api/v1/leads", {"code": forged})
    assert (api_refused.status_code, api_refused.json()["error"]) == (422, "badge_invalid")

    reg = await registration.get_registration(
        site.session, (await registration.my_registration(site.session, site.edition_id, keen.id)).id
    )
    await badges.reissue(site.session, reg, BASE, "lost")  # the old QR answers "revoked" from now on
    await site.session.commit()
    revoked = await post_json(client, "/api/v1/leads", {"code": keen_qr})
    assert (revoked.status_code, revoked.json()["error"]) == (422, "badge_revoked")
    assert "reported lost" in revoked.json()["detail"]
    await client.get("/lang/ja")
    page = await post_form(client, "/exhibitor/leads", {"code": keen_qr})
    assert "このバッジは無効になっています（紛失の届出あり）" in text_of(page.text)
    assert await site.session.scalar(select(func.count(Lead.id))) == 1
