"""Organizations: find by name whatever the typing, create, list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
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
    )
    session.add(organization)
    await session.flush()
    return organization


async def find_or_create(session: AsyncSession, name: str, country: str | None = None) -> Organization:
    """The organization a person typed at sign-up: an existing one, or a new one of kind "other"."""
    found = await find_by_name(session, name)
    if found:
        return found
    data = validate(OrganizationInput(name_en=name, country=country))
    try:
        # A savepoint: when someone else creates the same organization at this moment, their row wins
        # and this transaction carries on with it instead of failing.
        async with session.begin_nested():
            organization = Organization(
                name_en=data.name_en, name_key=name_key(data.name_en), kind="other", country=data.country
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
    await session.flush()
    return found


async def get(session: AsyncSession, organization_id: int) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    return organization


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Organization)) or 0


async def list_all(
    session: AsyncSession, query: str | None = None, kind: str | None = None, limit: int = 500
) -> list[Organization]:
    statement = select(Organization).order_by(Organization.name_en).limit(limit)
    if query:
        like = like_pattern(query)
        statement = statement.where(
            or_(Organization.name_en.ilike(like, escape="\\"), Organization.name_ja.ilike(like, escape="\\"))
        )
    if kind in ORGANIZATION_KINDS:
        statement = statement.where(Organization.kind == kind)
    return list((await session.scalars(statement)).all())
