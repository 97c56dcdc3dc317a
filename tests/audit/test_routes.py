"""The audit log as an organizer uses it: actions done through the pages show up with who, when and from what to
what, in English and Japanese; filters applied in place with htmx or by a plain form, shareable URLs, pages and
a CSV; the API with the same filters; hostile text shown escaped and kept intact in the CSV; exhibitors' own
changes recorded but the log closed to them and to everyone else but organizers. On both databases."""

from __future__ import annotations

import csv
import html
import io
from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.programme import session_editing
from ascc.registration import registering
from ascc.registration import services as registration
from tests.audit.conftest import actor_of
from tests.exhibitors.conftest import build_market
from tests.factories import PASSWORD, make_user
from tests.programme.conftest import session_form
from tests.registration.conftest import entry
from tests.support.web import post_form, sign_in, submit, text_of

BASE = "http://testserver.local"


@pytest.fixture
async def world(settings, inputs):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        market = await build_market(session)
        w = SimpleNamespace(**vars(market))
        edition = await editions.get_by_id(session, w.edition_id)
        boss = await make_user(session, "chief@example.org", role="organizer", name="Keiko Organizer")
        w.boss = boss.id
        settings_row = await registration.get_settings(session, edition.id)
        settings_row.approval_categories = ["international"]
        applicant = await make_user(session, "dev@example.org", name="Somchai Dev")
        mine = await registering.register(
            session,
            edition.id,
            applicant.id,
            entry(category="international", organization="ADB"),
            BASE,
            notify=False,
        )
        w.registration = mine.id
        row, _ = await session_editing.save_session(session, edition, None, session_form(), confirmed=True)
        w.session = row.id
        w.hostile = [text for text in inputs["hostile"] if text.strip() and "\x00" not in text]
        for text in w.hostile:
            await audit.record(
                session, actor_of(boss), "programme.track_save", "track", 9, text, after={"name_en": text}
            )
        w.tokens = {
            "boss": (await accounts.create_api_token(session, boss.id))[0],
            "staff": (await accounts.create_api_token(session, w.staff_a))[0],
        }
        await session.commit()
    await engine.dispose()
    return w


def bearer(world, who: str) -> dict[str, str]:
    return {"authorization": f"Bearer {world.tokens[who]}"}


def world_url(client) -> str:
    return client.app.state.settings.database_url


async def test_approving_in_the_list_shows_in_the_registrations_history(client, world) -> None:
    await sign_in(client, "chief@example.org", PASSWORD)
    listing = await client.get("/organizer/registrations")
    history = f"/organizer/audit?target_type=registration&amp;target_id={world.registration}"
    assert history in listing.text
    done = await submit(
        client, "/organizer/registrations/decide", {"single": f"approve:{world.registration}"}
    )
    assert done.status_code == 303
    page = await client.get(html.unescape(history))
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Registration approved" in text and "Keiko Organizer" in text and "Somchai Dev" in text
    assert "status: Waiting for approval → Confirmed" in text
    assert page.text.count('data-testid="audit-row"') == 1
    client.cookies.set("ascc_lang", "ja")
    japanese = text_of((await client.get(html.unescape(history))).text)
    assert "参加登録を承認" in japanese and "状態: 承認待ち → 確定" in japanese


async def test_editing_a_sessions_time_in_the_form_is_in_its_history(client, world) -> None:
    await sign_in(client, "chief@example.org", PASSWORD)
    form_page = await client.get(f"/organizer/programme/sessions/{world.session}")
    assert f"/organizer/audit?target_type=session&amp;target_id={world.session}" in form_page.text
    values = {
        "title_en": "Thematic session: water",
        "title_ja": "テーマ別セッション：水",
        "kind": "thematic",
        "day": "2023-11-14",
        "start": "13:00",
        "end": "14:00",
        "floor_language": "en",
        "interpretation": "ja",
        "format": "hybrid",
        "status": "published",
        "confirm_warnings": "1",
    }
    saved = await submit(client, f"/organizer/programme/sessions/{world.session}", values)
    assert saved.status_code == 303, saved.text[:500]
    history = f"/organizer/audit?target_type=session&target_id={world.session}"
    text = text_of((await client.get(history)).text)
    assert "Session changed" in text
    assert "starts: Tue 14 Nov, 10:00 → Tue 14 Nov, 13:00" in text
    assert "ends: Tue 14 Nov, 11:00 → Tue 14 Nov, 14:00" in text
    # A form that fails validation writes nothing, and says why.
    bad = await post_form(
        client, f"/organizer/programme/sessions/{world.session}", {**values, "end": "12:00"}
    )
    assert bad.status_code == 422
    again = await client.get(f"{history}&action=programme.session_update")
    assert again.text.count('data-testid="audit-row"') == 1


async def test_an_exhibitor_editing_a_solution_is_recorded_but_cannot_read_the_log(client, world) -> None:
    await sign_in(client, "staff-a@example.org", PASSWORD)
    values = {
        "title_en": "Septage dewatering unit, mark II",
        "title_ja": "し尿汚泥脱水ユニット",
        "summary_en": "A truck-sized screw press for septage sludge dewatering where there is no sewer.",
        "summary_ja": "下水道のない地域でし尿汚泥を脱水する車載型スクリュープレス。",
        "sectors": "water",
        "sdgs": "6.2, 6.3",
        "countries": "PH, VN",
    }
    saved = await submit(client, f"/exhibitor/solutions/{world.sludge_solution}", values)
    assert saved.status_code == 303, saved.text[:500]
    for path in ("/organizer/audit", "/organizer/audit/export.csv"):
        assert (await client.get(path, follow_redirects=False)).status_code == 403
    api = await client.get("/api/v1/audit", headers=bearer(world, "staff"))
    assert api.status_code == 403 and api.json()["error"] == "forbidden"
    client.cookies.clear()
    await sign_in(client, "chief@example.org", PASSWORD)
    page = await client.get(f"/organizer/audit?target_type=solution&target_id={world.sludge_solution}")
    text = text_of(page.text)
    assert "Solution changed" in text and "Aiko Staff" in text
    assert "title (English): Septage sludge dewatering unit → Septage dewatering unit, mark II" in text
    exhibitor_page = await client.get(f"/organizer/exhibitors/{world.sludge}")
    assert f"/organizer/audit?target_type=exhibitor&amp;target_id={world.sludge}" in exhibitor_page.text


async def test_the_log_is_closed_to_everyone_but_organizers(client, world) -> None:
    anonymous = await client.get("/organizer/audit", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert (await client.get("/api/v1/audit")).status_code == 401
    assert (await client.get("/api/v1/audit", headers={"authorization": "Bearer nope"})).status_code == 401
    await sign_in(client, "dev@example.org", PASSWORD)
    assert (await client.get("/organizer/audit", follow_redirects=False)).status_code == 403


async def test_filters_apply_in_place_with_htmx_and_as_a_plain_form(client, world) -> None:
    await sign_in(client, "chief@example.org", PASSWORD)
    full = await client.get("/organizer/audit?domain=programme&q=%2BSUM")
    assert full.status_code == 200 and "<html" in full.text
    assert 'hx-get="/organizer/audit"' in full.text and 'hx-push-url="true"' in full.text
    assert full.text.count('data-testid="audit-row"') == 1
    assert 'value="programme" selected' in full.text and 'value="+SUM"' in full.text
    partial = await client.get("/organizer/audit?domain=programme&q=%2BSUM", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and partial.text.count('data-testid="audit-row"') == 1
    assert 'href="/organizer/audit/export.csv?domain=programme&amp;q=%2BSUM"' in partial.text
    bad = await client.get("/organizer/audit?from=2023-02-30")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


async def test_pages_of_fifty_newest_first(client, world) -> None:
    engine = create_engine(world_url(client))
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        boss = actor_of(await accounts.get_user(session, world.boss))
        for n in range(60):
            await audit.record(
                session, boss, "user.role", "user", n + 1, f"Person {n:02d}", after={"role": "x"}
            )
        await session.commit()
    await engine.dispose()
    await sign_in(client, "chief@example.org", PASSWORD)
    first = await client.get("/organizer/audit?action=user.role")
    assert first.text.count('data-testid="audit-row"') == 50
    assert "Person 59" in first.text and "Person 09" not in first.text
    assert 'href="/organizer/audit?action=user.role&amp;page=2"' in first.text
    second = await client.get("/organizer/audit?action=user.role&page=2")
    assert second.text.count('data-testid="audit-row"') == 10 and "Person 00" in second.text


async def test_hostile_labels_show_escaped_and_survive_the_csv(client, world) -> None:
    await sign_in(client, "chief@example.org", PASSWORD)
    page = await client.get("/organizer/audit?target_type=track")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "{{ 7*7 }}" in html.unescape(page.text) and ">49<" not in page.text
    exported = await client.get("/organizer/audit/export.csv?target_type=track")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    labels = [row["target_label"] for row in rows]
    assert len(rows) == len(world.hostile)
    for text in world.hostile:
        expected = "'" + text if text.startswith(("=", "+", "-", "@")) else text
        assert expected in labels, text
    assert all(row["action_label"] == "Track saved" and row["actor"] == "Keiko Organizer" for row in rows)


async def test_the_api_filters_pages_and_names_bad_fields(client, world) -> None:
    answer = await client.get(
        "/api/v1/audit?target_type=track&per_page=3&page=2", headers=bearer(world, "boss")
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["page"], body["per_page"]) == (len(world.hostile), 2, 3)
    assert len(body["items"]) == 3
    item = body["items"][0]
    assert item["action"] == "programme.track_save" and item["domain"] == "programme"
    assert item["actor"]["name"] == "Keiko Organizer" and item["target"]["type"] == "track"
    assert item["before"] is None and set(item["after"]) == {"name_en"}
    found = await client.get("/api/v1/audit?q=DROP%20TABLE", headers=bearer(world, "boss"))
    assert [i["target"]["label"] for i in found.json()["items"]] == ["'; DROP TABLE registration; --"]
    for query, field in (
        ("from=2023-11-31", "from"),
        ("to=soon", "to"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("per_page=100000", "per_page"),
        ("actor=abc", "actor"),
        ("target_id=-4", "target_id"),
        ("domain=weather", "domain"),
        ("action=programme.explode", "action"),
        ("target_type=planet", "target_type"),
        ("colour=red", "colour"),
        ("from=0001-01-01", "from"),
        ("to=9999-12-31", "to"),
    ):
        bad = await client.get(f"/api/v1/audit?{query}", headers=bearer(world, "boss"))
        assert 400 <= bad.status_code < 500, query
        assert bad.json()["field"] == field, (query, bad.json())


async def test_a_nul_or_a_far_away_date_is_a_clear_answer_never_a_500(client, world) -> None:
    await sign_in(client, "chief@example.org", PASSWORD)
    # A NUL in an address is refused before any page (ascc/input_checks.py): a 400 naming the parameter.
    for url in (
        "/organizer/audit?q=%00",
        "/organizer/audit/export.csv?q=%00",
        "/organizer/audit?q=DROP%00TABLE",
    ):
        assert (await client.get(url)).status_code == 400, url
    assert (await client.get("/organizer/audit?q=DROP%20TABLE")).status_code == 200
    api = await client.get("/api/v1/audit?q=%00", headers=bearer(world, "boss"))
    assert api.status_code == 400 and api.json()["field"] == "q"
    assert (await client.get("/api/v1/audit", headers=bearer(world, "boss"))).json()["total"] > 0
    for query in ("from=0001-01-01", "to=9999-12-31"):
        bad = await client.get(f"/organizer/audit?{query}")
        assert bad.status_code == 422 and "between the years 2000 and 2100" in html.unescape(bad.text), query
        csv_answer = await client.get(f"/organizer/audit/export.csv?{query}")
        assert 400 <= csv_answer.status_code < 500, query
