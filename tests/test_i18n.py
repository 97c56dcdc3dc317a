"""Japanese and English are both complete for everything the pages and mails say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ascc.accounts.models import ROLES
from ascc.audit.actions import ACTIONS, DOMAINS, TARGET_TYPES
from ascc.editions.models import EDITION_STATUSES
from ascc.exhibitors.models import BUDGET_BANDS, EXHIBITOR_KINDS, EXHIBITOR_STATUSES, FINANCING, TIMELINES
from ascc.i18n import catalogue, negotiate, parse_accept_language, pick, translate
from ascc.mail.models import OUTBOX_STATUSES
from ascc.matching.models import FOLLOW_UPS, OUTCOMES, PRIORITIES
from ascc.matching.models import FORMATS as MEETING_FORMATS
from ascc.matching.models import STATUSES as MEETING_STATUSES
from ascc.matching.scheduler import BUSY, NO_COMMON_SLOT, NO_PLACE
from ascc.organizations.models import ORGANIZATION_KINDS
from ascc.programme.models import ROLES as ROLES_IN_SESSIONS
from ascc.programme.models import SESSION_STATUSES
from ascc.programme.schedule import COMPARED_FIELDS, FORMATS, KINDS, LANGUAGES
from ascc.registration.consents import CONSENTS
from ascc.registration.models import CATEGORIES, INTERPRETATION, MODES, QUESTION_KINDS, STATUSES
from ascc.taxonomy import SECTORS
from ascc.webhooks.models import DELIVERY_STATUSES
from ascc.webhooks.payloads import EVENT_TYPES, EXHIBITOR_EVENTS, ORGANIZER_EVENTS

ROOT = Path(__file__).resolve().parent.parent
MATCHING_MAILS = [
    "meeting_requested",
    "meeting_accepted",
    "meeting_declined",
    "meeting_proposed",
    "meeting_scheduled",
    "meeting_cancelled",
    "meetings_scheduled",
]
# Keys built at run time from a value (statuses, roles, kinds); each prefix's members are listed here.
DYNAMIC = {
    "edition.status.": list(EDITION_STATUSES),
    "role.": list(ROLES),
    "organization.kind.": list(ORGANIZATION_KINDS),
    "outbox.status.": list(OUTBOX_STATUSES),
    "verify.": ["title", "intro", "sent", "submit"],
    "forgot.": ["title", "intro", "sent", "submit"],
    "category.": list(CATEGORIES),
    "sector.": list(SECTORS),
    "consent.": list(CONSENTS),
    "delegation.invite.": ["invited", "accepted", "revoked"],
    "organizer.decision.": [
        f"{action}.{part}"
        for action in ("approve", "reject", "cancel", "reopen")
        for part in ("title", "question", "confirm")
    ],
    "registration.interpretation.": list(INTERPRETATION),
    "registration.mode.": list(MODES),
    "registration.status.": list(STATUSES),
    "registration.switch_to_": list(MODES),
    "settings.kind.": list(QUESTION_KINDS),
    "programme.kind.": list(KINDS),
    "programme.format.": list(FORMATS),
    "programme.status.": list(SESSION_STATUSES),
    "programme.role.": list(ROLES_IN_SESSIONS),
    "programme.role_plural.": list(ROLES_IN_SESSIONS),
    "programme.change.": ["added", "changed", "cancelled", "removed"],
    "programme.field.": list(COMPARED_FIELDS),
    "programme.followable_in.": list(LANGUAGES),
    "programme.notice.": ["published", "saved", "deleted", "material_added", "photo_saved"],
    "programme.warning.": ["room_double_booked", "person_double_booked", "outside_edition_days"],
    "lang.": list(LANGUAGES),
    "tours.notice.": [
        "booked_confirmed",
        "booked_waiting",
        "cancelled",
        "ranked",
        "id_saved",
        "allocated",
        "tour_saved",
        "course_saved",
    ],
    "tours.mode.": ["fcfs", "ballot"],
    "tours.id_kind.": ["passport", "national_id"],
    "notification.": [
        "programme_changed",
        "session_promoted",
        "tour_promoted",
        "title",
        "mark_read",
        *MATCHING_MAILS,
    ],
    "matching.status.": list(MEETING_STATUSES),
    "matching.priority.": list(PRIORITIES),
    "matching.format.": list(MEETING_FORMATS),
    "matching.outcome.": list(OUTCOMES),
    "matching.follow_up.": list(FOLLOW_UPS),
    "matching.busy.": ["signed_up", "speaking", "tour", "block"],
    "matching.reason.": [NO_COMMON_SLOT, NO_PLACE, BUSY],
    "matching.stage.": ["queued", "loading", "model", "relaxation", "integer", "saving", "done", "failed"],
    "market.tab.": ["solutions", "exhibitors", "needs"],
    "market.kind.": list(EXHIBITOR_KINDS),
    "market.status.": list(EXHIBITOR_STATUSES),
    "market.budget.": list(BUDGET_BANDS),
    "market.timeline.": list(TIMELINES),
    "market.financing.": list(FINANCING),
    "market.scan.": ["recorded", "already", "not_shared", "unknown", "invalid", "revoked"],
    "market.done.": [
        "created",
        "saved",
        "logo",
        "submitted",
        "invited",
        "removed",
        "revoked",
        "joined",
        "deleted",
        "brochure",
        "reviewed",
        "booth",
        "name_review",
    ],
    "webhooks.event.": [*ORGANIZER_EVENTS, *EXHIBITOR_EVENTS],
    "webhooks.status.": list(DELIVERY_STATUSES),
    "webhooks.done.": ["created", "saved", "secret", "test", "deleted", "again", "waiting"],
}


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt")]:
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    for path in (
        p for p in ROOT.glob("ascc/**/*.py") if p.name not in ("models.py", "seed.py")
    ):  # models name tables, not texts
        keys |= set(
            re.findall(
                r"""["']((?:error|mail|link|reset|verify|privacy|delegation|registration|form|programme|notification|market|matching)\.[a-z0-9_.]+)["']""",
                # route names (`name="privacy.notice"`, `url_for("registration.mine")`) are not texts
                re.sub(
                    r"""(?:\bname=|(?:url_for|route_reverse)\(\s*)["'][a-z_.]+["']""", "", path.read_text()
                ),
            )
        )
    # Audit actions ("registration.approve") are names, not texts: their labels are audit.action.<name>.
    keys -= set(ACTIONS)
    keys -= set(EVENT_TYPES)  # webhook event types ("registration.confirmed") too: webhooks.event.<type>
    keys |= {f"audit.action.{a}" for a in ACTIONS} | {f"audit.domain.{d}" for d in DOMAINS}
    keys |= {f"audit.target.{t}" for t in TARGET_TYPES}
    expanded = set()
    for key in keys:
        if key.endswith((".", "_")):
            expanded |= {key + member for member in DYNAMIC.get(key, [])}
        else:
            expanded.add(key)
    for kind in (
        "verify_email",
        "password_reset",
        "badge_reissued",
        "delegation_invite",
        "delegation_invite_registered",
        "delegation_join_request",
        "delegation_join_accepted",
        "delegation_join_declined",
        "exhibitor_invite",
        "programme_changed",
        "session_promoted",
        "tour_confirmed",
        "tour_waiting",
        "tour_promoted",
        "tour_allocated",
        "tour_left_out",
        *MATCHING_MAILS,
        *(
            f"registration_{s}"
            for s in ("confirmed", "waiting", "pending", "promoted", "rejected", "cancelled")
        ),
    ):
        expanded.add(f"mail.{kind}.subject")
    return expanded


def test_catalogues_have_the_same_keys() -> None:
    assert set(catalogue("en")) == set(catalogue("ja"))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_key_used_by_pages_and_mail_is_translated(lang: str) -> None:
    missing = sorted(k for k in _used_keys() if k not in catalogue(lang))
    assert missing == []


def test_japanese_catalogue_is_japanese() -> None:
    assert translate("ja", "nav.login") == "ログイン"
    assert translate("en", "nav.login") == "Sign in"


def test_translate_fills_parameters() -> None:
    assert translate("ja", "error.too_long", max=200) == "200文字以内で入力してください。"


def test_negotiate_prefers_cookie_then_account_then_browser() -> None:
    assert negotiate("ja", "en", "en-US") == "ja"
    assert negotiate(None, "ja", "en-US") == "ja"
    assert negotiate(None, None, "ja-JP,ja;q=0.9,en;q=0.8") == "ja"
    assert negotiate(None, None, "fr-FR, en;q=0.5, ja;q=0.7") == "ja"
    assert negotiate("xx", None, None) == "en"


def test_parse_accept_language_ignores_garbage() -> None:
    assert parse_accept_language("th-TH;q=abc, *") is None


def test_pick_falls_back_to_the_other_language() -> None:
    assert pick({"name_en": "Tour B", "name_ja": ""}, "name", "ja") == "Tour B"
    assert pick({"name_en": "Tour B", "name_ja": "視察B"}, "name", "ja") == "視察B"
