"""schedule.json and schedule.xml as conference apps fetch them: valid against the c3voc JSON Schema and the
frab XSD (copies in tests/data/interop/), with hostile titles, Japanese-only titles and cancelled sessions;
ETag and If-None-Match answer 304; /calendar/program.ics holds the whole programme."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream
from jsonschema import Draft6Validator
from lxml import etree
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.programme import services as programme
from ascc.programme import session_editing
from tests.calendar.conftest import build_calendar
from tests.conftest import DATA
from tests.programme.conftest import publish, session_form

INTEROP = DATA / "interop"


@pytest.fixture
def schemas():
    json_schema = json.loads((INTEROP / "c3voc-schedule-schema.json").read_text())
    xsd = etree.XMLSchema(etree.parse(str(INTEROP / "frab-schedule.xml.xsd")))
    return Draft6Validator(json_schema, format_checker=Draft6Validator.FORMAT_CHECKER), xsd


@pytest.fixture
async def world(settings, inputs):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_calendar(session)
        edition = await editions.get_by_id(session, w.edition_id)
        hostile, _ = await session_editing.save_session(
            session,
            edition,
            None,
            session_form(
                title_en=inputs["hostile"][0] + " " + inputs["hostile"][1],
                title_ja="{{ 7*7 }} 日本語\x0b",
                day="2023-11-15",
                start="23:30",
                end="23:59",
            ),
        )
        japanese_only, _ = await session_editing.save_session(
            session,
            edition,
            None,
            session_form(title_en="閉会式", title_ja="閉会式", start="17:00", end="17:30"),
        )
        gone, _ = await session_editing.save_session(
            session, edition, None, session_form(title_en="Cancelled talk", start="15:00", end="15:30")
        )
        await programme.set_recording_consent(session, edition.id, w.talk, "do_not_record")
        await session.commit()
        await publish(session, edition.id)
        await session_editing.save_session(
            session,
            edition,
            gone.id,
            session_form(title_en="Cancelled talk", start="15:00", end="15:30", status="cancelled"),
        )
        await session.commit()
        await publish(session, edition.id)
        w.hostile, w.japanese_only, w.gone = hostile.id, japanese_only.id, gone.id
    await engine.dispose()
    return w


def events_of_json(data: dict) -> dict[int, dict]:
    days = data["schedule"]["conference"]["days"]
    return {e["id"]: e for day in days for events in day["rooms"].values() for e in events}


async def test_schedule_json_is_valid_c3voc_with_every_published_session(
    client, world, schemas, inputs
) -> None:
    validator, _ = schemas
    response = await client.get("/schedule.json")
    assert response.status_code == 200
    data = response.json()
    assert [e.message for e in validator.iter_errors(data)] == []
    events = events_of_json(data)
    assert set(events) == {
        world.talk,
        world.panel,
        world.hostile,
        world.japanese_only,
    }  # not the cancelled one
    assert events[world.hostile]["title"] == inputs["hostile"][0] + " " + inputs["hostile"][1]
    assert events[world.hostile]["date"] == "2023-11-15T23:30:00+09:00"
    assert events[world.panel]["persons"][0]["name"] == "Maria Reyes"
    assert events[world.japanese_only]["title"] == "閉会式"
    assert data["schedule"]["conference"]["acronym"] == "ascc2023"
    assert data["schedule"]["conference"]["time_zone_name"] == "Asia/Tokyo"


async def test_schedule_xml_is_valid_frab(client, world, schemas, inputs) -> None:
    _, xsd = schemas
    response = await client.get("/schedule.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    document = etree.fromstring(response.content)
    assert xsd.validate(document), [str(e) for e in xsd.error_log]
    titles = {e.get("id"): e.findtext("title") for e in document.iter("event")}
    assert titles[str(world.hostile)] == inputs["hostile"][0] + " " + inputs["hostile"][1]
    subtitle = document.find(f".//event[@id='{world.hostile}']/subtitle").text
    assert subtitle == "{{ 7*7 }} 日本語"  # the vertical tab (not allowed in XML) is gone
    assert str(world.gone) not in titles


async def test_guids_stay_the_same_from_one_release_to_the_next(client, world, settings) -> None:
    before = events_of_json((await client.get("/schedule.json")).json())
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await editions.get_by_id(session, world.edition_id)
        await session_editing.save_session(
            session,
            edition,
            world.panel,
            session_form(title_en="Panel: cities and companies", start="12:00", end="12:45"),
        )
        await session.commit()
        await publish(session, edition.id)
    await engine.dispose()
    client.app.state.schedule_cache.invalidate()
    after = events_of_json((await client.get("/schedule.json")).json())
    assert after[world.panel]["guid"] == before[world.panel]["guid"]
    assert after[world.panel]["start"] == "12:00"


@pytest.mark.parametrize("path", ["/schedule.json", "/schedule.xml", "/calendar/program.ics"])
async def test_etag_answers_304_when_the_client_has_this_version(client, world, path) -> None:
    first = await client.get(path)
    etag = first.headers["etag"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    stale = await client.get(path, headers={"If-None-Match": '"something-older"'})
    assert stale.status_code == 200
    assert stale.content == first.content


async def test_programme_ics_holds_every_session_and_the_cancelled_one_as_cancelled(client, world) -> None:
    response = await client.get("/calendar/program.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(response.content)
    status = {str(e["UID"]).split("@")[0]: str(e["STATUS"]) for e in parsed.walk("VEVENT")}
    assert status[f"session-{world.gone}"] == "CANCELLED"
    assert status[f"session-{world.talk}"] == "CONFIRMED"
    events = {e.uid: e for e in IcsCalendarStream.calendar_from_ics(response.text).events}
    hostile = next(e for uid, e in events.items() if uid.startswith(f"session-{world.hostile}@"))
    assert hostile.dtstart == datetime(2023, 11, 15, 14, 30, tzinfo=UTC)


async def test_exports_carry_the_recording_opt_out_public_names_and_every_room(
    client, world, schemas
) -> None:
    """Video teams read schedule.json/xml to know what to record; older readers show `public_name` only; an
    event's room must be listed with a guid even when it is not a room of the venue ("Online", "To be
    announced")."""
    validator, xsd = schemas
    data = (await client.get("/schedule.json")).json()
    assert [e.message for e in validator.iter_errors(data)] == []
    events = events_of_json(data)
    assert {i: e["do_not_record"] for i, e in events.items()} == {
        world.talk: True,
        world.panel: False,
        world.hostile: False,
        world.japanese_only: False,
    }
    persons = [p for e in events.values() for p in e["persons"]]
    assert persons and all(p["public_name"] == p["name"] for p in persons)
    listed = {room["name"]: room["guid"] for room in data["schedule"]["conference"]["rooms"]}
    assert {e["room"] for e in events.values()} <= set(listed)
    assert "To be announced / 未定" in listed and all(listed.values())

    document = etree.fromstring((await client.get("/schedule.xml")).content)
    assert xsd.validate(document), [str(e) for e in xsd.error_log]
    optout = {int(e.get("id")): e.findtext("recording/optout") for e in document.iter("event")}
    assert optout[world.talk] == "true" and optout[world.panel] == "false"
    xml_rooms = {r.get("name"): r.get("guid") for day in document.iter("day") for r in day.findall("room")}
    assert all(xml_rooms.values())
    assert xml_rooms["To be announced / 未定"] == listed["To be announced / 未定"]
