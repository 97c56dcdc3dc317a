"""The installable app (#28): the manifest is valid JSON whose icons load; a delegate opens my agenda and
my badge online, the phone loses the network, and both pages open again from the site's service worker,
saying when that copy was made; signing out deletes the copies."""

from __future__ import annotations

import pytest

from tests.browser.test_marketplace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]  # one Chromium per process

MANIFEST_ICONS = """async () => {
  const manifest = await (await fetch(document.querySelector("link[rel=manifest]").href)).json();
  const sizes = await Promise.all(manifest.icons.map((icon) => new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve(`${image.naturalWidth}x${image.naturalHeight}`);
    image.onerror = () => resolve("broken");
    image.src = icon.src;
  })));
  return [manifest.name, manifest.start_url, manifest.icons.map((icon) => icon.sizes), sizes];
}"""
KEPT = "async () => (await caches.keys()).filter((name) => name.startsWith('ascc-personal-'))"


@pytest.fixture
def second_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T09:12+09:00")


async def test_my_agenda_and_badge_open_offline_and_say_how_old_they_are(
    second_morning, live_server, page
) -> None:
    url = live_server.url
    await sign_in(page, url, "delegate@example.org", "/my-agenda")
    name, start, declared, loaded = await page.evaluate(MANIFEST_ICONS)
    assert (name, start) == ("Asia Smart City Conference", "/my-agenda")
    assert loaded == declared == ["192x192", "512x512", "512x512"]

    await page.wait_for_function("navigator.serviceWorker.controller !== null")
    await page.goto(f"{url}/my-agenda")
    sessions = await page.locator("main h1 ~ *").all_inner_texts()
    await page.goto(f"{url}/badge")
    note = page.locator("[data-testid=offline-note]")
    assert not await note.is_visible()  # online: the page as it is now, nothing to say

    await page.context.set_offline(True)
    await page.reload()
    assert await note.is_visible() and await note.inner_text() == (
        "Offline copy from Tue 14 Nov, 09:12: connect to the network to see the latest."
    )
    assert await page.locator("[data-testid=badge-image]").evaluate("image => image.naturalWidth") > 0
    await page.goto(f"{url}/my-agenda")
    assert await note.is_visible()
    assert await page.locator("main h1 ~ *").all_inner_texts() == sessions

    await page.context.set_offline(False)
    await page.goto(f"{url}/lang/ja?next=/my-agenda")
    assert await page.evaluate(KEPT) == ["ascc-personal-v1"]
    await page.click("header button:text-is('ログアウト')")
    await page.wait_for_url(f"{url}/")
    assert await page.evaluate(KEPT) == []  # a shared phone: nobody's pages stay on it
