"""Uploads: exhibitor logos here (speaker photos, session materials and brochures go through the same
ascc.files checks: tests/programme and tests/exhibitors). Size and type are judged by content; names are
stored as text that can name nothing on a disk; what comes back out is served so a browser cannot be
talked into running it."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ascc.exhibitors.services import LOGO_MAX_BYTES
from tests.security.conftest import Demo, app_client, csrf_header, rows, signed_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the signature is what the check reads
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
POLYGLOT = PNG + b"<html><script>alert(3)</script></html>"  # a real PNG signature followed by markup


@pytest.fixture
async def exhibitor(demo: Demo):
    async with app_client(demo.settings()) as client:
        yield await signed_in(client, demo, "exhibitor")


async def _upload(client, name: str, data: bytes, content_type: str = "image/png"):
    return await client.post(
        "/exhibitor/logo",
        files={"logo": (name, data, content_type)},
        data={"_csrf_token": csrf_header(client)["x-csrftoken"]},
        follow_redirects=False,
    )


async def _logo(demo: Demo) -> list[tuple]:
    return await rows(
        demo,
        "select f.filename, f.content_type, f.size from exhibitor e left join stored_file f on f.id = e.logo_id "
        "where e.id = :e",
        e=demo.ids["exhibitor_a"],
    )


REFUSED = [
    ("big.png", PNG + b"\x00" * LOGO_MAX_BYTES, 413),  # within the request's limit, over the logo's
    ("huge.png", PNG + b"\x00" * (LOGO_MAX_BYTES * 3), 413),  # over the request's limit
    ("page.png", HTML, 415),
    ("image.svg", SVG, 415),
    ("image.png", SVG, 415),
]
# Name sent -> name stored. The multipart parser keeps the last part of a Windows path; httpx sends a NUL
# percent-encoded; our own cleaning replaces slashes and drops control and bidirectional-override characters.
NAMES = [
    ("../../etc/passwd.png", ".._.._etc_passwd.png"),
    ("C:\\Windows\\system32\\logo.png", "logo.png"),
    ("nul\x00byte.png", "nul%00byte.png"),
    ("right\u202egnp.exe", "rightgnp.exe"),  # the right-to-left override that disguises an extension
    ("横浜ロゴ.png", "横浜ロゴ.png"),
]


async def test_too_large_or_not_an_image_is_refused_by_field(demo: Demo, exhibitor) -> None:
    before = await _logo(demo)
    for name, data, status in REFUSED:
        response = await _upload(exhibitor, name, data)
        assert response.status_code == status, name
        assert "Traceback" not in response.text
        if len(data) <= LOGO_MAX_BYTES * 2:
            assert 'name="logo"' in response.text, name  # the form again, the message beside its field
    assert await _logo(demo) == before


async def test_file_names_are_stored_as_harmless_text(demo: Demo, exhibitor, inputs) -> None:
    for name, stored in NAMES:
        assert (await _upload(exhibitor, name, PNG)).status_code == 303, name
        assert await _logo(demo) == [(stored, "image/png", len(PNG))]
        served = await exhibitor.get("/exhibitor/logo")
        assert served.headers["content-type"] == "image/png"
        assert served.headers["content-disposition"].endswith("filename*=UTF-8''" + quote(stored, safe=""))
    for text in inputs["hostile"]:
        assert (await _upload(exhibitor, f"{text}.png", PNG)).status_code == 303, text
        [(filename, _, _)] = await _logo(demo)
        assert not {"/", "\\", '"', "\x00"} & set(filename), filename
        disposition = (await exhibitor.get("/exhibitor/logo")).headers["content-disposition"]
        assert disposition.startswith("inline; filename*=UTF-8''") and '"' not in disposition


async def test_a_polyglot_is_served_as_an_image_that_no_browser_sniffs(demo: Demo, exhibitor) -> None:
    assert (await _upload(exhibitor, "innocent.png", POLYGLOT)).status_code == 303
    for path in ("/exhibitor/logo", f"/marketplace/exhibitors/{demo.ids['exhibitor_a']}/logo"):
        served = await exhibitor.get(path)
        assert served.status_code == 200, path
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in served.headers["content-security-policy"]
