"""The OpenAPI document as third parties read it: valid, one name per schema, who may call each operation,
one error body, enums that match the domain, and a client generated from it that works.

What the app answers against the document, operation by operation and role by role, is tests/test_api_fuzz.py.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, get_args

import pytest
from openapi_spec_validator import validate

from ascc.accounts import routes as account_api
from ascc.accounts.models import LANGUAGES, ROLES
from ascc.api_contract import BEARER
from ascc.app import create_app
from ascc.badges import api as badge_api
from ascc.badges.checkin import REASONS
from ascc.badges.models import PLACE_TYPES, RESULTS
from ascc.badges.render import LAYOUTS
from ascc.config import Settings
from ascc.editions import routes as edition_api
from ascc.editions.models import EDITION_STATUSES
from ascc.exhibitors import api as marketplace_api
from ascc.exhibitors.models import BUDGET_BANDS, EXHIBITOR_KINDS, FINANCING, NEED_STATUSES, TIMELINES
from ascc.matching import api as matching_api
from ascc.matching.models import FORMATS as MEETING_FORMATS
from ascc.matching.models import PRIORITIES
from ascc.matching.models import STATUSES as MEETING_STATUSES
from ascc.online import api as online_api
from ascc.online.providers import CHANNELS
from ascc.online.questions import AUDIENCE_RANKS, MODERATION
from ascc.organizations import routes as organization_api
from ascc.organizations.models import ORGANIZATION_KINDS
from ascc.programme import api as programme_api
from ascc.programme.models import ROLES as SPEAKER_ROLES
from ascc.programme.models import SESSION_STATUSES
from ascc.programme.schedule import FORMATS as SESSION_FORMATS
from ascc.registration import api as registration_api
from ascc.registration.models import CATEGORIES, INTERPRETATION, MODES, STATUSES
from ascc.tours import api as tour_api
from ascc.tours.models import MODES as TOUR_MODES
from tests.support.api_demo import seeded_demo
from tests.support.live import live_server

API = "/api/v1/"
ERROR = "#/components/schemas/ErrorOut"
# Before the conference's first day: the demo's courses have not left, its sessions are ahead.
DEMO_NOW = "2023-11-13T09:00+09:00"

# The fuzz run seeds the same demo in this process: share its worker under `make test`.
pytestmark = pytest.mark.xdist_group("api_fuzz")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    never_opened = Path(tempfile.gettempdir()) / "ascc-openapi-only.db"  # the engine connects lazily
    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{never_opened}")).openapi_schema.to_schema()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        if path.startswith(API)
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises with the path of what is wrong
    assert document["openapi"].startswith("3.1")
    assert len(_operations(document)) > 60


def test_every_schema_has_a_name_of_its_own(document: dict[str, Any]) -> None:
    """Generators name classes after the title: two schemas with one title make one of them vanish."""
    schemas = document["components"]["schemas"]
    titles = Counter(schema.get("title", name) for name, schema in schemas.items())
    assert [title for title, count in titles.items() if count > 1] == []
    assert [name for name, schema in schemas.items() if schema.get("title", name) != name] == []


def test_every_operation_says_who_may_call_it_and_what_its_errors_look_like(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"][BEARER] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"][BEARER]["description"],
    }
    for method, path, operation in _operations(document):
        where = f"{method} {path}"
        assert "security" in operation, where
        responses = operation["responses"]
        assert {"400", "401", "503"} <= set(responses), where
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": ERROR}, (where, status)
                assert response["description"].strip(), (where, status)
        if operation["security"] == [{BEARER: []}]:
            assert "no token" in responses["401"]["description"], where
    by_name = {f"{method} {path}": operation for method, path, operation in _operations(document)}
    # Public, optional and required, as the guards say.
    assert by_name["GET /api/v1/sessions"]["security"] == []
    assert by_name["GET /api/v1/editions"]["security"] == [{}, {BEARER: []}]  # organizers also see drafts
    assert by_name["GET /api/v1/me/agenda"]["security"] == [{BEARER: []}]
    # A role guard's 403 names the roles; a domain rule's answers name their codes.
    assert "only for organizer" in by_name["GET /api/v1/audit"]["responses"]["403"]["description"]
    assert "only for checkin, organizer" in by_name["POST /api/v1/checkin"]["responses"]["403"]["description"]
    booking = by_name["POST /api/v1/tours/courses/{course_id}/booking"]["responses"]
    assert "`one_course_per_tour`" in booking["409"]["description"]
    assert "Retry-After" in booking["409"]["headers"]
    assert set(by_name["POST /api/v1/me/agenda/{session_id}"]["responses"]) >= {"200", "201"}
    # Reads that nothing can race claim no conflict.
    assert "409" not in by_name["GET /api/v1/sessions"]["responses"]
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["detail", "error", "status_code"]


def _enum(document: dict[str, Any], schema: str, field: str) -> set[str]:
    found = document["components"]["schemas"][schema]["properties"][field]
    for option in found.get("oneOf", [found]):
        if "enum" in option:
            return set(option["enum"])
        if option.get("type") == "array" and "enum" in option["items"]:
            return set(option["items"]["enum"])
    raise AssertionError(f"{schema}.{field} is no enum: {found}")


def test_closed_sets_are_enums_as_the_domain_names_them(document: dict[str, Any]) -> None:
    """The API's Literal types are checked by the parser and stated in the document; here they are held to
    the domain's own tuples, so a value added there cannot be refused or undocumented here."""
    same = [
        (registration_api.Mode, MODES),
        (registration_api.Category, CATEGORIES),
        (registration_api.Status, STATUSES),
        (registration_api.Interpretation, INTERPRETATION),
        (account_api.Role, ROLES),
        (account_api.Language, LANGUAGES),
        (account_api.OrganizationKind, ORGANIZATION_KINDS),
        (organization_api.OrganizationKind, ORGANIZATION_KINDS),
        (edition_api.EditionStatus, EDITION_STATUSES),
        (programme_api.SessionStatus, SESSION_STATUSES),
        (programme_api.SessionFormat, SESSION_FORMATS),
        (programme_api.SpeakerRole, SPEAKER_ROLES),
        (tour_api.TourMode, TOUR_MODES),
        (marketplace_api.ExhibitorKind, EXHIBITOR_KINDS),
        (marketplace_api.BudgetBand, BUDGET_BANDS),
        (marketplace_api.Timeline, TIMELINES),
        (marketplace_api.Financing, FINANCING),
        (marketplace_api.NeedStatus, NEED_STATUSES),
        (matching_api.Priority, PRIORITIES),
        (matching_api.MeetingFormat, MEETING_FORMATS),
        (matching_api.MeetingStatus, MEETING_STATUSES),
        (online_api.Moderation, MODERATION),
        (online_api.QuestionStatus, tuple(AUDIENCE_RANKS)),
        (online_api.Channel, CHANNELS),
        (badge_api.PlaceType, PLACE_TYPES),
        (badge_api.Result, RESULTS),
        (badge_api.Reason, REASONS),
        (badge_api.Layout, LAYOUTS),
    ]
    assert [(literal, values) for literal, values in same if set(get_args(literal)) != set(values)] == []
    assert _enum(document, "RegistrationIn", "mode") == set(MODES)
    assert _enum(document, "ModerateIn", "action") == set(MODERATION)
    assert _enum(document, "ProfileIn", "preferred_lang") == set(LANGUAGES)
    assert _enum(document, "MeetingOut", "status") == set(MEETING_STATUSES)
    assert _enum(document, "NeedIn", "financing") == set(FINANCING)


def _generate_client(document_url: str, directory: Path) -> Any:
    """openapi-python-client's package for the served document, imported from `directory`."""
    config = directory / "client.yaml"
    # The generator reads only JSON, text and octet-stream answers: the badge files come as bytes.
    config.write_text(
        "post_hooks: []\npackage_name_override: ascc_client\ncontent_type_overrides:\n"
        + "".join(
            f"  {kind}: application/octet-stream\n"
            for kind in ("image/png", "image/svg+xml", "application/pdf", "application/x-pem-file")
        )
        + "  application/xml: text/plain\n"
    )
    run = subprocess.run(
        [
            Path(sys.executable).with_name("openapi-python-client"),
            "generate",
            "--url",
            document_url,
            "--meta",
            "none",
            "--output-path",
            str(directory / "ascc_client"),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # Nothing of the document may be left out: no schema it could not read, no answer it had to drop.
    assert "Unable" not in run.stdout and "Cannot" not in run.stdout, run.stdout
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module("ascc_client")
    finally:
        sys.path.remove(str(directory))


def test_a_generated_client_lists_sessions_saves_one_and_books_a_course(
    demo_template: Any, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    demo = seeded_demo(demo_template)
    with live_server(demo.copy(tmp_path), tmp_path / "server.log", ASCC_NOW=DEMO_NOW) as url:
        client_package = _generate_client(f"{url}/schema/openapi.json", tmp_path)
        try:
            _use_the_client(client_package, url, demo.tokens["delegate"])
        finally:
            for name in [n for n in sys.modules if n == "ascc_client" or n.startswith("ascc_client.")]:
                del sys.modules[name]


def _use_the_client(package: Any, url: str, token: str | None) -> None:
    programme = importlib.import_module("ascc_client.api.programme")
    tours = importlib.import_module("ascc_client.api.tours")
    models = importlib.import_module("ascc_client.models")
    anonymous = package.Client(base_url=url)
    delegate = package.AuthenticatedClient(base_url=url, token=token)

    listing = importlib.import_module(f"{programme.__name__}.api_v1_sessions_sessions")
    page = listing.sync(client=anonymous, per_page=5)
    assert isinstance(page, models.SessionPage), page
    assert page.total > 5 and len(page.items) == 5
    first = page.items[0]
    assert isinstance(first, models.SessionOut) and first.title_en and first.status == "published"
    assert first.starts_at.utcoffset() is not None  # times carry their zone

    saving = importlib.import_module(f"{programme.__name__}.api_v1_me_agenda_session_id_save")
    saved = saving.sync_detailed(client=delegate, session_id=first.id)
    assert saved.status_code in (200, 201) and isinstance(saved.parsed, models.SavedOut)
    assert (saved.parsed.session_id, saved.parsed.saved) == (first.id, True)
    agenda = importlib.import_module(f"{programme.__name__}.api_v1_me_agenda_agenda").sync(client=delegate)
    assert isinstance(agenda, models.AgendaOut)
    assert first.id in [line.session.id for line in agenda.items]

    # Without a token the same call is answered with the one error body, parsed as such.
    refused = saving.sync_detailed(client=anonymous, session_id=first.id)
    assert refused.status_code == 401 and isinstance(refused.parsed, models.ErrorOut)
    assert refused.parsed.error == "not_authenticated"

    listed = importlib.import_module(f"{tours.__name__}.api_v1_tours_list_tours").sync(client=anonymous)
    assert listed and all(isinstance(tour, models.TourOut) for tour in listed)
    course = next(c for tour in listed if tour.mode == "fcfs" for c in tour.courses if c.free_seats > 0)
    booking = importlib.import_module(f"{tours.__name__}.api_v1_tours_courses_course_id_booking_book")
    # The demo's delegate holds a seat on it already: the refusal names why, and a cancellation frees it.
    again = booking.sync_detailed(client=delegate, course_id=course.id)
    assert again.status_code == 409 and isinstance(again.parsed, models.ErrorOut)
    assert again.parsed.error == "already_booked"
    cancelling = importlib.import_module(f"{tours.__name__}.api_v1_tours_courses_course_id_booking_cancel")
    assert cancelling.sync_detailed(client=delegate, course_id=course.id).status_code == 204
    booked = booking.sync(client=delegate, course_id=course.id)
    assert isinstance(booked, models.BookingOut), booked
    assert (booked.status, booked.position) == ("confirmed", None)
