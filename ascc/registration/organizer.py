"""The organizers' side of registration: settings, questions, codes, quotas, the list, decisions, export."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.capacity import services as capacity
from ascc.csv_export import to_csv
from ascc.errors import ValidationFailed
from ascc.i18n import is_country
from ascc.organizations import services as organizations
from ascc.registration.models import (
    CATEGORIES,
    MODES,
    QUESTION_KINDS,
    STATUSES,
    InvitationCode,
    Question,
    Quota,
    Registration,
    RegistrationSettings,
)
from ascc.registration.registering import promote
from ascc.registration.services import get_settings, pool_key
from ascc.text import FieldError, as_number, like_pattern, optional_line, required_line


@dataclass
class SettingsInput:
    in_person_capacity: int | None
    online_capacity: int | None
    approval_categories: list[str]
    invitation_categories: list[str]
    privacy_version: str


def parse_capacity(field: str, raw: str | None, errors: dict) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    number = as_number(raw)
    if number is None or number > 1_000_000:
        errors[field] = ("error.number_invalid", {})
        return None
    return number


SETTINGS_FIELDS = (
    "in_person_capacity",
    "online_capacity",
    "approval_categories",
    "invitation_categories",
    "privacy_version",
)


async def update_settings(
    session: AsyncSession,
    edition_id: int,
    data: SettingsInput,
    base_url: str,
    actor: audit.Actor | None = None,
) -> RegistrationSettings:
    errors: dict = {}
    if any(c not in CATEGORIES for c in data.approval_categories + data.invitation_categories):
        errors["categories"] = ("error.choice_invalid", {})
    try:
        data.privacy_version = required_line("privacy_version", data.privacy_version, 20)
    except FieldError as exc:
        errors[exc.field] = (exc.key, exc.params)
    if errors:
        raise ValidationFailed(errors)
    settings = await get_settings(session, edition_id)
    before = audit.snapshot(settings, SETTINGS_FIELDS)
    settings.approval_categories = sorted(set(data.approval_categories))
    settings.invitation_categories = sorted(set(data.invitation_categories))
    settings.privacy_version = data.privacy_version
    settings.in_person_capacity, settings.online_capacity = data.in_person_capacity, data.online_capacity
    await session.flush()
    await audit.record(
        session,
        actor,
        "registration.settings",
        "registration_settings",
        settings.id,
        "",
        before=before,
        after=audit.snapshot(settings, SETTINGS_FIELDS),
        edition_id=edition_id,
    )
    for mode in MODES:  # a larger limit lets waiting people in at once
        limit = data.in_person_capacity if mode == "in_person" else data.online_capacity
        await promote(session, await capacity.set_limit(session, pool_key(edition_id, mode), limit), base_url)
    return settings


async def seat_counts(session: AsyncSession, edition_id: int) -> dict[str, capacity.PoolCounts]:
    await get_settings(session, edition_id)
    return {mode: await capacity.counts(session, pool_key(edition_id, mode)) for mode in MODES}


async def add_question(
    session: AsyncSession,
    edition_id: int,
    kind: str,
    label_en: str,
    label_ja: str,
    choices_text: str,
    required: bool,
    actor: audit.Actor | None = None,
) -> Question:
    errors: dict = {}
    if kind not in QUESTION_KINDS:
        errors["kind"] = ("error.choice_invalid", {})
    labels = {}
    for name, value in (("label_en", label_en), ("label_ja", label_ja)):
        try:
            labels[name] = required_line(name, value, 300)
        except FieldError as exc:
            errors[exc.field] = (exc.key, exc.params)
    choices = []
    if kind in ("single", "multiple"):
        # One choice a line: "English label | 日本語ラベル"
        try:
            for index, line in enumerate(x for x in (choices_text or "").splitlines() if x.strip()):
                english, _, japanese = line.partition("|")
                english = optional_line("choices", english, 200) or ""
                choices.append(
                    {
                        "value": f"c{index + 1}",
                        "en": english,
                        "ja": optional_line("choices", japanese, 200) or english,
                    }
                )
        except FieldError as exc:
            errors[exc.field] = (exc.key, exc.params)
        if len(choices) < 2:
            errors["choices"] = ("error.choices_needed", {})
    if errors:
        raise ValidationFailed(errors)
    count = await session.scalar(select(func.count()).where(Question.edition_id == edition_id)) or 0
    question = Question(
        edition_id=edition_id, kind=kind, choices=choices, required=required, sort_order=count, **labels
    )
    session.add(question)
    await session.flush()
    await audit.record(
        session,
        actor,
        "registration.question_add",
        "question",
        question.id,
        question.label_en,
        after=audit.snapshot(question, QUESTION_FIELDS),
        edition_id=edition_id,
    )
    return question


QUESTION_FIELDS = ("kind", "label_en", "label_ja", "choices", "required")


async def delete_question(
    session: AsyncSession, edition_id: int, question_id: int, actor: audit.Actor | None = None
) -> None:
    question = await session.scalar(
        select(Question).where(Question.id == question_id, Question.edition_id == edition_id)
    )
    if question is None:
        return
    await audit.record(
        session,
        actor,
        "registration.question_delete",
        "question",
        question.id,
        question.label_en,
        before=audit.snapshot(question, QUESTION_FIELDS),
        edition_id=edition_id,
    )
    await session.execute(
        delete(Question).where(Question.id == question_id, Question.edition_id == edition_id)
    )


async def create_code(
    session: AsyncSession,
    edition_id: int,
    categories: list[str],
    organization_name: str | None,
    single_use: bool,
    expires_at: datetime | None,
    note: str | None,
    actor: audit.Actor | None = None,
    late: bool = False,
) -> InvitationCode:
    """A code that unlocks `categories` (those that need an invitation) or, `late`, admits its holder after
    registration has closed (registration.windows), or both."""
    if (not categories and not late) or any(c not in CATEGORIES for c in categories):
        raise ValidationFailed({"categories": ("error.choice_invalid", {})})
    try:
        note = optional_line("note", note, 200)
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc
    organization_id = None
    if organization_name and organization_name.strip():
        found = await organizations.find_by_name(session, organization_name)
        if found is None:
            raise ValidationFailed({"organization": ("error.organization_unknown", {})})
        organization_id = found.id
    code = InvitationCode(
        edition_id=edition_id,
        code="-".join(secrets.token_hex(2).upper() for _ in range(3)),
        organization_id=organization_id,
        categories=sorted(set(categories)),
        max_uses=1 if single_use else None,
        uses=0,
        expires_at=expires_at,
        note=note,
        late=late,
    )
    session.add(code)
    await session.flush()
    await audit.record(  # the code itself is a key to register: never written into the log
        session,
        actor,
        "registration.code_create",
        "invitation_code",
        code.id,
        note or (organization_name or "").strip(),
        after={
            "categories": code.categories,
            "organization": (organization_name or "").strip() or None,
            "max_uses": code.max_uses,
            "expires_at": expires_at,
            "note": note,
            "late": late,
        },
        edition_id=edition_id,
    )
    return code


async def list_codes(session: AsyncSession, edition_id: int) -> list[InvitationCode]:
    rows = await session.scalars(
        select(InvitationCode)
        .where(InvitationCode.edition_id == edition_id)
        .options(joinedload(InvitationCode.organization))
        .order_by(InvitationCode.id.desc())
    )
    return list(rows.all())


async def set_quota(
    session: AsyncSession,
    edition_id: int,
    organization_name: str,
    seats_raw: str,
    actor: audit.Actor | None = None,
) -> Quota | None:
    errors: dict = {}
    organization = await organizations.find_by_name(session, organization_name or "")
    if organization is None:
        errors["organization"] = ("error.organization_unknown", {})
    seats = parse_capacity("seats", seats_raw, errors)
    if errors or organization is None:
        raise ValidationFailed(errors)
    quota = await session.scalar(
        select(Quota).where(Quota.edition_id == edition_id, Quota.organization_id == organization.id)
    )
    await audit.record(
        session,
        actor,
        "registration.quota_set",
        "quota",
        organization.id,
        organization.name_en,
        before={"seats": quota.seats if quota else None},
        after={"seats": seats},
        edition_id=edition_id,
    )
    if seats is None:  # an empty number removes the quota
        if quota is not None:
            await session.delete(quota)
        return None
    if quota is None:
        quota = Quota(edition_id=edition_id, organization_id=organization.id, seats=seats)
        session.add(quota)
    quota.seats = seats
    await session.flush()
    return quota


async def list_quotas(session: AsyncSession, edition_id: int) -> list[tuple[Quota, int]]:
    quotas = (
        await session.scalars(
            select(Quota).where(Quota.edition_id == edition_id).options(joinedload(Quota.organization))
        )
    ).all()
    used: dict[int | None, int] = dict(
        (
            await session.execute(
                select(Registration.organization_id, func.count())
                .where(
                    Registration.edition_id == edition_id,
                    Registration.mode == "in_person",
                    Registration.status.in_(("pending", "confirmed", "waiting")),
                )
                .group_by(Registration.organization_id)
            )
        )
        .tuples()
        .all()
    )
    return [(q, used.get(q.organization_id, 0)) for q in quotas]


@dataclass
class Filters:
    status: str | None = None
    mode: str | None = None
    category: str | None = None
    country: str | None = None
    q: str | None = None


def _filtered(edition_id: int, filters: Filters) -> Select[tuple[Registration]]:
    statement = select(Registration).join(Registration.user).where(Registration.edition_id == edition_id)
    if filters.status in STATUSES:
        statement = statement.where(Registration.status == filters.status)
    if filters.mode in MODES:
        statement = statement.where(Registration.mode == filters.mode)
    if filters.category in CATEGORIES:
        statement = statement.where(Registration.category == filters.category)
    if is_country(filters.country):
        statement = statement.where(Registration.country == filters.country.upper())
    if filters.q and filters.q.strip():
        like = like_pattern(filters.q)
        statement = statement.where(
            or_(
                accounts.name_matches(filters.q),
                accounts.User.email.ilike(like, escape="\\"),
            )
        )
    return statement


async def list_registrations(
    session: AsyncSession, edition_id: int, filters: Filters, limit: int = 50, offset: int = 0
) -> tuple[list[Registration], int]:
    statement = _filtered(edition_id, filters)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = await session.scalars(
        statement.options(joinedload(Registration.user), joinedload(Registration.organization))
        .order_by(Registration.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.unique().all()), total


def registration_label(registration: Registration) -> str:
    """How the audit log names a registration: the person and the reference."""
    user = registration.user
    name = user.name_latin + (f" ({user.name_local})" if user.name_local else "")
    return f"{name} · {registration.reference}"


CSV_HEADER = (
    "reference",
    "status",
    "mode",
    "category",
    "name_latin",
    "name_local",
    "email",
    "organization",
    "position",
    "country",
    "city",
    "interpretation",
    "dietary",
    "accessibility",
    "interests",
    "consent_directory",
    "consent_scanning",
    "consent_recommendations",
    "consent_photos",
    "registered_at",
)


def _answer_text(question: Question, answer: object) -> str:
    labels = {c["value"]: c["en"] for c in question.choices or []}
    values = answer if isinstance(answer, list) else [answer]
    return "; ".join(labels.get(str(v), str(v)) for v in values if v not in (None, ""))


async def export_csv(session: AsyncSession, edition_id: int, filters: Filters) -> bytes:
    """Everything organizers need offline, the edition's own questions as the last columns."""
    questions = (
        await session.scalars(
            select(Question).where(Question.edition_id == edition_id).order_by(Question.sort_order)
        )
    ).all()
    rows = await session.scalars(
        _filtered(edition_id, filters)
        .options(joinedload(Registration.user), joinedload(Registration.organization))
        .order_by(Registration.id)
    )
    return to_csv(
        (*CSV_HEADER, *(q.label_en for q in questions)),
        (
            (
                r.reference,
                r.status,
                r.mode,
                r.category,
                r.user.name_latin,
                r.user.name_local,
                r.user.email,
                r.organization.name_en if r.organization else "",
                r.position,
                r.country,
                r.city,
                r.interpretation,
                r.dietary,
                r.accessibility,
                "; ".join(r.interests or []),
                *(
                    "yes" if getattr(r, name) else "no"
                    for name in (
                        "consent_directory",
                        "consent_scanning",
                        "consent_recommendations",
                        "consent_photos",
                    )
                ),
                r.created_at.isoformat(timespec="seconds"),
                *(_answer_text(q, (r.answers or {}).get(str(q.id))) for q in questions),
            )
            for r in rows.unique()
        ),
    )


@dataclass(frozen=True)
class CopiedSetup:
    questions: int
    quotas: int
    categories: int  # categories that need approval or an invitation code, as set for the edition


async def copy_setup(
    session: AsyncSession, source_edition_id: int, target_edition_id: int, privacy_version: str | None = None
) -> CopiedSetup:
    """The next edition's registration set-up from this one: capacities, which categories need approval or a
    code, the privacy-notice version (`privacy_version`: the one in effect now, else the source's), the questions and the organizations' quotas. No registration, code
    or answer is copied."""
    source = await get_settings(session, source_edition_id)
    target = await get_settings(session, target_edition_id)
    target.in_person_capacity = source.in_person_capacity
    target.online_capacity = source.online_capacity
    target.privacy_version = privacy_version or source.privacy_version  # the notice in effect, when given
    target.approval_categories = list(source.approval_categories or [])
    target.invitation_categories = list(source.invitation_categories or [])
    questions = (
        await session.scalars(
            select(Question).where(Question.edition_id == source_edition_id).order_by(Question.sort_order)
        )
    ).all()
    session.add_all(
        Question(
            edition_id=target_edition_id,
            kind=q.kind,
            label_en=q.label_en,
            label_ja=q.label_ja,
            choices=[dict(c) for c in q.choices or []],
            required=q.required,
            sort_order=q.sort_order,
        )
        for q in questions
    )
    quotas = (await session.scalars(select(Quota).where(Quota.edition_id == source_edition_id))).all()
    session.add_all(
        Quota(edition_id=target_edition_id, organization_id=q.organization_id, seats=q.seats) for q in quotas
    )
    await session.flush()
    for mode in MODES:  # the seat pools follow the copied capacities
        limit = target.in_person_capacity if mode == "in_person" else target.online_capacity
        await capacity.set_limit(session, pool_key(target_edition_id, mode), limit)
    categories = set(target.approval_categories) | set(target.invitation_categories)
    return CopiedSetup(len(questions), len(quotas), len(categories))
