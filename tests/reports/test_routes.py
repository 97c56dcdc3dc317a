"""The organizers' cockpit as organizers use it: the dashboard and its refresh, the edition report as a
page, CSV, Excel and PDF with the comparison between editions, the figures of earlier editions, and the
report API; nobody else gets in."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.db import create_engine
from tests.factories import make_user
from tests.reports.conftest import build_report, hold_meeting
from tests.support.pdf import pdf_text
from tests.support.web import post_form, sign_in, text_of
from tests.tours.conftest import PASSWORD


@pytest.fixture
async def world(settings, monkeypatch):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_report(session)
        await hold_meeting(session, w, monkeypatch)
        organizer = await make_user(session, "boss@example.org", role="organizer", name="Mika Organizer")
        w.token, _ = await accounts.create_api_token(session, organizer.id)
        w.delegate_token, _ = await accounts.create_api_token(session, w.official)
        await session.commit()
    await engine.dispose()
    return w


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_dashboard_draws_the_figures_and_refreshes_in_place(client, world) -> None:
    await sign_in(client, "boss@example.org", PASSWORD)
    page = await client.get("/organizer")
    assert page.status_code == 200
    body = page.text
    assert body.count("<svg") >= 6  # modes, categories, countries, cities, hours, tours, funnel, outcomes
    assert 'hx-get="/organizer/dashboard/figures"' in body and 'hx-trigger="every 30s"' in body
    text = text_of(body)
    assert "Philippines" in text and "Cebu City" in text
    fragment = await client.get("/organizer/dashboard/figures", headers={"hx-request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-testid="entrance-today">1<' in fragment.text
    assert 'data-testid="meetings-held">1<' in fragment.text
    await client.get("/lang/ja")
    assert "ダッシュボード" in (await client.get("/organizer")).text


async def test_only_organizers_see_the_cockpit(client, world) -> None:
    await sign_in(client, "official@example.org", PASSWORD)
    for path in (
        "/organizer",
        "/organizer/dashboard/figures",
        "/organizer/reports/edition",
        "/organizer/reports/edition.xlsx",
    ):
        assert (await client.get(path)).status_code == 403, path
    assert (
        await client.get("/api/v1/reports/edition", headers=bearer(world.delegate_token))
    ).status_code == 403
    client.cookies.clear()
    assert (await client.get("/api/v1/reports/edition")).status_code == 401


async def test_report_page_and_files_agree(client, world) -> None:
    await sign_in(client, "boss@example.org", PASSWORD)
    page = await client.get("/organizer/reports/edition")
    assert page.status_code == 200
    assert 'data-testid="fig-overseas_organizations">3<' in page.text
    assert 'data-testid="fig-contracts">1<' in page.text

    csv = await client.get("/organizer/reports/edition.csv")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"  # the charset once (Litestar adds it)
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Figure,ASCC 12 (2023)")
    assert "Overseas cities and institutions,3," in lines[1]

    xlsx = await client.get("/organizer/reports/edition.xlsx")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Figures", "Comparison", "Overseas organizations"]
    figures = {row[0]: row[1] for row in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["Overseas cities and institutions"] == 3 and figures["Led to a contract (business)"] == 1
    names = [row[0] for row in book["Overseas organizations"].iter_rows(min_row=2, values_only=True)]
    assert names == ["Cebu City", "Da Nang City", "World Bank"]

    await client.get("/lang/ja")
    pdf = await client.get("/organizer/reports/edition.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "海外の参加都市・機関" in text and "Cebu City" in text


async def test_earlier_editions_recorded_by_hand_are_compared(client, world, inputs) -> None:
    await sign_in(client, "boss@example.org", PASSWORD)
    bad = await post_form(
        client, "/organizer/reports/recorded", {"number": "8", "label": "2019", "participants": "about 850"}
    )
    assert bad.status_code == 422 and 'id="r-participants"' in bad.text and 'aria-invalid="true"' in bad.text
    hostile = " ".join(inputs["hostile"])[:2000]
    saved = await post_form(
        client,
        "/organizer/reports/recorded",
        {
            "number": "8",
            "label": "2019",
            "countries": "20",
            "participants": "850",
            "note": hostile,
            "name_ja": "第8回",
        },
    )
    assert saved.status_code == 200
    assert (
        "<script>alert" not in saved.text
        and "<img src=x" not in saved.text
        and "49" not in text_of(saved.text)
    )
    data = (await client.get("/api/v1/reports/edition", headers=bearer(world.token))).json()
    assert [(e["number"], e["source"]) for e in data["comparison"]] == [(8, "recorded"), (12, "platform")]
    assert data["comparison"][0]["figures"]["participants"] == 850
    assert data["edition"]["figures"]["overseas_organizations"] == 3
    assert [o["name_en"] for o in data["overseas_organizations"]] == [
        "Cebu City",
        "Da Nang City",
        "World Bank",
    ]
    assert data["meeting_outcomes"] == {"follow_up": 1}
    json.dumps(data)


async def test_unknown_edition_is_a_clear_404(client, world) -> None:
    for slug in ("nope", "x" * 300, "%E6%A8%AA%E6%B5%9C"):
        answer = await client.get(f"/api/v1/reports/edition?edition={slug}", headers=bearer(world.token))
        assert answer.status_code == 404 and answer.json()["status_code"] == 404, slug
    # A NUL is refused before any lookup (ascc/input_checks.py), naming the parameter.
    nul = await client.get("/api/v1/reports/edition?edition=%00", headers=bearer(world.token))
    assert (nul.status_code, nul.json()["field"]) == (400, "edition")


async def test_the_change_since_the_previous_edition_is_a_number_in_the_files(client, world) -> None:
    await sign_in(client, "boss@example.org", PASSWORD)
    await post_form(
        client, "/organizer/reports/recorded", {"number": "9", "label": "FY2020", "participants": "1300"}
    )
    csv = (await client.get("/organizer/reports/edition.csv")).content.decode("utf-8-sig").splitlines()
    participants = next(line for line in csv if line.startswith("Participants,"))
    assert participants.endswith(",-1295") or participants.split(",")[-1].startswith("-"), participants
    book = load_workbook(io.BytesIO((await client.get("/organizer/reports/edition.xlsx")).content))
    row = next(r for r in book["Comparison"].iter_rows(values_only=True) if r[0] == "Participants")
    assert isinstance(row[-1], int) and row[-1] < 0


async def test_correcting_an_earlier_edition_starts_from_its_recorded_figures(client, world) -> None:
    await sign_in(client, "boss@example.org", PASSWORD)
    await post_form(
        client,
        "/organizer/reports/recorded",
        {"number": "10", "label": "2021", "countries": "25", "sessions": "40", "name_en": "10th ASCC"},
    )
    form = (await client.get("/organizer/reports/edition?record=10")).text
    assert 'name="countries" inputmode="numeric" value="25"' in form
    assert 'name="sessions" inputmode="numeric" value="40"' in form and 'value="10th ASCC"' in form
    assert "/organizer/reports/edition?record=10#recorded" in form
