"""Webhooks end to end at the service level, on SQLite and PostgreSQL: events recorded with their cause, sent
by the delivery loop (driven directly here) to a real HTTP receiver, verified as docs/webhooks.md says."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.audit.models import AuditEntry
from ascc.badges import checkin
from ascc.errors import ValidationFailed
from ascc.exhibitors import leads
from ascc.matching import meeting_requests, placement
from ascc.privacy import forget
from ascc.registration import registering
from ascc.registration import services as registration
from ascc.webhooks import delivery, payloads
from ascc.webhooks import services as webhooks
from ascc.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.tours.conftest import BASE, registered
from tests.webhooks.conftest import SECRET_KEY, deliver, make_endpoint, verify

ORGANIZER_EVENTS = list(payloads.ORGANIZER_EVENTS)


async def log_of(session, endpoint_id: int) -> list[WebhookDelivery]:
    """The endpoint's deliveries as they are now in the database (the senders wrote them), oldest first."""
    await session.commit()
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def endpoint_now(session, endpoint_id: int) -> WebhookEndpoint:
    await session.commit()
    return await session.get_one(WebhookEndpoint, endpoint_id, populate_existing=True)


async def test_a_confirmed_registration_arrives_signed_with_the_least_personal_data(
    session, session_maker, world, receiver
) -> None:
    endpoint, secret = await make_endpoint(session, receiver.url(), [payloads.REGISTRATION_CONFIRMED])
    person = await registered(
        session, world.edition_id, "an.nguyen@example.org", name="Nguyễn Văn An", organization="Đà Nẵng City"
    )

    report = await deliver(session_maker)

    assert report.delivered == 1
    [got] = receiver.received
    event = got.verified(secret)
    assert got.path == "/hooks" and got.headers["content-type"] == "application/json"
    assert event["type"] == "registration.confirmed"
    assert event["data"]["edition"] == {"id": world.edition_id, "slug": "ascc2023"}
    assert event["data"]["person"] == {
        "id": person.id,
        "name": "Nguyễn Văn An",
        "organization": "Đà Nẵng City",
    }
    assert (event["data"]["category"], event["data"]["mode"]) == ("city_official", "in_person")
    assert "an.nguyen@example.org" not in got.body.decode()
    # A changed body, another secret, an old timestamp: each fails the documented check.
    with pytest.raises(ValueError, match="bad signature"):
        verify(secret, got.headers, got.body.replace("Nguyễn".encode(), b"Nguyen"))
    other_secret = webhooks.reveal_secret(
        (await make_endpoint(session, receiver.url("/x"), ORGANIZER_EVENTS))[0], SECRET_KEY
    )
    with pytest.raises(ValueError, match="bad signature"):
        verify(other_secret, got.headers, got.body)
    with pytest.raises(ValueError, match="replay"):
        verify(
            secret,
            {**got.headers, "webhook-timestamp": str(int(got.headers["webhook-timestamp"]) - 600)},
            got.body,
        )
    [row] = await log_of(session, endpoint.id)
    assert (row.status, row.attempts, row.last_status_code, row.message_id) == (
        "delivered",
        1,
        200,
        got.headers["webhook-id"],
    )
    assert (await deliver(session_maker)).delivered == 0  # nothing is sent twice


async def test_a_receiver_that_is_down_gets_every_event_once_when_it_is_back(
    session, session_maker, world, receiver, monkeypatch
) -> None:
    endpoint, secret = await make_endpoint(
        session, receiver.url(), [payloads.REGISTRATION_CONFIRMED, payloads.REGISTRATION_CANCELLED]
    )
    receiver.stop()  # connection refused from now on
    person = await registered(session, world.edition_id, "late@example.org", name="Late Comer")

    first = await deliver(session_maker)

    assert (first.delivered, first.retrying) == (0, 1)
    [row] = await log_of(session, endpoint.id)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, None)
    assert "ConnectError" in row.last_error
    paused = await endpoint_now(session, endpoint.id)
    assert paused.consecutive_failures == 1 and paused.enabled
    # Before the back-off (30 s) has passed nothing is attempted; an event meanwhile waits behind it.
    assert await deliver(session_maker) == delivery.Report()
    mine = await registration.my_registration(session, world.edition_id, person.id)
    await registering.cancel(session, mine, BASE, notify=False)
    await session.commit()
    assert await deliver(session_maker) == delivery.Report()

    receiver.start()
    monkeypatch.setenv("ASCC_NOW", "2023-11-14T10:01+09:00")
    back = await deliver(session_maker)

    assert back.delivered == 2
    assert [e["type"] for e in receiver.events(secret)] == [
        "registration.confirmed",
        "registration.cancelled",
    ]
    assert (await deliver(session_maker)).delivered == 0 and len(receiver.received) == 2
    rows = await log_of(session, endpoint.id)
    assert [(r.status, r.attempts) for r in rows] == [("delivered", 2), ("delivered", 1)]
    recovered = await endpoint_now(session, endpoint.id)
    assert (recovered.consecutive_failures, recovered.paused_until) == (0, None)


async def test_send_again_posts_the_same_event_once_more(session, session_maker, world, receiver) -> None:
    endpoint, secret = await make_endpoint(session, receiver.url(), [payloads.REGISTRATION_CONFIRMED])
    await registered(session, world.edition_id, "again@example.org", name="Sam Again")
    await deliver(session_maker)
    [row] = await log_of(session, endpoint.id)

    assert await webhooks.send_again(session, row, None)
    await session.commit()
    assert not await webhooks.send_again(session, row, None)  # already waiting: left as it is
    await session.commit()
    await deliver(session_maker)

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert second.verified(secret)["type"] == "registration.confirmed"
    [row] = await log_of(session, endpoint.id)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert await session.scalar(select(func.count()).where(AuditEntry.action == "webhooks.send_again")) == 1


async def test_an_exhibitors_endpoint_gets_its_own_leads_and_nothing_else(
    session, session_maker, world, receiver
) -> None:
    _, org_secret = await make_endpoint(session, receiver.url("/organizers"), ORGANIZER_EVENTS)
    sludge, sludge_secret = await make_endpoint(
        session, receiver.url("/sludge"), ORGANIZER_EVENTS, exhibitor_id=world.sludge.id
    )
    await make_endpoint(session, receiver.url("/plastics"), exhibitor_id=world.plastics.id)
    assert sludge.events == ["lead.recorded"]  # whatever was asked for
    keen = await registered(
        session, world.edition_id, "keen@example.org", name="Keen Person", organization="Cebu City"
    )
    mine = await registration.my_registration(session, world.edition_id, keen.id)
    mine.consent_scanning = True
    await session.commit()

    assert (
        await leads.record(session, world.sludge, world.company, mine.badge_code, checkin.identify)
    ).outcome == "recorded"
    await session.commit()
    await deliver(session_maker)

    paths = sorted((r.path, json.loads(r.body)["type"]) for r in receiver.received)
    assert paths == [("/organizers", "registration.confirmed"), ("/sludge", "lead.recorded")]
    [lead] = [r.verified(sludge_secret) for r in receiver.received if r.path == "/sludge"]
    assert lead["data"]["exhibitor_id"] == world.sludge.id
    assert lead["data"]["person"] == {"id": keen.id, "name": "Keen Person", "organization": "Cebu City"}
    with pytest.raises(ValueError):  # signed with the exhibitor's own secret, not the organizers'
        verify(org_secret, *next((r.headers, r.body) for r in receiver.received if r.path == "/sludge"))


async def test_no_payload_carries_an_email_address_a_badge_code_or_an_id_number(
    session, session_maker, world, receiver
) -> None:
    _, secret = await make_endpoint(session, receiver.url(), ORGANIZER_EVENTS)
    _, lead_secret = await make_endpoint(session, receiver.url("/leads"), exhibitor_id=world.sludge.id)
    person = await registered(session, world.edition_id, "private.person@example.org", name="Private Person")
    mine = await registration.my_registration(session, world.edition_id, person.id)
    mine.consent_scanning = True
    await session.commit()
    await checkin.scan(session, world.edition_id, checkin.ScanInput(mine.badge_code, "entrance"), None)
    await leads.record(session, world.sludge, world.company, mine.badge_code, checkin.identify)
    await session.commit()
    meeting = await meeting_requests.send_request(
        session, world.edition, world.official, {"recipient_id": world.company, "message": "Hi"}, BASE
    )
    await meeting_requests.answer(
        session, world.edition, meeting.id, world.company, "accept", {"slot_id": world.slots[0]}, BASE
    )
    await session.commit()
    await placement.move(session, world.edition, meeting.id, world.official, False, world.slots[1], BASE)
    await session.commit()
    await meeting_requests.cancel(session, world.edition, meeting.id, world.company, False, BASE)
    await registering.cancel(session, mine, BASE, notify=False)
    await session.commit()

    await deliver(session_maker)

    events = [r.verified(lead_secret if r.path == "/leads" else secret) for r in receiver.received]
    assert sorted({e["type"] for e in events}) == sorted([*ORGANIZER_EVENTS, "lead.recorded"])
    everything = b" ".join(r.body for r in receiver.received).decode()
    assert "@" not in everything and "email" not in everything
    assert mine.badge_code not in everything
    scheduled, moved, cancelled = (
        next(e["data"] for e in events if e["type"] == kind)
        for kind in ("meeting.scheduled", "meeting.moved", "meeting.cancelled")
    )
    assert [p["person_id"] for p in scheduled["parties"]] == [world.official, world.company]
    assert moved["previous_slot"] == scheduled["slot"] != moved["slot"] == cancelled["slot"]
    assert "name" not in json.dumps(scheduled)  # parties by id and organization only
    [check] = [e["data"] for e in events if e["type"] == "checkin.recorded"]
    assert check["place"] == {"type": "entrance", "id": None} and check["person"] == {"id": person.id}


async def test_an_event_is_recorded_with_its_cause_and_a_rolled_back_change_sends_nothing(
    session, session_maker, world, receiver
) -> None:
    await make_endpoint(session, receiver.url(), ORGANIZER_EVENTS)
    async with session_maker() as change:
        user = await accounts.create_user(
            change,
            email="never@example.org",
            role="delegate",
            password="not used here",
            name_latin="Never Was",
        )
        await registering.register(
            change,
            world.edition_id,
            user.id,
            registering.RegistrationInput(privacy_accepted=True, country="PH", organization="Cebu City"),
            BASE,
            notify=False,
        )
        # Inside the registration's transaction the delivery exists; a sender beside it sees nothing yet.
        assert await change.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
        assert await deliver(session_maker) == delivery.Report()
        await change.rollback()

    assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert await deliver(session_maker) == delivery.Report()
    assert receiver.received == []


async def test_two_senders_at_once_send_each_event_once(session, session_maker, world, receiver) -> None:
    endpoint, _ = await make_endpoint(session, receiver.url(), [payloads.REGISTRATION_CONFIRMED])
    for n in range(4):
        await registered(session, world.edition_id, f"p{n}@example.org", name=f"Person {n}")

    reports = await asyncio.gather(deliver(session_maker), deliver(session_maker))

    assert sum(r.delivered for r in reports) == 4
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 4
    assert all(r.status == "delivered" for r in await log_of(session, endpoint.id))


async def test_an_endpoint_failing_again_and_again_is_disabled_and_nothing_is_lost(
    session, session_maker, world, receiver, monkeypatch
) -> None:
    endpoint, secret = await make_endpoint(session, receiver.url(), [payloads.REGISTRATION_CONFIRMED])
    receiver.status = 500
    for n in range(2):
        await registered(session, world.edition_id, f"q{n}@example.org", name=f"Person {n}")

    for hour in range(delivery.DISABLE_AFTER):  # each round after the longest back-off (one hour)
        monkeypatch.setenv("ASCC_NOW", f"2023-11-{15 + hour // 12:02d}T{(hour % 12) * 2:02d}:00+09:00")
        report = await deliver(session_maker)
        assert report.delivered == 0

    first, second = await log_of(session, endpoint.id)
    # The first was tried MAX_ATTEMPTS times; the second waited behind it, then took the remaining failures.
    assert (first.status, first.attempts, first.last_status_code) == ("failed", delivery.MAX_ATTEMPTS, 500)
    assert (second.status, second.attempts) == ("pending", delivery.DISABLE_AFTER - delivery.MAX_ATTEMPTS)
    disabled = await endpoint_now(session, endpoint.id)
    assert (disabled.enabled, disabled.disabled_reason, disabled.last_error) == (
        False,
        "failures",
        "HTTP 500",
    )
    assert (
        await session.scalar(select(func.count()).where(AuditEntry.action == "webhooks.endpoint_disabled"))
        == 1
    )
    await registered(session, world.edition_id, "while-off@example.org", name="While Off")
    assert len(await log_of(session, endpoint.id)) == 2  # not recorded for a disabled endpoint
    assert await deliver(session_maker) == delivery.Report()

    receiver.status = 200
    await webhooks.update_endpoint(
        session,
        disabled,
        webhooks.EndpointInput(url=disabled.url, events=disabled.events, enabled=True),
        production=False,
        actor=None,
    )
    await webhooks.send_again(session, first, None)
    await session.commit()
    assert (await deliver(session_maker)).delivered == 2
    assert sorted(e["data"]["person"]["name"] for e in receiver.events(secret)[-2:]) == [
        "Person 0",
        "Person 1",
    ]


async def test_a_receiver_that_never_answers_is_given_up_on_after_the_timeout(
    session, session_maker, world, receiver, monkeypatch
) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.3)
    endpoint, _ = await make_endpoint(session, receiver.url(), [payloads.REGISTRATION_CONFIRMED])
    receiver.hang.set()
    await registered(session, world.edition_id, "slow@example.org", name="Slow Receiver")

    assert (await deliver(session_maker)).retrying == 1
    [row] = await log_of(session, endpoint.id)
    assert (row.status, row.last_error) == ("pending", "no answer within 0.3 s")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "webhooks.error.private_target"),
        ("https://10.1.2.3/hook", "webhooks.error.private_target"),
        ("https://169.254.169.254/latest/meta-data/", "webhooks.error.private_target"),
        ("https://[::1]:8443/hook", "webhooks.error.private_target"),
        ("https://[::ffff:192.168.0.1]/hook", "webhooks.error.private_target"),
        ("https://localhost/hook", "webhooks.error.private_target"),
        ("https://crm.internal/hook", "webhooks.error.private_target"),
        ("http://crm.example.org/hook", "webhooks.error.https_required"),
        ("https://user:secret@crm.example.org/hook", "webhooks.error.url_credentials"),
        ("ftp://crm.example.org/hook", "webhooks.error.url_invalid"),
        ("crm.example.org/hook", "webhooks.error.url_invalid"),
    ],
)
async def test_production_refuses_addresses_off_the_public_internet(session, url: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await webhooks.create_endpoint(
            session,
            webhooks.EndpointInput(url=url, events=ORGANIZER_EVENTS),
            production=True,
            secret_key=SECRET_KEY,
            actor=None,
        )
    assert refused.value.errors["url"][0] == reason


async def test_at_delivery_a_name_that_now_resolves_to_a_private_address_is_not_contacted(receiver) -> None:
    async def rebound(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]  # one public address is not enough: every one must be

    async with httpx.AsyncClient(trust_env=False) as client:
        status, error = await delivery.post(
            client, f"https://hooks.example.org:{receiver.port}/hooks", "{}", {}, True, rebound
        )
    assert status is None and error == "refused: hooks.example.org resolves to an address that is not public"
    assert receiver.received == []


async def test_forgetting_a_person_deletes_the_deliveries_that_name_them(
    session, session_maker, world, receiver
) -> None:
    endpoint, _ = await make_endpoint(session, receiver.url(), ORGANIZER_EVENTS)
    person = await registered(session, world.edition_id, "gone@example.org", name="Soon Forgotten")
    mine = await registration.my_registration(session, world.edition_id, person.id)
    await registering.cancel(session, mine, BASE, notify=False)
    await forget.forget_person(session, person.id)
    await session.commit()

    # The confirmation carried the name and is gone; the cancellation carries an id only and stays.
    assert [r.event_type for r in await log_of(session, endpoint.id)] == ["registration.cancelled"]
