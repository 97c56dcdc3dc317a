"""Home, health, language, error pages and headers, as people and operators see them."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from ascc import db
from tests.factories import PASSWORD, make_edition, make_user
from tests.support.web import link_in, post_form, sign_in, text_of


async def _session(settings):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    db.load_models()
    engine = db.create_engine(settings.database_url)
    return engine, async_sessionmaker(engine, expire_on_commit=False)()


async def test_health_reports_database(client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["ok"] is True


async def test_every_response_carries_security_headers(client) -> None:
    for path in ("/", "/health", "/static/css/app.css", "/no-such-page", "/api/v1/editions"):
        headers = (await client.get(path)).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_the_site_has_a_favicon(client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200 and response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response.headers["content-type"].startswith("image/")
    assert "set-cookie" not in response.headers  # answered before sessions are looked at
    assert '<link rel="icon" href="/favicon.ico"' in (await client.get("/")).text


async def test_the_site_is_an_installable_app_in_both_languages(client) -> None:
    """#28: a page links the manifest of its language; the manifest names the app, its icons (which load, at
    their declared sizes) and where it opens; the service worker is served from the root, never cached."""
    import io

    from PIL import Image

    await client.get("/lang/ja")
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=ja">' in (await client.get("/")).text
    japanese = await client.get("/manifest.webmanifest", params={"lang": "ja"})
    assert japanese.headers["content-type"].startswith("application/manifest+json")
    assert "set-cookie" not in japanese.headers  # answered before sessions are looked at
    app = japanese.json()
    assert (app["name"], app["short_name"], app["lang"]) == ("アジア・スマートシティ会議", "ASCC", "ja")
    assert app["name_localized"] == {"en": "Asia Smart City Conference"}
    assert (app["id"], app["scope"], app["start_url"], app["display"]) == (
        "/",
        "/",
        "/my-agenda",
        "standalone",
    )
    client.cookies.clear()  # browsers fetch the manifest without cookies: the link's language, else the browser's
    english = (await client.get("/manifest.webmanifest", headers={"accept-language": "en-GB"})).json()
    assert english["name"] == "Asia Smart City Conference" and english["shortcuts"][1]["name"] == "My badge"
    for icon in app["icons"]:
        png = await client.get(icon["src"])
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        size = Image.open(io.BytesIO(png.content)).size
        assert f"{size[0]}x{size[1]}" == icon["sizes"]
    worker = await client.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache" and "ascc-personal-" in worker.text


async def test_pages_load_no_inline_script(client) -> None:
    html = (await client.get("/")).text
    assert "<script>" not in html and "onclick=" not in html
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html


async def test_openapi_schema_is_published(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/me" in schema["paths"] and "/api/v1/editions" in schema["paths"]
    assert "/signup" not in schema["paths"]


async def test_language_switch_sticks_across_pages(client) -> None:
    response = await client.get("/lang/ja?next=/editions", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/editions")
    page = await client.get("/editions")
    assert '<html lang="ja">' in page.text and "開催回" in page.text
    await client.get("/lang/en?next=/")
    assert '<html lang="en">' in (await client.get("/")).text


async def test_language_switch_refuses_to_redirect_elsewhere(client) -> None:
    response = await client.get("/lang/ja?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


async def test_browser_language_is_used_until_a_choice_is_made(client) -> None:
    page = await client.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert '<html lang="ja">' in page.text


async def test_signed_in_persons_language_choice_is_saved_on_the_account(client, settings) -> None:
    engine, session = await _session(settings)
    await make_user(session, "lang@example.org", preferred_lang="en")
    await sign_in(client, "lang@example.org", PASSWORD)
    await client.get("/lang/ja?next=/account")
    client.cookies.delete("ascc_lang")  # another device: the account remembers
    assert '<html lang="ja">' in (await client.get("/account")).text
    await session.close()
    await engine.dispose()


async def test_not_found_page_in_both_languages(client) -> None:
    english = await client.get("/no-such-page")
    assert english.status_code == 404 and "Page not found" in english.text
    client.cookies.set("ascc_lang", "ja")
    japanese = await client.get("/no-such-page")
    assert japanese.status_code == 404 and "ページが見つかりません" in japanese.text


async def test_home_shows_only_the_current_edition(client, settings) -> None:
    engine, session = await _session(settings)
    await make_edition(session, "ascc2023", current=False, year=2023, venue_address_en="Yokohama 2023")
    await make_edition(session, "ascc2024", current=True, year=2024, venue_address_en="Yokohama 2024")
    home = text_of((await client.get("/")).text)
    assert "Edition ascc2024" in home and "Edition ascc2023" not in home
    page_2023 = text_of((await client.get("/editions/ascc2023")).text)
    assert "Yokohama 2023" in page_2023 and "Yokohama 2024" not in page_2023
    await session.close()
    await engine.dispose()


async def test_draft_edition_is_hidden_from_the_public(client, settings) -> None:
    engine, session = await _session(settings)
    await make_edition(session, "ascc2025", current=False, status="draft", year=2025)
    assert (await client.get("/editions/ascc2025")).status_code == 404
    assert [e["slug"] for e in (await client.get("/api/v1/editions")).json()] == []
    await make_user(session, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    assert (await client.get("/editions/ascc2025")).status_code == 200
    await session.close()
    await engine.dispose()


async def test_organizer_creates_an_edition_and_makes_it_current(client, settings) -> None:
    engine, session = await _session(settings)
    await make_user(session, "boss@example.org", role="organizer")
    await make_edition(session, "ascc2023")
    await sign_in(client, "boss@example.org", PASSWORD)
    form = {
        "slug": "ascc2024",
        "name_en": "13th Asia Smart City Conference",
        "name_ja": "第13回アジア・スマートシティ会議",
        "starts_on": "2024-11-20",
        "ends_on": "2024-11-18",
        "timezone": "Asia/Tokio",
        "status": "draft",
    }
    refused = await post_form(client, "/organizer/editions/new", form)
    assert refused.status_code == 422
    assert "The last day cannot be before the first day." in refused.text
    assert "Unknown time zone" in refused.text
    assert 'value="第13回アジア・スマートシティ会議"' in refused.text
    created = await post_form(
        client,
        "/organizer/editions/new",
        {**form, "ends_on": "2024-11-22", "timezone": "Asia/Tokyo"},
        follow_redirects=False,
    )
    assert created.headers["location"] == "/organizer/editions/ascc2024"
    draft = await post_form(client, "/organizer/editions/ascc2024/current", {})
    assert draft.status_code == 409 and "A draft edition cannot be the current one" in draft.text
    published = {**form, "ends_on": "2024-11-22", "timezone": "Asia/Tokyo", "status": "registration_open"}
    await post_form(client, "/organizer/editions/ascc2024", published)
    await post_form(client, "/organizer/editions/ascc2024/current", {})
    current = (await client.get("/api/v1/editions/current")).json()
    assert (current["slug"], current["name_ja"]) == ("ascc2024", "第13回アジア・スマートシティ会議")
    await session.close()
    await engine.dispose()


async def test_organizer_user_list_makes_the_same_queries_for_3_or_30_people(client, settings) -> None:
    engine, session = await _session(settings)
    await make_user(session, "boss@example.org", role="organizer")
    await sign_in(client, "boss@example.org", PASSWORD)
    statements: list[str] = []

    async def count_queries() -> int:
        statements.clear()
        app_engine = client.app.state[next(k for k in client.app.state if k.startswith("db_engine"))]
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(app_engine.sync_engine, "before_cursor_execute", listener)
        assert (await client.get("/organizer/users")).status_code == 200
        event.remove(app_engine.sync_engine, "before_cursor_execute", listener)
        return len(statements)

    for index in range(2):
        await make_user(session, f"few{index}@example.org", organization_id=None)
    few = await count_queries()
    for index in range(28):
        await make_user(session, f"many{index}@example.org")
    assert await count_queries() == few
    await session.close()
    await engine.dispose()


async def test_app_delivers_sign_up_mail_through_smtp_in_the_background(make_settings, mailbox) -> None:
    from litestar.testing import AsyncTestClient

    from ascc.app import create_app

    settings = make_settings(smtp_url=mailbox.url, mail_poll_seconds=0.2)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        await post_form(
            client,
            "/signup",
            {
                "email": "Phuong@Example.org",
                "password": "long enough pw",
                "name_latin": "Tran Van Hoang",
                "name_local": "Trần Văn Hoàng",
                "preferred_lang": "ja",
            },
        )
        for _ in range(50):
            if mailbox.messages:
                break
            await asyncio.sleep(0.1)
        [message] = mailbox.to("phuong@example.org")
        assert message["Subject"].startswith("メールアドレスの確認")
        path = link_in(message.get_content(), "/verify/")
        assert (await client.get(path)).status_code == 200


async def test_database_failure_gives_friendly_500_page_and_503_health(make_settings, tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from ascc.app import create_app

    broken = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    async with AsyncTestClient(app=create_app(broken)) as client:
        health = await client.get("/health")
        assert (health.status_code, health.json()["database"]["ok"]) == (503, False)
        page = await client.get("/", headers={"Accept-Language": "ja"})
        assert page.status_code == 500
        assert "システムエラーが発生しました" in page.text and "Traceback" not in page.text
        api = await client.get("/api/v1/editions")
        assert (api.status_code, api.json()["error"]) == (500, "internal_error")


async def test_bad_input_never_gives_a_500(client, settings) -> None:
    engine, session = await _session(settings)
    user = await make_user(session, "api@example.org", role="organizer")
    from ascc.accounts import services as accounts

    raw, _ = await accounts.create_api_token(session, user.id)
    await session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    nested = "[" * 100_000 + "]" * 100_000
    deep = await client.post(
        "/api/v1/me", headers={**headers, "content-type": "application/json"}, content=nested
    )
    assert deep.status_code == 400
    huge_offset = await client.get("/api/v1/users?offset=99999999999999999999", headers=headers)
    assert huge_offset.status_code == 400
    await sign_in(client, "api@example.org", PASSWORD)
    huge_id = await post_form(client, "/account/tokens/99999999999999999999999/revoke", {})
    assert huge_id.status_code == 400
    token = client.cookies.get("ascc_csrf")
    upload = await client.post(
        "/organizer/organizations/",
        data={"_csrf_token": token, "name_en": "Upload City", "kind": "city"},
        files={"website": ("x.txt", b"not text", "text/plain")},
    )
    assert upload.status_code in (303, 200)
    await session.close()
    await engine.dispose()


async def test_api_profile_update_changes_only_the_fields_sent(client, settings) -> None:
    engine, session = await _session(settings)
    from ascc.accounts import services as accounts

    user = await make_user(session, "p@example.org", name_local="佐藤 遥", country="JP", preferred_lang="ja")
    raw, _ = await accounts.create_api_token(session, user.id)
    await session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    updated = (await client.post("/api/v1/me", headers=headers, json={"name_latin": "Haruka Sato"})).json()
    assert (updated["name_local"], updated["country"], updated["preferred_lang"]) == ("佐藤 遥", "JP", "ja")
    unknown = await client.post("/api/v1/me", headers=headers, json={"role": "organizer"})
    assert unknown.status_code == 400
    await session.close()
    await engine.dispose()


async def test_anonymous_api_write_gets_401_not_a_csrf_error(client) -> None:
    response = await client.post("/api/v1/organizations", json={"name_en": "X", "kind": "city"})
    assert (response.status_code, response.json()["error"]) == (401, "not_authenticated")


async def test_head_on_health_for_monitors(client) -> None:
    assert (await client.head("/health")).status_code == 200


async def test_method_not_allowed_names_the_allowed_methods(client) -> None:
    response = await client.delete("/api/v1/editions")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


async def test_liveness_needs_no_database_and_readiness_says_what_is_missing(make_settings, tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from ascc.app import create_app

    broken = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    async with AsyncTestClient(app=create_app(broken)) as client:
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["database"]["ok"] is False


async def test_readiness_checks_redis_when_it_is_configured(client, make_settings) -> None:
    from litestar.testing import AsyncTestClient

    from ascc.app import create_app

    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["redis"] is None  # one worker, memory stores
    with_redis = make_settings(redis_url="redis://127.0.0.1:6379/13")
    async with AsyncTestClient(app=create_app(with_redis)) as redis_client:
        answer = await redis_client.get("/health/ready")
        assert answer.status_code == 200 and answer.json()["redis"]["ok"] is True
    gone = make_settings(redis_url="redis://127.0.0.1:1/13")  # nothing listens there
    async with AsyncTestClient(app=create_app(gone)) as down_client:
        answer = await down_client.get("/health/ready")
        assert answer.status_code == 503 and answer.json()["redis"]["ok"] is False
        assert (await down_client.get("/health/live")).status_code == 200
