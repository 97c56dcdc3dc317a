"""The webhook pages as organizers and exhibitors use them, with the app's own delivery loop sending to a real
receiver (woken when the request commits)."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from tests.factories import PASSWORD, make_user
from tests.matching.conftest import build_matching
from tests.support.web import sign_in, submit, text_of
from tests.webhooks.conftest import Receiver


@pytest.fixture
async def site(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        built = await build_matching(session)
        await make_user(session, "organizer@example.org", role="organizer", name="Olga Organizer")
        yield built
    await engine.dispose()


async def arrived(receiver: Receiver, count: int) -> None:
    """Until the app's sender has posted `count` deliveries (it is woken by the commit, so at once)."""
    for _ in range(200):
        if len(receiver.received) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(receiver.received)} of {count} deliveries arrived")


def secret_in(html: str) -> str:
    found = re.search(r'data-testid="secret">(whsec_[A-Za-z0-9+/=]+)<', html)
    assert found, "no signing secret on the page"
    return found.group(1)


async def test_an_organizer_registers_an_endpoint_tests_it_and_sends_a_delivery_again(
    client, site, receiver
) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    assert "No endpoint yet." in text_of((await client.get("/organizer/webhooks")).text)

    wrong = await submit(
        client,
        "/organizer/webhooks",
        {
            "url": "ftp://crm.example.org/hooks",
            "description": "ダナン市 CRM 🏙️",
            "events": "meeting.scheduled",
        },
    )
    assert wrong.status_code == 422
    assert "Enter a full address, such as https://crm.example.org/hooks/ascc." in text_of(wrong.text)
    assert 'value="ダナン市 CRM 🏙️"' in wrong.text and 'value="meeting.scheduled" checked' in wrong.text
    none_chosen = await submit(client, "/organizer/webhooks", {"url": receiver.url()})
    assert none_chosen.status_code == 422 and "Choose at least one event." in text_of(none_chosen.text)

    created = await submit(
        client,
        "/organizer/webhooks",
        {
            "url": receiver.url(),
            "description": "ダナン市 CRM 🏙️",
            "events": ["registration.confirmed", "checkin.recorded"],
        },
    )
    assert created.status_code == 303
    here = created.headers["location"].split("?")[0]
    page = await client.get(created.headers["location"])
    assert "The endpoint is registered." in text_of(page.text)
    secret = secret_in(page.text)

    assert (await submit(client, f"{here}/test", {})).status_code == 303
    await arrived(receiver, 1)
    assert receiver.received[0].verified(secret)["type"] == "webhook.test"
    log = await client.get(here)
    assert "Delivered" in text_of(log.text) and "HTTP 200" in text_of(log.text)

    delivery_id = re.search(r"/organizer/webhooks/deliveries/(\d+)/send-again", log.text).group(1)
    again = await submit(client, f"/organizer/webhooks/deliveries/{delivery_id}/send-again", {})
    assert again.status_code == 303 and again.headers["location"].endswith("?done=again")
    await arrived(receiver, 2)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    second.verified(secret)

    await client.get("/lang/ja", params={"next": here})
    assert "送信履歴" in text_of((await client.get(here)).text)

    renewed = await submit(client, f"{here}/secret", {})
    assert secret_in((await client.get(renewed.headers["location"])).text) != secret

    await client.get("/lang/en", params={"next": here})
    typo = await submit(
        client, here, {"url": "https//crm", "description": "新しい説明", "events": "checkin.recorded"}
    )
    assert typo.status_code == 422 and 'value="https//crm"' in typo.text and 'value="新しい説明"' in typo.text
    paused = await submit(
        client, here, {"url": receiver.url(), "events": "checkin.recorded"}
    )  # enabled unticked
    assert paused.status_code == 303
    assert "Disabled: nothing is sent" in text_of((await client.get(here)).text)


async def test_an_exhibitor_sends_its_leads_to_its_own_endpoint_and_no_one_else_reaches_it(
    client, site, receiver
) -> None:
    await sign_in(client, "staff-a@example.org", PASSWORD)
    assert (await client.get("/exhibitor/webhook")).status_code == 200
    wrong = await submit(client, "/exhibitor/webhook", {"url": "http://crm.wakato.example/leads"})
    assert wrong.status_code == 422 and "The address must start with https://." in text_of(wrong.text)
    created = await submit(client, "/exhibitor/webhook", {"url": receiver.url("/wakato")})
    assert created.status_code == 303
    page = await client.get("/exhibitor/webhook")
    secret = secret_in(page.text)
    await submit(client, "/exhibitor/webhook/test", {})
    await arrived(receiver, 1)
    assert receiver.received[0].path == "/wakato" and receiver.received[0].verified(secret)
    log = await client.get("/exhibitor/webhook")
    wakato_delivery = re.search(r"/exhibitor/webhook/deliveries/(\d+)/send-again", log.text).group(1)
    client.cookies.clear()
    await sign_in(client, "staff-b@example.org", PASSWORD)  # Hibiki's administrator
    await submit(client, "/exhibitor/webhook", {"url": receiver.url("/hibiki")})
    assert "/wakato" not in (await client.get("/exhibitor/webhook")).text
    theirs = await submit(client, f"/exhibitor/webhook/deliveries/{wakato_delivery}/send-again", {})
    assert theirs.status_code == 404

    client.cookies.clear()
    await sign_in(client, "official@example.org", PASSWORD)  # a participant, no exhibitor's staff
    assert (await client.get("/exhibitor/webhook")).status_code == 403
    assert (await submit(client, "/exhibitor/webhook", {"url": receiver.url("/mine")})).status_code == 403

    client.cookies.clear()
    await sign_in(client, "organizer@example.org", PASSWORD)
    listed = text_of((await client.get("/organizer/webhooks")).text)
    assert (
        receiver.url("/wakato") in listed and receiver.url("/hibiki") in listed and "lead.recorded" in listed
    )
