"""Organizations: find by name whatever the typing, create, list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import column, func, or_, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.errors import NotFound, ValidationFailed
from ascc.i18n import is_country
from ascc.organizations.models import ORGANIZATION_KINDS, Organization
from ascc.text import FieldError, like_pattern, name_key, optional_line, required_line

__all__ = ["ORGANIZATION_KINDS", "Organization", "OrganizationInput"]


@dataclass
class OrganizationInput:
    name_en: str
    name_ja: str | None = None
    kind: str = "other"
    country: str | None = None
    region: str | None = None
    website: str | None = None


def validate(data: OrganizationInput) -> OrganizationInput:
    errors = {}
    try:
        data.name_en = required_line("name_en", data.name_en)
    except FieldError as exc:
        errors[exc.field] = (exc.key, exc.params)
    try:
        data.name_ja = optional_line("name_ja", data.name_ja)
        data.region = optional_line("region", data.region, 120)
        data.website = optional_line("website", data.website, 300)
    except FieldError as exc:
        errors[exc.field] = (exc.key, exc.params)
    if data.kind not in ORGANIZATION_KINDS:
        errors["kind"] = ("error.choice_invalid", {})
    if data.country:
        data.country = data.country.upper()
        if not is_country(data.country):
            errors["country"] = ("error.country_invalid", {})
    else:
        data.country = None
    if data.website and not data.website.startswith(("https://", "http://")):
        errors["website"] = ("error.url_invalid", {})
    if errors:
        raise ValidationFailed(errors)
    return data


async def find_by_name(session: AsyncSession, name: str) -> Organization | None:
    key = name_key(name)
    return await session.scalar(
        select(Organization).where(or_(Organization.name_key == key, Organization.name_ja == name.strip()))
    )


async def create(session: AsyncSession, data: OrganizationInput) -> Organization:
    data = validate(data)
    if await find_by_name(session, data.name_en):
        raise ValidationFailed({"name_en": ("error.organization_exists", {})})
    organization = Organization(
        name_en=data.name_en,
        name_ja=data.name_ja,
        name_key=name_key(data.name_en),
        kind=data.kind,
        country=data.country,
        region=data.region,
        website=data.website,
        kind_checked=True,  # organizers and the seed create organizations; people only type names
    )
    session.add(organization)
    await session.flush()
    return organization


async def find_or_create(
    session: AsyncSession, name: str, country: str | None = None, kind: str | None = None
) -> Organization:
    """The organization a person typed at sign-up: an existing one, or a new one of the kind they said
    ("other" when they said none), unchecked until an organizer looks. A stated kind fills in an
    unclassified organization, never overrides one an organizer checked or another person stated."""
    kind = kind if kind in ORGANIZATION_KINDS else "other"
    found = await find_by_name(session, name)
    if found:
        if found.kind == "other" and not found.kind_checked and kind != "other":
            found.kind = kind
            await session.flush()
        return found
    data = validate(OrganizationInput(name_en=name, country=country, kind=kind))
    try:
        # A savepoint: when someone else creates the same organization at this moment, their row wins
        # and this transaction carries on with it instead of failing.
        async with session.begin_nested():
            organization = Organization(
                name_en=data.name_en, name_key=name_key(data.name_en), kind=data.kind, country=data.country
            )
            session.add(organization)
        return organization
    except IntegrityError:
        found = await find_by_name(session, name)
        if found is None:
            raise
        return found


async def upsert(session: AsyncSession, data: OrganizationInput) -> Organization:
    """Seed helper: create, or update the record with the same name."""
    data = validate(data)
    found = await find_by_name(session, data.name_en)
    if found is None:
        return await create(session, data)
    for field in ("name_ja", "kind", "country", "region", "website"):
        setattr(found, field, getattr(data, field))
    found.kind_checked = True
    await session.flush()
    return found


async def get(session: AsyncSession, organization_id: int) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    return organization


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Organization)) or 0


async def set_kind(session: AsyncSession, organization_ids: list[int], kind: str) -> list[Organization]:
    """Organizers classify organizations in bulk: the kind is checked from now on. Returns those changed."""
    if kind not in ORGANIZATION_KINDS:
        raise ValidationFailed({"kind": ("error.choice_invalid", {})})
    if not organization_ids:
        raise ValidationFailed({"ids": ("organization.error.none_selected", {})})
    rows = list(
        (await session.scalars(select(Organization).where(Organization.id.in_(organization_ids)))).all()
    )
    changed = [o for o in rows if (o.kind, o.kind_checked) != (kind, True)]
    for organization in changed:
        organization.kind, organization.kind_checked = kind, True
    await session.flush()
    return changed


async def people_counts(session: AsyncSession, organization_ids: list[int]) -> dict[int, int]:
    """How many accounts name each of these organizations (what an organizer weighs before classifying)."""
    if not organization_ids:
        return {}
    # Accounts are built on organizations (the layers contract): their table is named, not imported.
    users = table("user_account", column("organization_id"))
    rows = await session.execute(
        select(users.c.organization_id, func.count())
        .where(users.c.organization_id.in_(organization_ids))
        .group_by(users.c.organization_id)
    )
    return {organization_id: people for organization_id, people in rows.tuples().all()}


async def list_all(
    session: AsyncSession,
    query: str | None = None,
    kind: str | None = None,
    limit: int = 500,
    unchecked: bool = False,
) -> list[Organization]:
    statement = select(Organization).order_by(Organization.name_en).limit(limit)
    if unchecked:
        statement = statement.where(Organization.kind_checked.is_(False))
    if query:
        like = like_pattern(query)
        statement = statement.where(
            or_(Organization.name_en.ilike(like, escape="\\"), Organization.name_ja.ilike(like, escape="\\"))
        )
    if kind in ORGANIZATION_KINDS:
        statement = statement.where(Organization.kind == kind)
    return list((await session.scalars(statement)).all())
