"""Business rules of the campaigns domain: segments, campaigns (write, preview, send in the background with a
throttle, cancel), each recipient's status, and people's mail preferences (unsubscribe)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock
from ascc.accounts import services as accounts
from ascc.audit import services as audit
from ascc.campaigns import message, placeholders
from ascc.campaigns.models import Campaign, CampaignRecipient, MailPreference, ReminderSent
from ascc.db import insert_ignoring_duplicates
from ascc.editions import services as editions
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.exhibitors import services as exhibitors
from ascc.i18n import country_name, format_date, format_datetime, is_country, translate
from ascc.mail import services as mail
from ascc.matching import services as matching
from ascc.network import services as network
from ascc.programme import services as programme
from ascc.registration import services as registration
from ascc.text import FieldError, clean_block, clean_line, collect, required_line, whole_number
from ascc.tours import services as tours

log = logging.getLogger("ascc.campaigns")

SUBJECT_MAX = 200
BODY_MAX = 20_000
RATE_MAX = 600
BATCH = 50
# A "sending" campaign whose job has not written for this long lost its worker: the periodic loop resumes it.
STALE_AFTER = timedelta(minutes=3)
# The reason shown (translated) when a campaign's stored group can no longer be read.
UNREADABLE_SEGMENT = "campaigns.error.segment_unreadable"
AUDITED = (
    "name",
    "subject_en",
    "subject_ja",
    "body_en",
    "body_ja",
    "segment",
    "essential",
    "rate_per_minute",
)
# The one way moments are written on the campaign pages (group labels, recipients), in the edition's zone.
WHEN = "yyyy-MM-dd HH:mm"
SIMPLE_SEGMENTS = ("all", "matching", "exhibitors", "network")
ID_SEGMENTS = ("delegation", "tour", "course", "session")
# Segments built from bookings, agendas or meetings: narrowed to people whose registration is confirmed.
CONFIRMED_ONLY = ("tour", "course", "session", "matching")


# --- Segments --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    kind: str
    value: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind

    @property
    def number(self) -> int:
        return int(self.value)

    @property
    def allowed(self) -> tuple[str, ...]:
        """The placeholders a campaign to this segment may use."""
        if self.kind in ("tour", "course"):
            return placeholders.COMMON + placeholders.TOUR
        if self.kind == "session":
            return placeholders.COMMON + placeholders.SESSION
        return placeholders.COMMON


def parse_segment(raw: str | None) -> Segment | None:
    """ "all", "mode:online", "category:company", "country:PH", "course:12" ...; None for anything else."""
    kind, _, value = clean_line(raw).partition(":")
    if kind in SIMPLE_SEGMENTS and not value:
        return Segment(kind)
    if kind == "mode" and value in registration.MODES:
        return Segment(kind, value)
    if kind == "category" and value in registration.CATEGORIES:
        return Segment(kind, value)
    if kind == "country" and is_country(value):
        return Segment(kind, value)
    if kind in ID_SEGMENTS and value.isascii() and value.isdigit() and len(value) < 12:
        return Segment(kind, str(int(value)))
    return None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[Choice]


async def segment_choices(session: AsyncSession, edition: Any, lang: str) -> list[ChoiceGroup]:
    """Every segment an organizer may write to, grouped, labelled in `lang`."""
    t = lambda key, **p: translate(lang, key, **p)  # noqa: E731
    tz = edition.timezone
    groups = [
        ChoiceGroup(
            t("campaigns.segment_group.everyone"),
            [Choice("all", t("campaigns.segment.all"))]
            + [
                Choice(f"mode:{m}", t("campaigns.segment.mode", mode=t(f"registration.mode.{m}")))
                for m in registration.MODES
            ],
        ),
        ChoiceGroup(
            t("campaigns.segment_group.category"),
            [Choice(f"category:{c}", t(f"category.{c}")) for c in registration.CATEGORIES],
        ),
    ]
    countries = await registration.confirmed_countries(session, edition.id)
    if countries:
        groups.append(
            ChoiceGroup(
                t("campaigns.segment_group.country"),
                [Choice(f"country:{c}", f"{country_name(c, lang)} ({n})") for c, n in countries],
            )
        )
    delegations = await registration.delegations_of(session, edition.id)
    if delegations:
        groups.append(
            ChoiceGroup(
                t("campaigns.segment_group.delegation"),
                [Choice(f"delegation:{i}", (ja if lang == "ja" and ja else en)) for i, en, ja in delegations],
            )
        )
    tour_choices = []
    for tour in await tours.list_tours(session, edition.id):
        name = tour.name_ja if lang == "ja" else tour.name_en
        tour_choices.append(Choice(f"tour:{tour.id}", t("campaigns.segment.tour", tour=name)))
        for course in tour.courses:
            theme = course.theme_ja if lang == "ja" else course.theme_en
            when = format_datetime(course.departs_at, lang, tz, WHEN)
            tour_choices.append(Choice(f"course:{course.id}", f"{name} · {course.code} {theme} ({when})"))
    if tour_choices:
        groups.append(ChoiceGroup(t("campaigns.segment_group.tour"), tour_choices))
    schedule = (await programme.published(session, edition)).schedule
    if schedule:
        items = sorted(
            (i for i in schedule.items if i.status != "cancelled"), key=lambda i: (i.starts_at, i.id)
        )
        groups.append(
            ChoiceGroup(
                t("campaigns.segment_group.session"),
                [
                    Choice(
                        f"session:{i.id}",
                        f"{format_datetime(i.starts_at, lang, tz, WHEN)} {i.title_ja if lang == 'ja' else i.title_en}",
                    )
                    for i in items
                ],
            )
        )
    groups.append(
        ChoiceGroup(
            t("campaigns.segment_group.other"),
            [Choice(k, t(f"campaigns.segment.{k}")) for k in ("matching", "exhibitors", "network")],
        )
    )
    return groups


async def segment_label(session: AsyncSession, edition: Any, segment_key: str, lang: str) -> str:
    for group in await segment_choices(session, edition, lang):
        for choice in group.choices:
            if choice.value == segment_key:
                return choice.label
    return segment_key


async def _exists(session: AsyncSession, edition: Any, segment: Segment) -> bool:
    if segment.kind not in ID_SEGMENTS:
        return True
    for group in await segment_choices(session, edition, "en"):
        if any(c.value == segment.key for c in group.choices):
            return True
    return False


@dataclass
class Recipient:
    user_id: int
    email: str
    name: str
    name_local: str
    lang: str  # preferred
    organization_en: str
    organization_ja: str
    country: str | None
    category: str | None
    mode: str | None
    reference: str
    course: Any = None  # tour segments: the course they hold a seat on


async def _user_ids(
    session: AsyncSession, edition: Any, segment: Segment
) -> tuple[list[int], dict[int, Any]]:
    courses: dict[int, Any] = {}
    kind = segment.kind
    if kind == "all":
        ids = await registration.confirmed_user_ids(session, edition.id)
    elif kind in ("mode", "category", "country"):
        ids = await registration.confirmed_user_ids(session, edition.id, **{kind: segment.value})
    elif kind == "delegation":
        ids = await registration.confirmed_user_ids(session, edition.id, delegation_id=segment.number)
    elif kind in ("tour", "course"):
        courses = await tours.booked_on(session, edition.id, **{f"{kind}_id": segment.number})
        ids = list(courses)
    elif kind == "session":
        ids = (await programme.audiences(session, [segment.number]))[segment.number]
    elif kind == "matching":
        ids = sorted(await matching.participant_ids(session, edition.id))
    elif kind == "exhibitors":
        ids = sorted(await exhibitors.staff_user_ids(session, edition.id, approved_only=True))
    else:
        ids = sorted(await network.member_ids(session))
    if kind in CONFIRMED_ONLY:
        # Bookings, agendas and meetings outlive a cancelled registration: only confirmed people get mail.
        confirmed = set(await registration.confirmed_user_ids(session, edition.id))
        ids = [i for i in ids if i in confirmed]
    return list(dict.fromkeys(ids)), courses


async def recipients(session: AsyncSession, edition: Any, segment: Segment) -> list[Recipient]:
    """The people of a segment now (active accounts), ordered by name: the order they are sent in."""
    ids, courses = await _user_ids(session, edition, segment)
    people: list[Recipient] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        users = await accounts.get_users(session, chunk)
        regs = await registration.registrations_of(session, edition.id, chunk)
        organizations = await accounts.organization_names(session, [u.id for u in users if u.id not in regs])
        for user in users:
            reg = regs.get(user.id)
            org = reg.organization if reg is not None else None
            people.append(
                Recipient(
                    user_id=user.id,
                    email=user.email,
                    name=user.name_latin,
                    name_local=user.name_local or user.name_latin,
                    lang=user.preferred_lang if user.preferred_lang in ("en", "ja") else "en",
                    organization_en=org.name_en if org else organizations.get(user.id, ""),
                    organization_ja=(org.name_ja or org.name_en) if org else organizations.get(user.id, ""),
                    country=(reg.country if reg else None) or user.country,
                    category=reg.category if reg else None,
                    mode=reg.mode if reg else None,
                    reference=reg.reference if reg else "",
                    course=courses.get(user.id),
                )
            )
    people.sort(key=lambda r: (r.name.casefold(), r.user_id))
    return people


@dataclass(frozen=True)
class SegmentSize:
    people: int
    unsubscribed: int  # would be skipped by a campaign that is not essential


async def segment_size(session: AsyncSession, edition: Any, segment: Segment) -> SegmentSize:
    ids, _ = await _user_ids(session, edition, segment)
    active = [u.id for u in await accounts.get_users(session, ids)] if ids else []
    return SegmentSize(len(active), len(await unsubscribed(session, active, "campaigns")))


# --- Placeholder values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every recipient's values share: the edition, links, and the session of a session segment."""

    edition: Any
    base_url: str
    secret: str
    item: Any = None  # a programme schedule Item for session segments


async def context_for(
    session: AsyncSession, edition: Any, segment: Segment, base_url: str, secret: str
) -> Context:
    item = None
    if segment.kind == "session":
        schedule = (await programme.published(session, edition)).schedule
        item = schedule.by_id.get(segment.number) if schedule else None
    return Context(edition, base_url, secret, item)


# "Monday 13 November, 13:30" / "11月13日(月) 13:30": clear in a mail read anywhere.
_MOMENT = {"en": "EEEE d MMMM, HH:mm", "ja": "M月d日(E) H:mm"}


def values_for(person: Recipient, lang: str, ctx: Context) -> dict[str, str]:
    edition, tz = ctx.edition, ctx.edition.timezone
    ja = lang == "ja"
    values = {
        "name": person.name,
        "name_local": person.name_local,
        "organization": person.organization_ja if ja else person.organization_en,
        "country": country_name(person.country, lang) if person.country else "",
        "category": translate(lang, f"category.{person.category}") if person.category else "",
        "mode": translate(lang, f"registration.mode.{person.mode}") if person.mode else "",
        "reference": person.reference,
        "edition": edition.name_ja if ja else edition.name_en,
        "dates": f"{format_date(edition.starts_on, lang)} – {format_date(edition.ends_on, lang)}",
        "venue": (edition.venue_name_ja if ja else edition.venue_name_en) or "",
        "agenda_url": f"{ctx.base_url}/agenda",
        "my_agenda_url": f"{ctx.base_url}/my-agenda",
        "badge_url": f"{ctx.base_url}/badge",
        "meetings_url": f"{ctx.base_url}/matching/",
        "preferences_url": message.preferences_url(ctx.base_url, ctx.secret, person.user_id),
    }
    course = person.course
    if course is not None:
        tour_name = course.tour.name_ja if ja else course.tour.name_en
        values["tour"] = f"{tour_name} · {course.code} {course.theme_ja if ja else course.theme_en}"
        values["tour_departs"] = format_datetime(course.departs_at, lang, tz, _MOMENT[lang])
        values["meeting_point"] = (course.meeting_point_ja if ja else course.meeting_point_en) or ""
    item = ctx.item
    if item is not None:
        values["session"] = item.title_ja if ja else item.title_en
        values["session_starts"] = format_datetime(item.starts_at, lang, tz, _MOMENT[lang])
        room = (item.room.name_ja if ja else item.room.name_en) if item.room else ""
        online = translate(lang, "campaigns.online_at", url=f"{ctx.base_url}/sessions/{item.id}/watch")
        values["session_place"] = (
            online if item.format == "online" else (f"{room} / {online}" if item.format == "hybrid" else room)
        )
    return values


def reading_lang(campaign: Any, person_lang: str) -> str:
    """The person's language when the campaign has it, else English."""
    if person_lang == "ja" and campaign.subject_ja and campaign.body_ja:
        return "ja"
    return "en"


def compose(campaign: Any, person: Recipient, lang: str, ctx: Context) -> message.Letter:
    """One recipient's message in `lang` (placeholders filled, footer, escaped HTML)."""
    segment = parse_segment(campaign.segment)
    if segment is None:  # never widen an unreadable group to everyone
        raise ValueError(f"unreadable segment {campaign.segment!r}")
    values = values_for(person, lang, ctx)
    suffix = "ja" if lang == "ja" and campaign.subject_ja else "en"
    subject = clean_line(
        placeholders.render(
            f"subject_{suffix}", getattr(campaign, f"subject_{suffix}"), values, segment.allowed
        )
    )
    body = placeholders.render(f"body_{suffix}", getattr(campaign, f"body_{suffix}"), values, segment.allowed)
    edition = ctx.edition.name_ja if lang == "ja" else ctx.edition.name_en
    unsubscribe = None if campaign.essential else unsubscribe_url(ctx, person.user_id)
    return message.letter(lang, subject, body, message.footer(lang, edition, campaign.essential, unsubscribe))


def unsubscribe_url(ctx: Context, user_id: int, topic: str = "campaigns") -> str:
    return f"{ctx.base_url}/mail/unsubscribe/{message.preferences_token(ctx.secret, user_id)}?list={topic}"


# --- Writing a campaign ------------------------------------------------------------------------------------


FIELDS = ("name", "subject_en", "subject_ja", "body_en", "body_ja", "segment", "essential", "rate_per_minute")


def _block(field: str, value: str | None, required: bool) -> str:
    cleaned = clean_block(value)
    if required and not cleaned:
        raise FieldError(field, "error.required")
    if len(cleaned) > BODY_MAX:
        raise FieldError(field, "error.too_long", max=BODY_MAX)
    return cleaned


def _line(field: str, value: str | None) -> str:
    cleaned = clean_line(value)
    if len(cleaned) > SUBJECT_MAX:
        raise FieldError(field, "error.too_long", max=SUBJECT_MAX)
    return cleaned


async def check(session: AsyncSession, edition: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The campaign's fields cleaned, or ValidationFailed naming every wrong field (placeholders included)."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    clean: dict[str, Any] = {
        "subject_en": collect(errors, required_line, "subject_en", values.get("subject_en"), SUBJECT_MAX),
        "subject_ja": collect(errors, _line, "subject_ja", values.get("subject_ja")),
        "body_en": collect(errors, _block, "body_en", values.get("body_en"), True),
        "body_ja": collect(errors, _block, "body_ja", values.get("body_ja"), False),
        "name": collect(errors, _line, "name", values.get("name")),
        "essential": str(values.get("essential") or "") in ("on", "1", "true", "yes"),
    }
    rate = whole_number(
        errors, "rate_per_minute", str(values.get("rate_per_minute") or "60"), 1, RATE_MAX, True
    )
    clean["rate_per_minute"] = rate
    segment = parse_segment(str(values.get("segment") or ""))
    if segment is None or not await _exists(session, edition, segment):
        errors["segment"] = ("campaigns.error.segment", {})
    else:
        clean["segment"] = segment.key
    if (
        "subject_ja" not in errors
        and "body_ja" not in errors
        and bool(clean["subject_ja"]) != bool(clean["body_ja"])
    ):
        missing = "body_ja" if clean["subject_ja"] else "subject_ja"
        errors[missing] = ("campaigns.error.japanese_incomplete", {})
    allowed = segment.allowed if segment else placeholders.ALL
    for field in ("subject_en", "subject_ja", "body_en", "body_ja"):
        if field not in errors and clean.get(field):
            collect(errors, placeholders.parse, field, clean[field], allowed)
    if errors:
        raise ValidationFailed(errors)
    clean["name"] = clean["name"] or clean["subject_en"][:SUBJECT_MAX]
    return clean


async def create(session: AsyncSession, edition: Any, values: Mapping[str, Any], actor: Any) -> Campaign:
    clean = await check(session, edition, values)
    campaign = Campaign(
        edition_id=edition.id, status="draft", created_by_id=actor.id if actor else None, **clean
    )
    session.add(campaign)
    await session.flush()
    await audit.record(
        session,
        actor,
        "campaigns.create",
        "campaign",
        campaign.id,
        campaign.name,
        after=audit.snapshot(campaign, AUDITED),
        edition_id=edition.id,
    )
    return campaign


async def update_draft(
    session: AsyncSession, edition: Any, campaign_id: int, values: Mapping[str, Any], actor: Any
) -> Campaign:
    campaign = await get(session, edition.id, campaign_id)
    if campaign.status != "draft":
        raise DomainError("campaigns.error.not_draft", "not_draft", status=409)
    clean = await check(session, edition, values)
    before = audit.snapshot(campaign, AUDITED)
    # Only while it is still a draft: an edit racing "send" must not change the text of a campaign being sent.
    changed = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "draft")
        .values(**clean, updated_at=clock.now())
    )
    if changed.rowcount != 1:
        raise DomainError("campaigns.error.not_draft", "not_draft", status=409)
    await session.refresh(campaign)
    await audit.record(
        session,
        actor,
        "campaigns.edit",
        "campaign",
        campaign.id,
        campaign.name,
        before=before,
        after=audit.snapshot(campaign, AUDITED),
        edition_id=edition.id,
    )
    return campaign


async def get(session: AsyncSession, edition_id: int, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.edition_id != edition_id:
        raise NotFound("campaign")
    return campaign


async def list_campaigns(session: AsyncSession, edition_id: int) -> list[Campaign]:
    rows = await session.scalars(
        select(Campaign).where(Campaign.edition_id == edition_id).order_by(Campaign.id.desc())
    )
    return list(rows.all())


# --- Preview -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    person: Recipient
    people: int
    unsubscribed: int
    letters: dict[str, message.Letter]  # en and ja (ja falls back to English when the campaign has none)
    reads: str  # the language this person will get


class _Draft:
    """A campaign's fields before they are saved, shaped like a Campaign for compose()."""

    def __init__(self, clean: Mapping[str, Any]) -> None:
        self.__dict__.update(clean)


async def preview(
    session: AsyncSession,
    edition: Any,
    values: Mapping[str, Any],
    base_url: str,
    secret: str,
    as_user: int | None = None,
) -> Preview:
    """The message for a real person of the segment, in both languages. Nothing is saved."""
    clean = await check(session, edition, values)
    segment = parse_segment(clean["segment"])
    people = await recipients(session, edition, segment)
    if not people:
        raise ValidationFailed({"segment": ("campaigns.error.empty_segment", {})})
    person = next((p for p in people if p.user_id == as_user), people[0])
    draft = _Draft(clean)
    ctx = await context_for(session, edition, segment, base_url, secret)
    letters = {lang: compose(draft, person, reading_lang(draft, lang), ctx) for lang in ("en", "ja")}
    skipped = (
        0
        if clean["essential"]
        else len(await unsubscribed(session, [p.user_id for p in people], "campaigns"))
    )
    return Preview(person, len(people), skipped, letters, reading_lang(draft, person.lang))


# --- Sending -----------------------------------------------------------------------------------------------


async def start_sending(session: AsyncSession, edition: Any, campaign_id: int, actor: Any) -> Campaign:
    """Mark a draft as sending (the job does the rest). Pressing "send" twice: the second is refused."""
    campaign = await get(session, edition.id, campaign_id)
    if campaign.status != "draft":
        raise DomainError("campaigns.error.already_sent", "already_sent", status=409)
    values = {field: getattr(campaign, field) for field in FIELDS}
    values["essential"] = "on" if campaign.essential else ""
    await check(session, edition, values)
    segment = parse_segment(campaign.segment)
    size = await segment_size(session, edition, segment)
    if size.people == 0:
        raise ValidationFailed({"segment": ("campaigns.error.empty_segment", {})})
    now = clock.now()
    claimed = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "draft")
        .values(status="sending", send_started_at=now, sent_by_id=actor.id if actor else None, updated_at=now)
    )
    if claimed.rowcount != 1:
        raise DomainError("campaigns.error.already_sent", "already_sent", status=409)
    await session.refresh(campaign)
    await audit.record(
        session,
        actor,
        "campaigns.send",
        "campaign",
        campaign.id,
        campaign.name,
        after={
            "segment": campaign.segment,
            "people": size.people,
            "rate_per_minute": campaign.rate_per_minute,
        },
        edition_id=edition.id,
    )
    return campaign


async def _add_recipients(session: AsyncSession, campaign: Campaign, people: list[Recipient]) -> None:
    """One row per person (the unique key makes a second run add only newcomers), in sending order."""
    have = dict(
        (
            await session.execute(
                select(CampaignRecipient.user_id, CampaignRecipient.position).where(
                    CampaignRecipient.campaign_id == campaign.id
                )
            )
        )
        .tuples()
        .all()
    )
    new = [p for p in people if p.user_id not in have]
    if not new:
        return
    blocked = (
        set() if campaign.essential else await unsubscribed(session, [p.user_id for p in new], "campaigns")
    )
    position = max(have.values(), default=-1) + 1
    started = campaign.send_started_at or clock.now()
    rate = max(campaign.rate_per_minute, 1)
    now = datetime.now(UTC)
    rows = []
    for person in new:
        skip = person.user_id in blocked
        rows.append(
            {
                "campaign_id": campaign.id,
                "user_id": person.user_id,
                "position": position,
                "lang": reading_lang(campaign, person.lang),
                "status": "skipped" if skip else "pending",
                "not_before": None if skip else started + timedelta(seconds=position * 60 // rate),
                "created_at": now,
                "updated_at": now,
            }
        )
        if not skip:
            position += 1
    for start in range(0, len(rows), 200):
        await session.execute(
            insert_ignoring_duplicates(session, CampaignRecipient)
            .values(rows[start : start + 200])
            .on_conflict_do_nothing(index_elements=["campaign_id", "user_id"])
        )


async def _store_counts(session: AsyncSession, campaign_id: int, **extra: Any) -> None:
    rows = await session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.status)
    )
    counts = dict(rows.tuples().all())
    await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            total=sum(counts.values()),
            queued=counts.get("queued", 0),
            skipped=counts.get("skipped", 0),
            updated_at=clock.now(),
            **extra,
        )
    )


async def execute_send(
    session_maker: Callable[[], AsyncSession], campaign_id: int, base_url: str, secret: str
) -> None:
    """The background part: choose the people, then put each one's message in the outbox, throttled by its
    not-before time. Safe to run twice at once or again after a crash: a person is claimed before queuing."""
    async with session_maker() as session:
        try:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None or campaign.status != "sending":
                return
            edition = await editions.get_by_id(session, campaign.edition_id)
            segment = parse_segment(campaign.segment)
            if segment is None:  # stored by an older version, or changed by hand: never widen to everyone
                log.error("campaign #%s: unreadable segment %r", campaign_id, campaign.segment)
                await session.execute(
                    update(Campaign)
                    .where(Campaign.id == campaign_id, Campaign.status == "sending")
                    .values(status="failed", error=UNREADABLE_SEGMENT, updated_at=clock.now())
                )
                await session.commit()
                return
            people = {p.user_id: p for p in await recipients(session, edition, segment)}
            await _add_recipients(session, campaign, list(people.values()))
            await _store_counts(session, campaign_id)
            await session.commit()
            ctx = await context_for(session, edition, segment, base_url, secret)
            while True:
                status = await session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
                if status != "sending":
                    return  # cancelled meanwhile
                batch = (
                    await session.scalars(
                        select(CampaignRecipient)
                        .where(
                            CampaignRecipient.campaign_id == campaign_id,
                            CampaignRecipient.status == "pending",
                        )
                        .order_by(CampaignRecipient.position)
                        .limit(BATCH)
                    )
                ).all()
                if not batch:
                    break
                for row in batch:
                    await _queue_one(session, campaign, row, people.get(row.user_id), ctx)
                await _store_counts(session, campaign_id)
                await session.commit()
            await _store_counts(session, campaign_id)
            await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == "sending")
                .values(status="sent", finished_at=clock.now())
            )
            await session.commit()
            log.info("campaign #%s queued", campaign_id)
        except Exception as exc:
            log.exception("campaign #%s failed", campaign_id)
            await session.rollback()
            await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == "sending")
                .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:500], updated_at=clock.now())
            )
            await session.commit()


async def _queue_one(
    session: AsyncSession, campaign: Campaign, row: CampaignRecipient, person: Recipient | None, ctx: Context
) -> None:
    claimed = await session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id == row.id, CampaignRecipient.status == "pending")
        .values(status="queued", updated_at=clock.now())
    )
    if claimed.rowcount != 1:
        return  # another run took this person
    if person is None:  # left the segment (or the account closed) since the list was made
        await session.execute(
            update(CampaignRecipient).where(CampaignRecipient.id == row.id).values(status="cancelled")
        )
        return
    letter = compose(campaign, person, row.lang, ctx)
    headers = None
    if not campaign.essential:
        url = unsubscribe_url(ctx, person.user_id)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    queued = await mail.queue_composed(
        session,
        to=person.email,
        name=person.name,
        lang=row.lang,
        kind="campaign",
        subject=letter.subject,
        body=letter.text,
        html=letter.html,
        headers=headers,
        not_before=row.not_before,
    )
    await session.execute(
        update(CampaignRecipient).where(CampaignRecipient.id == row.id).values(outbox_message_id=queued.id)
    )


async def stale_campaigns(session: AsyncSession) -> list[int]:
    """Campaigns left "sending" by a worker that stopped: the periodic loop runs them again."""
    rows = await session.scalars(
        select(Campaign.id).where(
            Campaign.status == "sending", Campaign.updated_at < clock.now() - STALE_AFTER
        )
    )
    return list(rows.all())


async def cancel(session: AsyncSession, edition: Any, campaign_id: int, actor: Any) -> dict[str, int]:
    """Stop a campaign: a draft is dropped; of one being sent, what has not left the outbox is taken back."""
    campaign = await get(session, edition.id, campaign_id)
    if campaign.status not in ("draft", "sending", "sent", "failed"):
        raise DomainError("campaigns.error.not_cancellable", "not_cancellable", status=409)
    before = {"status": campaign.status}
    campaign.status = "cancelled"
    campaign.finished_at = clock.now()
    await session.flush()
    rows = (
        await session.execute(
            select(CampaignRecipient.id, CampaignRecipient.outbox_message_id).where(
                CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "queued"
            )
        )
    ).tuples()
    by_message = {message_id: rid for rid, message_id in rows if message_id is not None}
    withdrawn = await mail.withdraw_pending(session, list(by_message))
    taken_back = [by_message[m] for m in withdrawn]
    for start in range(0, len(taken_back), 500):
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id.in_(taken_back[start : start + 500]))
            .values(status="cancelled", outbox_message_id=None)
        )
    await session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == "pending")
        .values(status="cancelled")
    )
    await _store_counts(session, campaign.id)
    await audit.record(
        session,
        actor,
        "campaigns.cancel",
        "campaign",
        campaign.id,
        campaign.name,
        before=before,
        after={"status": "cancelled", "taken_back": len(taken_back)},
        edition_id=edition.id,
    )
    return {"taken_back": len(taken_back)}


async def resume(session: AsyncSession, edition: Any, campaign_id: int, actor: Any) -> Campaign:
    """Send a failed campaign on (the route starts the job again): those already queued are not queued twice."""
    campaign = await get(session, edition.id, campaign_id)
    resumed = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "failed")
        .values(status="sending", error="", updated_at=clock.now())
    )
    if resumed.rowcount != 1:
        raise DomainError("campaigns.error.not_resumable", "not_resumable", status=409)
    before = {"status": "failed", "error": campaign.error}
    await session.refresh(campaign)
    await audit.record(
        session,
        actor,
        "campaigns.resume",
        "campaign",
        campaign.id,
        campaign.name,
        before=before,
        after={"status": "sending"},
        edition_id=edition.id,
    )
    return campaign


# --- Where each recipient is --------------------------------------------------------------------------------


STATES = ("waiting", "queued", "sent", "failed", "skipped", "cancelled", "removed")


@dataclass(frozen=True)
class RecipientLine:
    user_id: int
    name: str
    email: str
    lang: str
    state: str  # one of STATES
    not_before: datetime | None
    sent_at: datetime | None
    error: str


async def recipient_lines(session: AsyncSession, campaign: Campaign) -> list[RecipientLine]:
    """Every recipient with the real delivery status of their outbox message."""
    rows = list(
        (
            await session.scalars(
                select(CampaignRecipient)
                .where(CampaignRecipient.campaign_id == campaign.id)
                .order_by(CampaignRecipient.status == "skipped", CampaignRecipient.position)
            )
        ).all()
    )
    deliveries = await mail.deliveries(session, [r.outbox_message_id for r in rows if r.outbox_message_id])
    users = {}
    ids = [r.user_id for r in rows]
    for start in range(0, len(ids), 500):
        users.update({u.id: u for u in await accounts.get_users(session, ids[start : start + 500])})
    lines = []
    for row in rows:
        user = users.get(row.user_id)
        sent_at, error = None, ""
        if row.status == "pending":
            state = "waiting"
        elif row.status in ("skipped", "cancelled"):
            state = row.status
        else:
            delivery = deliveries.get(row.outbox_message_id or 0)
            if delivery is None:
                state = "removed"
            else:
                state = {"pending": "queued", "sending": "queued"}.get(delivery.status, delivery.status)
                sent_at, error = delivery.sent_at, delivery.last_error or ""
        lines.append(
            RecipientLine(
                row.user_id,
                user.name_latin if user else "—",
                user.email if user else "—",
                row.lang,
                state,
                row.not_before,
                sent_at,
                error,
            )
        )
    return lines


async def progress_tally(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    """The same counts as tally(recipient_lines(...)) from two grouped queries: what the progress box polls."""
    counts = dict.fromkeys(STATES, 0)
    rows = await session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.status)
    )
    by_status = dict(rows.tuples().all())
    counts["waiting"] = by_status.get("pending", 0)
    counts["skipped"] = by_status.get("skipped", 0)
    counts["cancelled"] = by_status.get("cancelled", 0)
    in_outbox = by_status.get("queued", 0)
    if in_outbox:
        ids = select(CampaignRecipient.outbox_message_id).where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == "queued",
            CampaignRecipient.outbox_message_id.is_not(None),
        )
        for status, count in (await mail.status_counts(session, ids)).items():
            state = {"pending": "queued", "sending": "queued"}.get(status, status)
            if state in counts:
                counts[state] += count
        counts["removed"] = in_outbox - counts["queued"] - counts["sent"] - counts["failed"]
    return counts


def tally(lines: list[RecipientLine]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for line in lines:
        counts[line.state] += 1
    return counts


# --- Mail preferences ---------------------------------------------------------------------------------------


TOPICS = ("campaigns", "reminders")


@dataclass(frozen=True)
class Preferences:
    campaigns: bool
    reminders: bool


async def preferences(session: AsyncSession, user_id: int) -> Preferences:
    row = await session.scalar(select(MailPreference).where(MailPreference.user_id == user_id))
    return Preferences(row.campaigns, row.reminders) if row else Preferences(True, True)


async def set_preference(session: AsyncSession, user_id: int, topic: str, wanted: bool, via: str) -> None:
    """Subscribe or unsubscribe one person from one topic (campaigns | reminders); safe when raced."""
    if topic not in TOPICS:
        raise DomainError("error.400_text", "invalid", field="list")
    now = datetime.now(UTC)
    await session.execute(
        insert_ignoring_duplicates(session, MailPreference)
        .values(
            user_id=user_id, campaigns=True, reminders=True, changed_via=via, created_at=now, updated_at=now
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    await session.execute(
        update(MailPreference)
        .where(MailPreference.user_id == user_id)
        .values({topic: wanted, "changed_via": via, "updated_at": now})
    )
    if not wanted:
        await _withdraw_queued(session, user_id, topic)


async def _withdraw_queued(session: AsyncSession, user_id: int, topic: str) -> None:
    """Someone unsubscribed: their messages of that kind that have not left yet are taken back (skipped)."""
    if topic == "reminders":
        rows = (
            await session.execute(
                select(ReminderSent.id, ReminderSent.outbox_message_id).where(
                    ReminderSent.user_id == user_id,
                    ReminderSent.status == "queued",
                    ReminderSent.outbox_message_id.is_not(None),
                )
            )
        ).tuples()
        by_message = {message_id: rid for rid, message_id in rows}
        withdrawn = [by_message[m] for m in await mail.withdraw_pending(session, list(by_message))]
        if withdrawn:
            await session.execute(
                update(ReminderSent)
                .where(ReminderSent.id.in_(withdrawn))
                .values(status="skipped", outbox_message_id=None, updated_at=clock.now())
            )
        return
    rows = (
        await session.execute(
            select(CampaignRecipient.id, CampaignRecipient.campaign_id, CampaignRecipient.outbox_message_id)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(
                CampaignRecipient.user_id == user_id,
                CampaignRecipient.status.in_(("pending", "queued")),
                Campaign.essential.is_(False),
            )
        )
    ).tuples()
    touched: set[int] = set()
    by_message: dict[int, tuple[int, int]] = {}
    for rid, campaign_id, message_id in rows:
        if message_id is None:
            # Not in the outbox yet: the job claims only "pending" rows, so this one will not be queued.
            done = await session.execute(
                update(CampaignRecipient)
                .where(CampaignRecipient.id == rid, CampaignRecipient.status == "pending")
                .values(status="skipped", not_before=None, updated_at=clock.now())
            )
            if done.rowcount:
                touched.add(campaign_id)
        else:
            by_message[message_id] = (rid, campaign_id)
    for message_id in await mail.withdraw_pending(session, list(by_message)):
        rid, campaign_id = by_message[message_id]
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id == rid)
            .values(status="skipped", outbox_message_id=None, updated_at=clock.now())
        )
        touched.add(campaign_id)
    for campaign_id in sorted(touched):
        await _store_counts(session, campaign_id)


async def unsubscribed(session: AsyncSession, user_ids: list[int], topic: str) -> set[int]:
    """Those of these people who do not want `topic` mail."""
    column = MailPreference.campaigns if topic == "campaigns" else MailPreference.reminders
    found: set[int] = set()
    for start in range(0, len(user_ids), 500):
        rows = await session.scalars(
            select(MailPreference.user_id).where(
                MailPreference.user_id.in_(user_ids[start : start + 500]), column.is_(False)
            )
        )
        found.update(rows.all())
    return found


async def person_for_token(session: AsyncSession, secret: str, token: str) -> Any:
    """The account a preferences link was signed for; NotFound for a forged link or a closed account."""
    user_id = message.user_of_token(secret, token)
    people = await accounts.get_users(session, [user_id]) if user_id is not None else []
    if not people:
        raise NotFound("preferences")
    return people[0]
