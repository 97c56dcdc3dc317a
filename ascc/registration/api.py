"""The registration API: my registration in the current edition (participants)."""

from collections.abc import Mapping
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body

from ascc.api_contract import errors
from ascc.editions import services as editions
from ascc.registration import consents, registering
from ascc.registration import services as registration
from ascc.registration.routes import PrivacyVersion, base_url, mine_or_404
from ascc.security import requires_login
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]

# Closed sets, as registration.models names them (tests/test_api_contract.py compares).
Mode = Literal["in_person", "online"]
Category = Literal[
    "city_official", "company", "international", "academia", "ngo", "press", "speaker", "organizer_staff"
]
Status = Literal["pending", "confirmed", "waiting", "rejected", "cancelled"]
Interpretation = Literal["none", "ja", "en"]  # the interpretation channel wanted
NO_REGISTRATION = {404: "`not_found`: I have no registration in the current edition"}


class RegistrationOut(msgspec.Struct):
    reference: str
    edition: str
    status: Status
    mode: Mode
    category: Category
    organization: str | None
    position: str | None
    country: str | None
    city: str | None
    interpretation: Interpretation
    waiting_position: int | None
    consents: dict[str, bool]


class RegistrationIn(msgspec.Struct, forbid_unknown_fields=True):
    mode: Mode
    category: Category
    privacy_accepted: bool
    organization: str | None = None
    position: str | None = None
    country: str | None = None
    city: str | None = None
    interpretation: Interpretation = "none"
    dietary: str | None = None
    accessibility: str | None = None
    interests: list[str] = msgspec.field(default_factory=list)
    answers: dict[str, str | list[str]] = msgspec.field(default_factory=dict)
    consent_directory: bool = False
    consent_scanning: bool = False
    consent_recommendations: bool = False
    consent_photos: bool = False
    code: str | None = None


async def registration_out(
    db_session: DbSession,
    edition: editions.Edition,
    r: Any,
    positions: Mapping[str, int | None] | None = None,
) -> RegistrationOut:
    """`positions` (holder -> place in the queue) lets a list answer without a query per waiting person."""
    return RegistrationOut(
        reference=r.reference,
        edition=edition.slug,
        status=cast(Status, r.status),
        mode=cast(Mode, r.mode),
        category=cast(Category, r.category),
        organization=r.organization.name_en if r.organization else None,
        position=r.position,
        country=r.country,
        city=r.city,
        interpretation=cast(Interpretation, r.interpretation),
        waiting_position=(positions or {}).get(registration.holder(r.id))
        if positions is not None
        else await registration.waiting_position(db_session, r),
        consents={name.removeprefix("consent_"): getattr(r, name) for name in consents.CONSENTS},
    )


class RegistrationApi(Controller):
    path = "/api/v1/registrations/me"
    guards = [requires_login]
    tags = ["registration"]

    @get("/", summary="My registration in the current edition", responses=errors(NO_REGISTRATION))
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> RegistrationOut:
        mine = await mine_or_404(request, db_session, current_edition)
        return await registration_out(db_session, current_edition, mine)

    @post(
        "/",
        summary="Register for the current edition (201: confirmed, waiting or pending)",
        status_code=201,
        responses=errors(
            {
                403: "`invite_foreign`: the invitation is someone else's",
                409: "`already_registered`; `registration_not_open` / `registration_closed`: outside the "
                "registration dates; `quota_full`: the organization's in-person seats are taken",
                422: "`invalid`: fields refused, each with its reason (`extra`)",
            }
        ),
    )
    async def register(
        self,
        request: Request,
        db_session: DbSession,
        current_edition: CurrentEdition,
        data: Annotated[RegistrationIn, Body()],
        privacy_version: PrivacyVersion,
    ) -> RegistrationOut:
        created = await registering.register(
            db_session,
            current_edition.id,
            request.user.id,
            registering.RegistrationInput(**msgspec.structs.asdict(data)),
            base_url(request),
            require_open=request.user.role != "organizer",  # outside the dates: 409 registration_closed
            privacy_version=privacy_version,
        )
        # The place in the queue as the claim found it, under the pool's lock: no second count of the queue.
        claimed = registration.positions_claimed(db_session)
        known = claimed if registration.holder(created.id) in claimed else None
        return await registration_out(db_session, current_edition, created, known)

    @post(
        "/cancel",
        summary="Cancel my registration (the next person waiting is promoted)",
        status_code=200,
        responses=errors({**NO_REGISTRATION, 409: "`not_active`: cancelled or refused already"}),
    )
    async def cancel(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> RegistrationOut:
        mine = await mine_or_404(request, db_session, current_edition)
        await registering.cancel(db_session, mine, base_url(request))
        return await registration_out(db_session, current_edition, mine)
