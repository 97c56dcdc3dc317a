"""Exhibitor profiles, staff, booths and solutions: what exhibitors and organizers change.

Other domains (business matching) read the marketplace through this module and directory.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from ascc import clock
from ascc.audit import services as audit
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors.floorplan import Rect, booth_problem
from ascc.exhibitors.models import (
    EXHIBITOR_KINDS,
    Exhibitor,
    ExhibitorStaff,
    Hall,
    PackagePartner,
    Solution,
)
from ascc.exhibitors.search import document
from ascc.files import services as files
from ascc.i18n import is_country
from ascc.organizations import services as organizations
from ascc.taxonomy import SECTORS
from ascc.text import (
    FieldError,
    clean_line,
    collect,
    normalize_email,
    optional_block,
    optional_line,
    optional_url,
)

LOGO_MAX_BYTES = 1024 * 1024
BROCHURE_MAX_BYTES = 10 * 1024 * 1024
DESCRIPTION_MAX = 5_000
SDG = re.compile(r"^(1[0-7]|[1-9])(\.([1-9][0-9]?|[a-c]))?$")
EDITABLE = ("draft", "rejected", "approved")
# What an exhibitor fills in about itself (the profile form and the demo data).
PROFILE_FIELDS = (
    "name_en",
    "name_ja",
    "kind",
    "home_city",
    "country",
    "description_en",
    "description_ja",
    "contact_name",
    "contact_email",
    "website",
    "video_url",
)  # submitted profiles wait for the organizer's answer


# --- Tags shared with needs ------------------------------------------------------------------------


def tag_line(sectors: Sequence[str], sdgs: Sequence[str], countries: Sequence[str]) -> str:
    """Filter tokens stored in search_text (#sector=water# #sdg=6# #sdg=6.3# #country=ph#): one LIKE each."""
    tokens = [f"#sector={s}#" for s in sectors]
    goals = {s.split(".", 1)[0] for s in sdgs}
    tokens += [f"#sdg={s}#" for s in sorted(goals | set(sdgs))]
    tokens += [f"#country={c.lower()}#" for c in countries]
    return " ".join(tokens)


def check_tags(
    errors: dict, values: Mapping[str, Any], require_sector: bool = True
) -> tuple[list, list, list]:
    """Sectors, SDGs and countries from a form or the API, each checked; bad values are named in errors."""
    sectors = as_list(values.get("sectors"))
    if any(s not in SECTORS for s in sectors):
        errors["sectors"] = ("error.choice_invalid", {})
    elif require_sector and not sectors:
        errors["sectors"] = ("error.sector_required", {})
    sdgs = [s.strip() for s in as_list(values.get("sdgs"), split=True)]
    if any(not SDG.match(s) for s in sdgs):
        errors["sdgs"] = ("error.sdg_invalid", {})
    countries = [c.strip().upper() for c in as_list(values.get("countries"), split=True)]
    if any(not is_country(c) for c in countries):
        errors["countries"] = ("error.country_invalid", {})
    return list(dict.fromkeys(sectors)), list(dict.fromkeys(sdgs))[:12], list(dict.fromkeys(countries))[:30]


def bilingual(
    errors: dict, values: Mapping[str, Any], name: str, long: bool = False, missing: str | None = None
) -> tuple[str, str]:
    """`<name>_en` and `<name>_ja`, cleaned (a line, or a block when `long`); with `missing`, one of them must
    be given, and its absence is reported on the English field under that message."""
    check, max_length = (optional_block, DESCRIPTION_MAX) if long else (optional_line, 200)
    en, ja = (
        collect(errors, check, f"{name}_{lang}", values.get(f"{name}_{lang}"), max_length) or ""
        for lang in ("en", "ja")
    )
    if missing and not en and not ja and f"{name}_en" not in errors:
        errors[f"{name}_en"] = (missing, {})
    return en, ja


def as_list(value: Any, split: bool = False) -> list[str]:
    """A list from a multi-select (list), or from one text field of comma-separated values."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s、，]+", value) if v] if split else ([value] if value else [])
    return [str(v) for v in value if str(v).strip()]


# --- Exhibitors ------------------------------------------------------------------------------------


def _exhibitor_query(edition_id: int) -> Select[tuple[Exhibitor]]:
    return (
        select(Exhibitor)
        .where(Exhibitor.edition_id == edition_id)
        .options(
            joinedload(Exhibitor.organization),
            joinedload(Exhibitor.hall),
            selectinload(Exhibitor.solutions)
            .selectinload(Solution.partners)
            .joinedload(PackagePartner.exhibitor),
        )
    )


async def get_exhibitor(session: AsyncSession, edition_id: int, exhibitor_id: int) -> Exhibitor:
    row = await session.scalar(
        _exhibitor_query(edition_id)
        .where(Exhibitor.id == exhibitor_id)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("exhibitor")
    return row


async def public_exhibitor(session: AsyncSession, edition_id: int, exhibitor_id: int) -> Exhibitor:
    """An approved exhibitor; any other answers 404, as if it did not exist."""
    row = await get_exhibitor(session, edition_id, exhibitor_id)
    if row.status != "approved":
        raise NotFound("exhibitor")
    return row


async def list_exhibitors(
    session: AsyncSession, edition_id: int, status: str | None = None
) -> list[Exhibitor]:
    query = _exhibitor_query(edition_id).order_by(Exhibitor.booth_number, Exhibitor.name_en)
    if status:
        query = query.where(Exhibitor.status == status)
    return list((await session.scalars(query)).unique())


async def list_halls(session: AsyncSession, edition_id: int) -> list[Hall]:
    return list(await session.scalars(select(Hall).where(Hall.edition_id == edition_id).order_by(Hall.code)))


async def staff_membership(session: AsyncSession, edition_id: int, user_id: int) -> ExhibitorStaff | None:
    return await session.scalar(
        select(ExhibitorStaff).where(
            ExhibitorStaff.edition_id == edition_id, ExhibitorStaff.user_id == user_id
        )
    )


async def my_exhibitor(session: AsyncSession, edition_id: int, user_id: int) -> tuple[Exhibitor, bool] | None:
    """The exhibitor this person works for in the edition, and whether they administer it."""
    member = await staff_membership(session, edition_id, user_id)
    if member is None:
        return None
    return await get_exhibitor(session, edition_id, member.exhibitor_id), member.is_admin


async def require_staff(
    session: AsyncSession, edition_id: int, user_id: int, admin: bool = False
) -> tuple[Exhibitor, bool]:
    mine = await my_exhibitor(session, edition_id, user_id)
    if mine is None:
        raise DomainError("error.not_exhibitor_staff", "not_exhibitor_staff", status=403)
    if admin and not mine[1]:
        raise DomainError("error.exhibitor_admin_only", "exhibitor_admin_only", status=403)
    return mine


def refresh_search(exhibitor: Exhibitor) -> None:
    """Fold the exhibitor's searchable text (its solutions must be loaded)."""
    exhibitor.search_title = document(exhibitor.name_en, exhibitor.name_ja)
    exhibitor.search_text = document(
        exhibitor.name_en,
        exhibitor.name_ja,
        exhibitor.home_city,
        exhibitor.description_en,
        exhibitor.description_ja,
        *(part for s in exhibitor.solutions for part in (s.title_en, s.title_ja)),
        tag_line(
            sorted({x for s in exhibitor.solutions for x in s.sectors}),
            sorted({x for s in exhibitor.solutions for x in s.sdgs}),
            sorted({x for s in exhibitor.solutions for x in s.countries} | {exhibitor.country or ""} - {""}),
        ),
    )


def check_profile(values: Mapping[str, Any]) -> dict[str, Any]:
    """The profile fields, cleaned; ValidationFailed names every wrong field at once."""
    errors: dict = {}
    data: dict[str, Any] = {
        "name_en": collect(errors, _required, "name_en", values.get("name_en"), 200),
        "name_ja": collect(errors, optional_line, "name_ja", values.get("name_ja"), 200) or "",
        "home_city": collect(errors, optional_line, "home_city", values.get("home_city"), 120) or "",
        "contact_name": collect(errors, optional_line, "contact_name", values.get("contact_name"), 200) or "",
        "website": collect(errors, optional_url, "website", values.get("website")),
        "video_url": collect(errors, optional_url, "video_url", values.get("video_url")),
    }
    data["description_en"], data["description_ja"] = bilingual(errors, values, "description", long=True)
    contact = clean_line(values.get("contact_email"))
    data["contact_email"] = collect(errors, normalize_email, "contact_email", contact) if contact else ""
    country = clean_line(values.get("country")).upper()
    if country and not is_country(country):
        errors["country"] = ("error.country_invalid", {})
    data["country"] = country or None
    kind = clean_line(values.get("kind")) or "company"
    if kind not in EXHIBITOR_KINDS:
        errors["kind"] = ("error.choice_invalid", {})
    data["kind"] = kind
    if errors:
        raise ValidationFailed(errors)
    return data


def _required(field: str, value: Any, max_length: int) -> str:
    cleaned = optional_line(field, value, max_length)
    if not cleaned:
        raise FieldError(field, "error.required")
    return cleaned


AUDITED = (*PROFILE_FIELDS, "status", "review_note")


async def _record(
    session: AsyncSession,
    actor: audit.Actor | None,
    verb: str,
    exhibitor: Exhibitor,
    before: Mapping[str, Any] | None,
    fields: Sequence[str] = AUDITED,
) -> None:
    await audit.record(
        session,
        actor,
        f"exhibitor.{verb}",
        "exhibitor",
        exhibitor.id,
        exhibitor.name_en,
        before=before,
        after=audit.snapshot(exhibitor, tuple(fields)),
        edition_id=exhibitor.edition_id,
    )


async def start_exhibitor(
    session: AsyncSession,
    edition_id: int,
    user_id: int,
    values: Mapping[str, Any],
    actor: audit.Actor | None = None,
) -> Exhibitor:
    """A person applies to exhibit for their organization: a draft profile with them as its admin."""
    if await staff_membership(session, edition_id, user_id) is not None:
        raise DomainError("error.already_exhibitor_staff", "already_exhibitor_staff", status=409)
    data = check_profile(values)
    organization = await organizations.find_or_create(session, data["name_en"], data["country"])
    taken = await session.scalar(
        select(Exhibitor.id).where(
            Exhibitor.edition_id == edition_id, Exhibitor.organization_id == organization.id
        )
    )
    if taken is not None:
        raise ValidationFailed({"name_en": ("error.exhibitor_exists", {})})
    exhibitor = Exhibitor(edition_id=edition_id, organization_id=organization.id, status="draft", **data)
    exhibitor.solutions = []
    refresh_search(exhibitor)
    session.add(exhibitor)
    await session.flush()
    session.add(
        ExhibitorStaff(edition_id=edition_id, exhibitor_id=exhibitor.id, user_id=user_id, is_admin=True)
    )
    await session.flush()
    await _record(session, actor, "create", exhibitor, None)
    return await get_exhibitor(session, edition_id, exhibitor.id)


async def save_profile(
    session: AsyncSession, exhibitor: Exhibitor, values: Mapping[str, Any], actor: audit.Actor | None = None
) -> Exhibitor:
    if exhibitor.status not in EDITABLE:
        raise DomainError("error.exhibitor_under_review", "exhibitor_under_review", status=409)
    data = check_profile(values)
    before = audit.snapshot(exhibitor, AUDITED)
    renamed = (data["name_en"], data["name_ja"]) != (exhibitor.name_en, exhibitor.name_ja)
    for name, value in data.items():
        setattr(exhibitor, name, value)
    if (
        renamed and exhibitor.status == "approved"
    ):  # no one becomes "World Bank" without a look from organizers
        exhibitor.status, exhibitor.submitted_at = "submitted", clock.now()
    refresh_search(exhibitor)
    await session.flush()
    await _record(session, actor, "profile", exhibitor, before)
    return exhibitor


async def set_logo(
    session: AsyncSession, exhibitor: Exhibitor, filename: str, data: bytes, actor: audit.Actor | None = None
) -> None:
    logo = files.checked_image("logo", filename, data, LOGO_MAX_BYTES)
    session.add(logo)
    await session.flush()
    before = audit.snapshot(exhibitor, ("logo_id",))
    exhibitor.logo_id = logo.id
    await session.flush()
    await _record(session, actor, "logo", exhibitor, before, ("logo_id",))


async def submit(session: AsyncSession, exhibitor: Exhibitor, actor: audit.Actor | None = None) -> None:
    """The exhibitor asks the organizers to publish the profile."""
    if exhibitor.status not in ("draft", "rejected"):
        raise DomainError("error.exhibitor_not_draft", "exhibitor_not_draft", status=409)
    if not (exhibitor.description_en or exhibitor.description_ja):
        raise ValidationFailed({"description_en": ("error.description_required", {})})
    before = audit.snapshot(exhibitor, ("status",))
    exhibitor.status = "submitted"
    exhibitor.submitted_at = clock.now()
    await session.flush()
    await _record(session, actor, "submit", exhibitor, before, ("status",))


async def review(
    session: AsyncSession,
    exhibitor: Exhibitor,
    approve: bool,
    note: str | None,
    actor: audit.Actor | None = None,
) -> None:
    """An organizer publishes the profile or sends it back with a reason."""
    before = audit.snapshot(exhibitor, ("status", "review_note"))
    if approve:
        exhibitor.status, exhibitor.review_note, exhibitor.approved_at = "approved", None, clock.now()
    else:
        reason = clean_line(note)
        if not reason:
            raise ValidationFailed({"note": ("error.reason_required", {})})
        exhibitor.status, exhibitor.review_note = "rejected", reason[:1000]
    await session.flush()
    verb = "approve" if approve else "send_back"
    await _record(session, actor, verb, exhibitor, before, ("status", "review_note"))


BOOTH_FIELDS = ("booth_number", "booth_x", "booth_y", "booth_w", "booth_h")


async def assign_booth(
    session: AsyncSession, exhibitor: Exhibitor, values: Mapping[str, Any], actor: audit.Actor | None = None
) -> None:
    """Place the booth on a hall's plan: inside the hall, over no other booth, with a number of its own."""
    errors: dict = {}
    hall = await session.scalar(
        select(Hall).where(
            Hall.edition_id == exhibitor.edition_id, Hall.code == clean_line(values.get("hall"))
        )
    )
    if hall is None:
        errors["hall"] = ("error.choice_invalid", {})
    number = collect(errors, _required, "booth_number", values.get("booth_number"), 10)
    numbers: dict[str, int] = {}
    for name in ("booth_x", "booth_y", "booth_w", "booth_h"):
        try:
            numbers[name] = int(clean_line(str(values.get(name, ""))))
        except ValueError:
            errors[name] = ("error.number_invalid", {})
    if errors or hall is None:
        raise ValidationFailed(errors)
    booth = Rect(numbers["booth_x"], numbers["booth_y"], numbers["booth_w"], numbers["booth_h"])
    others = (
        await session.execute(
            select(
                Exhibitor.booth_number,
                Exhibitor.booth_x,
                Exhibitor.booth_y,
                Exhibitor.booth_w,
                Exhibitor.booth_h,
            ).where(Exhibitor.hall_id == hall.id, Exhibitor.id != exhibitor.id)
        )
    ).all()
    if any(o.booth_number == number for o in others):
        raise ValidationFailed({"booth_number": ("error.booth_number_taken", {})})
    problem = booth_problem(
        Rect(0, 0, hall.width, hall.height),
        booth,
        [Rect(o.booth_x, o.booth_y, o.booth_w, o.booth_h) for o in others if o.booth_x is not None],
    )
    if problem:
        raise ValidationFailed({"booth_x": (problem, {})})
    before = audit.snapshot(exhibitor, ("hall_id", *BOOTH_FIELDS))
    exhibitor.hall_id, exhibitor.booth_number = hall.id, number
    exhibitor.booth_x, exhibitor.booth_y, exhibitor.booth_w, exhibitor.booth_h = booth
    await session.flush()
    await _record(session, actor, "booth", exhibitor, before, ("hall_id", *BOOTH_FIELDS))


async def status_counts(session: AsyncSession, edition_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Exhibitor.status, func.count())
        .where(Exhibitor.edition_id == edition_id)
        .group_by(Exhibitor.status)
    )
    return {status: count for status, count in rows.all()}


async def staff_user_ids(session: AsyncSession, edition_id: int, approved_only: bool = False) -> set[int]:
    """People who work for an exhibitor of the edition (their badges carry the exhibitor mark);
    `approved_only`: only the staff of approved exhibitors (mail campaigns)."""
    query = select(ExhibitorStaff.user_id).where(ExhibitorStaff.edition_id == edition_id)
    if approved_only:
        query = query.join(Exhibitor, Exhibitor.id == ExhibitorStaff.exhibitor_id).where(
            Exhibitor.status == "approved"
        )
    rows = await session.scalars(query)
    return set(rows.all())
