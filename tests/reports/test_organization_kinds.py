"""Organization kinds (#24): people say at sign-up what their organization is, in plain words; the kind counts
in the edition's report at once, organizers check kinds in bulk, and the report warns while some are unchecked."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.audit.models import AuditEntry
from ascc.db import create_engine
from ascc.errors import ValidationFailed
from ascc.organizations import services as organizations
from tests.factories import make_user
from tests.reports.conftest import build_report
from tests.support.web import post_form, sign_in, text_of
from tests.tours.conftest import PASSWORD


@pytest.fixture
async def world(settings):
    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        w = await build_report(session)
        organizer = await make_user(session, "boss@example.org", role="organizer", name="Mika Organizer")
        w.token, _ = await accounts.create_api_token(session, organizer.id)
        await session.commit()
    w.engine = engine
    yield w
    await engine.dispose()


async def test_a_city_typed_at_sign_up_is_a_city_and_organizers_check_it(client, world) -> None:
    form = await client.get("/signup")
    assert "City or local government" in form.text and "Development bank or international agency" in form.text
    signed_up = await post_form(
        client,
        "/signup",
        {
            "email": "souk@vientiane.example.la",
            "password": "a long enough password",
            "name_latin": "Souksavanh Phommachanh",
            "name_local": "ສຸກສະຫວັນ ພົມມະຈັນ",
            "organization": "Vientiane Capital",
            "organization_kind": "city",
            "country": "LA",
            "preferred_lang": "en",
        },
    )
    assert signed_up.status_code == 200
    async with async_sessionmaker(world.engine)() as session:
        vientiane = await organizations.find_by_name(session, "Vientiane Capital")
        assert (vientiane.kind, vientiane.kind_checked) == ("city", False)

    await sign_in(client, "boss@example.org", PASSWORD)
    # Stated kinds are not public until checked, and the organizer sees which ones to check.
    listed = (
        await client.get("/api/v1/organizations", headers={"authorization": f"Bearer {world.token}"})
    ).json()
    assert "Vientiane Capital" not in [o["name_en"] for o in listed]
    to_check = await client.get("/organizer/organizations?unchecked=true")
    assert "Vientiane Capital" in to_check.text and "stated at sign-up" in text_of(to_check.text)
    report = await client.get("/organizer/reports/edition")
    assert "have a kind nobody has checked" in text_of(report.text)

    # The participants' organizations, checked in two bulk steps.
    async with async_sessionmaker(world.engine)() as session:
        unchecked = await organizations.list_all(session, unchecked=True)
    by_name = {o.name_en: o.id for o in unchecked}
    cities = [by_name[n] for n in ("City of Yokohama", "Cebu City", "Da Nang City", "Vientiane Capital")]
    others = [i for n, i in by_name.items() if i not in cities and n != "World Bank"]
    done = await post_form(client, "/organizer/organizations/kinds", {"ids": cities, "set_kind": "city"})
    assert "4 organizations classified." in text_of(done.text)
    await post_form(
        client,
        "/organizer/organizations/kinds",
        {"ids": [by_name["World Bank"]], "set_kind": "international"},
    )
    await post_form(client, "/organizer/organizations/kinds", {"ids": others, "set_kind": "company"})
    none = await post_form(client, "/organizer/organizations/kinds", {"set_kind": "city"})
    assert none.status_code == 422 and "Select at least one organization." in text_of(none.text)

    report = await client.get("/organizer/reports/edition")
    assert "have a kind nobody has checked" not in text_of(report.text)
    listed = (
        await client.get(
            "/api/v1/organizations?kind=city", headers={"authorization": f"Bearer {world.token}"}
        )
    ).json()
    assert "Vientiane Capital" in [o["name_en"] for o in listed]
    async with async_sessionmaker(world.engine)() as session:
        logged = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "organization.kind"))
        ).all()
    assert len(logged) == len(by_name)


async def test_a_stated_kind_fills_an_unclassified_organization_but_never_overrides_a_checked_one(
    session,
) -> None:
    typed = await organizations.find_or_create(session, "Taipei City Government", "TW")
    assert (typed.kind, typed.kind_checked) == ("other", False)
    again = await organizations.find_or_create(session, "taipei city  government", None, "city")
    assert again.id == typed.id and again.kind == "city"
    await organizations.set_kind(session, [typed.id], "government")
    stated = await organizations.find_or_create(session, "Taipei City Government", None, "company")
    assert (stated.kind, stated.kind_checked) == ("government", True)
    with pytest.raises(ValidationFailed) as refused:
        await organizations.set_kind(session, [typed.id], "a kingdom")
    assert refused.value.errors == {"kind": ("error.choice_invalid", {})}
