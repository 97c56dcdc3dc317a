"""When people may register: the edition's registration window (ascc.editions.phases), a category's own last
day, who may still register outside it, and the organizers' form that sets these dates. No HTTP.

- Inside the window anyone registers (a category closes on its own day where the organizers set one).
- After the window closed, until the end of the conference, a late-registration code admits its holder
  (an invitation code made with "late"); an organizer registers anyone, whenever.
- Before it opens, after the conference, in a draft edition or one its organizers set to "closed", nobody
  but an organizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from ascc import dates
from ascc.audit import services as audit
from ascc.editions import phases
from ascc.editions import services as editions
from ascc.errors import DomainError, ValidationFailed
from ascc.i18n import translate
from ascc.registration.models import CATEGORIES, RegistrationSettings
from ascc.registration.services import get_settings

if TYPE_CHECKING:
    from ascc.editions.models import Edition


def category_closes_on(settings: RegistrationSettings, category: str) -> date | None:
    """The category's own last day of registration, if the organizers set one."""
    raw = (settings.category_closes_on or {}).get(category)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def window_for(
    edition: Edition, settings: RegistrationSettings, category: str, now: datetime
) -> phases.Window:
    """Registration for one category at `now`."""
    return phases.registration(phases.timeline_of(edition), now, category_closes_on(settings, category))


@dataclass(frozen=True)
class Standing:
    """Where registration stands at a moment, for the pages: the edition's window, the categories whose own
    day gives them a different one, and the conference itself."""

    window: phases.Window
    stage: str
    ends_on: date
    categories: list[tuple[str, phases.Window]] = field(default_factory=list)
    late_codes: bool = False  # closed for now, and a late-registration code would still admit

    @property
    def any_open(self) -> bool:
        return self.window.is_open or any(w.is_open for _, w in self.categories)

    @property
    def form_open(self) -> bool:
        """Whether the form is worth showing to a participant: open for some category, or a late code works."""
        return self.any_open or self.late_codes


def standing(edition: Edition, settings: RegistrationSettings, now: datetime) -> Standing:
    timeline = phases.timeline_of(edition)
    window = phases.registration(timeline, now)
    categories = [
        (category, own)
        for category in CATEGORIES
        if category_closes_on(settings, category) is not None
        and (own := window_for(edition, settings, category, now)) != window
    ]
    late = edition.status != "closed" and (
        window.state == phases.CLOSED or any(w.state == phases.CLOSED for _, w in categories)
    )
    return Standing(window, phases.stage(timeline, now), edition.ends_on, categories, late)


def _days(day: date) -> dict[str, str]:
    return {"day_en": dates.format_date(day, "en"), "day_ja": dates.format_date(day, "ja")}


def _category_names(category: str) -> dict[str, str]:
    return {
        "category_en": translate("en", f"category.{category}"),
        "category_ja": translate("ja", f"category.{category}"),
    }


def admission(
    edition: Edition, settings: RegistrationSettings, category: str, has_code: bool, now: datetime
) -> bool:
    """Whether a participant may register in `category` now. True: only with a late-registration code (the
    caller checks the code they gave is one); False: the window is open. Refused: a DomainError that says
    why and what is still possible (409 "registration_not_open" or "registration_closed")."""
    window = window_for(edition, settings, category, now)
    if window.is_open:
        return False
    if window.state == phases.NOT_YET:
        if window.opens_on is None:  # a draft
            raise DomainError("error.registration_closed", "registration_not_open", status=409)
        raise DomainError(
            "registration.error.not_yet_open", "registration_not_open", status=409, **_days(window.opens_on)
        )
    if window.state == phases.ENDED:
        raise DomainError(
            "registration.error.ended", "registration_closed", status=409, **_days(edition.ends_on)
        )
    if edition.status == "closed" or window.closes_on is None:
        raise DomainError("error.registration_closed", "registration_closed", status=409)
    if has_code:
        return True
    own = category_closes_on(settings, category)
    if own is not None and own != edition.registration_closes_on:
        raise DomainError(
            "registration.error.category_closed_on",
            "registration_closed",
            field="code",
            status=409,
            **_days(window.closes_on),
            **_category_names(category),
        )
    raise DomainError(
        "registration.error.closed_on",
        "registration_closed",
        field="code",
        status=409,
        **_days(window.closes_on),
    )


# --- The organizers' dates ------------------------------------------------------------------------------


@dataclass
class DatesInput:
    registration_opens_on: str = ""
    registration_closes_on: str = ""
    meeting_requests_close_on: str = ""
    category_closes_on: dict[str, str] = field(default_factory=dict)  # category -> "YYYY-MM-DD" or ""


async def save_dates(
    session: AsyncSession, edition: Edition, data: DatesInput, actor: audit.Actor | None = None
) -> None:
    """The edition's registration and meeting-request dates and the categories' own last days, all or
    nothing: every field is checked before anything is written."""
    errors: dict = {}
    timeline = editions.TimelineInput(
        data.registration_opens_on, data.registration_closes_on, data.meeting_requests_close_on
    )
    try:
        editions.validate_timeline(edition.starts_on, edition.ends_on, timeline)
    except ValidationFailed as exc:
        errors |= exc.errors
    own: dict[str, str] = {}
    for category, raw in data.category_closes_on.items():
        name = f"close_{category}"
        if category not in CATEGORIES:
            errors[name] = ("error.choice_invalid", {})
            continue
        day = editions.optional_day(raw, name, errors)
        if day is not None and day > edition.ends_on:
            errors[name] = ("error.after_conference", {"day": edition.ends_on.isoformat()})
        elif day is not None:
            own[category] = day.isoformat()
    if errors:
        raise ValidationFailed(errors)
    await editions.set_timeline(session, edition, timeline, actor)
    settings = await get_settings(session, edition.id)
    before = audit.snapshot(settings, ("category_closes_on",))
    settings.category_closes_on = dict(sorted(own.items()))
    await session.flush()
    after = audit.snapshot(settings, ("category_closes_on",))
    if after != before:
        await audit.record(
            session,
            actor,
            "registration.settings",
            "registration_settings",
            settings.id,
            "",
            before=before,
            after=after,
            edition_id=edition.id,
        )


def dates_values(edition: Edition, settings: RegistrationSettings) -> dict[str, str]:
    """The dates as the organizers' form shows them ("" where none is set)."""
    values = {
        name: day.isoformat() if (day := getattr(edition, name)) else "" for name in editions.TIMELINE_FIELDS
    }
    for category in CATEGORIES:
        values[f"close_{category}"] = (settings.category_closes_on or {}).get(category, "")
    return values
