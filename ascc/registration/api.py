"""The registration API: my registration in the current edition (participants)."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body

from ascc.editions import services as editions
from ascc.registration import consents, registering
from ascc.registration import services as registration
from ascc.registration.routes import PrivacyVersion, base_url, mine_or_404
from ascc.security import requires_login
from ascc.web import DbSession

# The current edition, or a 404 when there is none (app.DEPENDENCIES).
CurrentEdition = NamedDependency[editions.Edition]


class RegistrationOut(msgspec.Struct):
    reference: str
    edition: str
    status: str
    mode: str
    category: str
    organization: str | None
    position: str | None
    country: str | None
    city: str | None
    interpretation: str
    waiting_position: int | None
    consents: dict[str, bool]


class RegistrationIn(msgspec.Struct, forbid_unknown_fields=True):
    mode: str
    category: str
    privacy_accepted: bool
    organization: str | None = None
    position: str | None = None
    country: str | None = None
    city: str | None = None
    interpretation: str = "none"
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
    db_session: DbSession, edition: editions.Edition, r: Any, positions: dict[str, int] | None = None
) -> RegistrationOut:
    """`positions` (holder -> place in the queue) lets a list answer without a query per waiting person."""
    return RegistrationOut(
        reference=r.reference,
        edition=edition.slug,
        status=r.status,
        mode=r.mode,
        category=r.category,
        organization=r.organization.name_en if r.organization else None,
        position=r.position,
        country=r.country,
        city=r.city,
        interpretation=r.interpretation,
        waiting_position=(positions or {}).get(registration.holder(r.id))
        if positions is not None
        else await registration.waiting_position(db_session, r),
        consents={name.removeprefix("consent_"): getattr(r, name) for name in consents.CONSENTS},
    )


class RegistrationApi(Controller):
    path = "/api/v1/registrations/me"
    guards = [requires_login]
    tags = ["registration"]

    @get("/", summary="My registration in the current edition")
    async def mine(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> RegistrationOut:
        mine = await mine_or_404(request, db_session, current_edition)
        return await registration_out(db_session, current_edition, mine)

    @post(
        "/", summary="Register for the current edition (201: confirmed, waiting or pending)", status_code=201
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
        return await registration_out(db_session, current_edition, created)

    @post("/cancel", summary="Cancel my registration (the next person waiting is promoted)", status_code=200)
    async def cancel(
        self, request: Request, db_session: DbSession, current_edition: CurrentEdition
    ) -> RegistrationOut:
        mine = await mine_or_404(request, db_session, current_edition)
        await registering.cancel(db_session, mine, base_url(request))
        return await registration_out(db_session, current_edition, mine)
