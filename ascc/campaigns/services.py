"""Business rules of the campaigns domain: writing a campaign, previewing it, and each recipient's message
(placeholders filled). Segments are in segments.py, sending in the background with a throttle (and
cancelling, resuming, each recipient's status) in sending.py, people's mail preferences in preferences.py,
reminders in reminders.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ascc import clock, dates
from ascc.audit import services as audit
from ascc.campaigns import message, placeholders
from ascc.campaigns.models import Campaign
from ascc.campaigns.preferences import unsubscribed
from ascc.campaigns.segments import Recipient, Segment, parse_segment, recipients, segment_exists
from ascc.db import rows_changed
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import country_name, translate
from ascc.programme import services as programme
from ascc.text import FieldError, clean_block, clean_line, collect, required_line, whole_number

if TYPE_CHECKING:
    from ascc.editions.models import Edition

SUBJECT_MAX = 200
BODY_MAX = 20_000
RATE_MAX = 600
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


# --- Placeholder values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every recipient's values share: the edition, links, and the session of a session segment."""

    edition: Edition
    base_url: str
    secret: str
    item: Any = None  # a programme schedule Item for session segments


async def context_for(
    session: AsyncSession, edition: Edition, segment: Segment, base_url: str, secret: str
) -> Context:
    item = None
    if segment.kind == "session":
        schedule = (await programme.published(session, edition)).schedule
        item = schedule.by_id.get(segment.number) if schedule else None
    return Context(edition, base_url, secret, item)


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
        "dates": dates.date_range(edition.starts_on, edition.ends_on, lang),
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
        values["tour_departs"] = dates.format_moment(course.departs_at, lang, tz, "datetime")
        values["meeting_point"] = (course.meeting_point_ja if ja else course.meeting_point_en) or ""
    item = ctx.item
    if item is not None:
        values["session"] = item.title_ja if ja else item.title_en
        values["session_starts"] = dates.format_moment(item.starts_at, lang, tz, "datetime")
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


async def check(session: AsyncSession, edition: Edition, values: Mapping[str, Any]) -> dict[str, Any]:
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
    if segment is None or not await segment_exists(session, edition, segment):
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


async def create(
    session: AsyncSession, edition: Edition, values: Mapping[str, Any], actor: audit.Actor | None
) -> Campaign:
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
    session: AsyncSession,
    edition: Edition,
    campaign_id: int,
    values: Mapping[str, Any],
    actor: audit.Actor | None,
) -> Campaign:
    campaign = await get(session, edition.id, campaign_id)
    if campaign.status != "draft":
        raise DomainError("campaigns.error.not_draft", "not_draft", status=409)
    clean = await check(session, edition, values)
    before = audit.snapshot(campaign, AUDITED)
    # Only while it is still a draft: an edit racing "send" must not change the text of a campaign being sent.
    changed = await rows_changed(
        session,
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == "draft")
        .values(**clean, updated_at=clock.now()),
    )
    if changed != 1:
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
    edition: Edition,
    values: Mapping[str, Any],
    base_url: str,
    secret: str,
    as_user: int | None = None,
) -> Preview:
    """The message for a real person of the segment, in both languages. Nothing is saved."""
    clean = await check(session, edition, values)
    segment = parse_segment(clean["segment"])
    assert segment is not None  # check() refuses a segment it cannot read
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
