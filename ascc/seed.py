"""Loads the demo edition from seed/*.json through the domains' services. Running it twice changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.campaigns import demo as campaigns_demo
from ascc.certificates import demo as certificates_demo
from ascc.config import Settings
from ascc.editions import services as editions
from ascc.errors import DomainError
from ascc.exhibitors import demo as marketplace_demo
from ascc.matching import demo as matching_demo
from ascc.messages import demo as messages_demo
from ascc.network import demo as network_demo
from ascc.online import demo as online_demo
from ascc.organizations import services as organizations
from ascc.privacy import demo as privacy_demo
from ascc.programme import demo
from ascc.programme import services as programme
from ascc.registration import delegations, organizer, registering, visa_demo, windows
from ascc.registration import services as registration
from ascc.reports import demo as reports_demo
from ascc.tours import demo as tours_demo

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


def _load(name: str) -> dict[str, Any]:
    with (SEED_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class SeedReport:
    organizations: int = 0
    accounts_created: int = 0
    registrations_created: int = 0
    sessions_created: int = 0
    tours_created: int = 0
    exhibitors_created: int = 0
    meeting_requests_created: int = 0
    streams_created: int = 0
    edition: str = ""


async def seed(session: AsyncSession, demo_password: str) -> SeedReport:
    report = SeedReport()
    by_name: dict[str, int] = {}
    for row in _load("organizations.json")["organizations"]:
        organization = await organizations.upsert(session, organizations.OrganizationInput(**row))
        by_name[row["name_en"]] = organization.id
        report.organizations += 1

    data = _load("edition-2023.json")["edition"]
    rooms = [editions.RoomInput(**room) for room in data.pop("rooms")]
    edition = await editions.upsert(session, editions.EditionInput(**data, rooms=rooms))
    if not edition.is_current:
        await editions.set_current(session, edition.slug)
    report.edition = edition.slug

    for row in _load("accounts.json")["accounts"]:
        if await accounts.find_by_email(session, row["email"]):
            continue
        organization_id = by_name.get(row.pop("organization"))
        await accounts.create_user(session, password=demo_password, organization_id=organization_id, **row)
        report.accounts_created += 1
    await session.flush()
    await _seed_registration(session, edition.id, demo_password, report)
    data = _load("programme-2023.json")
    report.sessions_created = await demo.load_programme(session, edition, data, base_url="")
    await _seed_agendas(session, edition, data["agendas"])
    await demo.load_feedback(session, edition, data.get("feedback", []))  # ratings and comments to moderate
    report.tours_created = await _seed_tours(session, edition)
    report.exhibitors_created = await marketplace_demo.load_marketplace(
        session, edition, _load("marketplace-2023.json")
    )
    report.meeting_requests_created = await matching_demo.load_matching(session, edition)
    report.streams_created = await online_demo.load_online(session, edition)
    await network_demo.load_network(session)  # a dozen participants stay in the year-round network
    await reports_demo.load_recorded(session)  # the 8th and 9th editions' published figures
    await privacy_demo.load_notice(session)  # notice version 2023-1, which the registrations accepted
    # Visa letters: two awaiting review, one approved, one revoked (passport data sealed with the secret key).
    await visa_demo.load_visa_letters(session, edition.id, Settings.from_env().secret_key)
    await campaigns_demo.load_campaigns(session, edition)  # a draft to Tour B's bookers, to preview and send
    await certificates_demo.load_attendance(session, edition)  # check-ins, minutes: certificates to download
    await messages_demo.load_messages(session, edition)  # the delegate's messages with two meeting partners
    return report


async def _seed_tours(session: AsyncSession, edition: editions.Edition) -> int:
    """Site visits, with seats taken on Tour B and rankings on Tour A by confirmed in-person participants."""
    data = _load("tours-2023.json")
    delegate = await accounts.find_by_email(session, data["delegate"]["email"])
    data["delegate"]["user_id"] = delegate.id if delegate else None
    people = []
    for row in _load("participants.json")["participants"]:
        user = await accounts.find_by_email(session, row["email"])
        if user is None:
            continue
        mine = await registration.my_registration(session, edition.id, user.id)
        if mine is not None and mine.status == "confirmed" and mine.mode == "in_person":
            people.append(user.id)
    return await tours_demo.load_tours(session, edition, data, people)


async def _seed_agendas(
    session: AsyncSession, edition: editions.Edition, agendas: list[dict[str, Any]]
) -> None:
    """Saved sessions and seats of demo accounts, so that "my agenda" shows a day with a clash."""
    current = await programme.published(session, edition)
    assert current.schedule is not None  # load_programme published it
    by_title = {item.title_en: item.id for item in current.schedule.items}
    for row in agendas:
        user = await accounts.find_by_email(session, row["email"])
        if user is None or await programme.saved_ids(session, user.id, edition.id):
            continue
        for title in row.get("saved", []):
            await programme.save(session, user.id, current, by_title[title])
        for title in row.get("signed_up", []):
            await programme.take_seat(session, user.id, current, by_title[title])


def _entry(
    row: dict[str, Any], organization: str | None, country: str | None
) -> registering.RegistrationInput:
    consents = row.get("consents", {})
    return registering.RegistrationInput(
        mode=row["mode"],
        category=row["category"],
        organization=organization,
        position=row.get("position"),
        country=country,
        city=row.get("city"),
        interpretation=row.get("interpretation", "none"),
        dietary=row.get("dietary"),
        interests=row.get("interests", []),
        privacy_accepted=True,
        consent_directory=consents.get("directory", False),
        consent_scanning=consents.get("scanning", False),
        consent_recommendations=consents.get("recommendations", False),
        consent_photos=consents.get("photos", False),
    )


async def _register(
    session: AsyncSession, edition_id: int, user: Any, row: dict[str, Any], report: SeedReport
) -> None:
    """Register one seeded person (no mail), and place them in their city's delegation."""
    if await registration.my_registration(session, edition_id, user.id) is not None:
        return
    organization = user.organization.name_en if user.organization else row.get("organization")
    entry = _entry(row, organization, user.country)
    # Required questions of the edition get a plausible answer: in-person people come to the reception.
    questions = await registration.list_questions(session, edition_id)
    entry.answers = {
        str(q.id): "yes" if row["mode"] == "in_person" else "no" for q in questions if q.kind == "yes_no"
    }
    if row["category"] == "speaker":  # speakers register by invitation, as in the real edition
        entry.code = await _speaker_code(session, edition_id)
    created = await registering.register(
        session, edition_id, user.id, entry, "", require_open=False, notify=False
    )
    report.registrations_created += 1
    if row["category"] != "city_official" or created.organization_id is None:
        return
    if row.get("delegation_head"):
        try:
            await delegations.start_delegation(session, created)
            return
        except DomainError:  # the city already has a head (the demo delegate leads Cebu)
            pass
    delegation = await delegations.delegation_of_organization(session, edition_id, created.organization_id)
    if delegation is not None:
        await delegations.add_member(session, delegation, created, user.email)


async def _speaker_code(session: AsyncSession, edition_id: int) -> str:
    for code in await organizer.list_codes(session, edition_id):
        if code.note == SPEAKER_CODE_NOTE:
            return code.code
    created = await organizer.create_code(
        session, edition_id, ["speaker"], None, False, None, SPEAKER_CODE_NOTE
    )
    return created.code


SPEAKER_CODE_NOTE = "Speakers of the demo edition"


async def _seed_registration(
    session: AsyncSession, edition_id: int, demo_password: str, report: SeedReport
) -> None:
    data = _load("registration.json")
    settings = await registration.get_settings(session, edition_id)
    if not settings.privacy_version or settings.in_person_capacity is None:
        await organizer.update_settings(session, edition_id, organizer.SettingsInput(**data["settings"]), "")
    if data.get("category_closes_on") and not settings.category_closes_on:  # press closes on a day of its own
        edition = await editions.get_by_id(session, edition_id)
        stored = windows.dates_values(edition, settings)
        dates = {name: stored[name] for name in editions.TIMELINE_FIELDS}
        await windows.save_dates(
            session, edition, windows.DatesInput(**dates, category_closes_on=data["category_closes_on"])
        )
    if not await registration.list_questions(session, edition_id):
        for question in data["questions"]:
            await organizer.add_question(session, edition_id, **question)
    for quota in data["quotas"]:
        await organizer.set_quota(session, edition_id, quota["organization"], str(quota["seats"]))
    for row in data["demo_registrations"]:
        user = await accounts.find_by_email(session, row["email"])
        assert user is not None  # accounts.json is seeded first
        await _register(session, edition_id, await accounts.get_user(session, user.id), row, report)

    # The demo participants: one shared password hash (argon2 for each of 200 people would take a minute).
    shared_hash = accounts.hash_password(demo_password)
    for row in _load("participants.json")["participants"]:
        if row.get("organization_new"):
            await organizations.upsert(session, organizations.OrganizationInput(**row["organization_new"]))
        user = await accounts.find_by_email(session, row["email"])
        if user is None:
            found = await organizations.find_by_name(session, row["organization"])
            user = await accounts.create_user(
                session,
                email=row["email"],
                role="delegate",
                password=demo_password,
                password_hash=shared_hash,
                name_latin=row["name_latin"],
                name_local=row.get("name_local"),
                organization_id=found.id if found else None,
                country=row.get("country"),
                preferred_lang=row.get("preferred_lang", "en"),
            )
            report.accounts_created += 1
        await _register(session, edition_id, await accounts.get_user(session, user.id), row, report)
