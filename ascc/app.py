"""The only module that wires things: settings, database, stores, middleware, templates, routes."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts.auth import AuthMiddleware
from ascc.accounts.routes import AccountApi, AccountPages, MyAccountPages, UsersAdminPages
from ascc.api_contract import BEARER, SECURITY_SCHEMES, ApiContract
from ascc.audit.routes import AuditApi, AuditPages
from ascc.background import JOB_FUNCTIONS, JobContext, mail_and_reminders
from ascc.badges.api import BadgeApi
from ascc.badges.live import channels_plugin
from ascc.badges.organizer_routes import BadgeAdminPages
from ascc.badges.routes import BadgePages, CheckInOfflineWorker, CheckInPages, provide_badge_holder
from ascc.calendar.routes import CalendarApi, CalendarFiles, CalendarPages, ScheduleExports
from ascc.campaigns.organizer_routes import CampaignAdminPages
from ascc.campaigns.routes import MailPreferencePages, MyMailPages
from ascc.certificates.api import CertificateApi
from ascc.certificates.organizer_routes import CertificateAdminPages
from ascc.certificates.routes import CertificatePages, CertificateVerifyPages
from ascc.config import Settings
from ascc.db import create_engine, load_models
from ascc.editions.routes import (
    EditionAdminPages,
    EditionApi,
    EditionPages,
    provide_current_edition,
    provide_current_edition_if_any,
)
from ascc.error_handlers import (
    bad_input_handler,
    domain_error_handler,
    http_exception_handler,
    internal_error_handler,
)
from ascc.errors import DomainError
from ascc.exhibitors import services as exhibitors
from ascc.exhibitors.api import MarketplaceApi
from ascc.exhibitors.directory import DirectoryState
from ascc.exhibitors.exhibitor_routes import ExhibitorPages
from ascc.exhibitors.organizer_routes import ExhibitorAdminPages
from ascc.exhibitors.routes import (
    MarketplacePages,
    MyScansPages,
    NeedPages,
    directory_version,
    provide_own_exhibitor,
)
from ascc.front_cache import FrontCacheMiddleware, Store
from ascc.input_checks import BadInputMiddleware
from ascc.jobs import make_jobs
from ascc.lifecycle.routes import NextEditionPages
from ascc.mail.routes import OutboxPages
from ascc.matching.api import MatchingApi
from ascc.matching.organizer_routes import MatchingAdminPages
from ascc.matching.routes import MatchingPages, provide_agenda_meetings
from ascc.messages.api import MessagesApi
from ascc.messages.organizer_routes import MessageAdminPages
from ascc.messages.routes import MessagePages
from ascc.network.organizer_routes import NetworkAdminPages
from ascc.network.routes import NetworkPages, provide_network_opt_in
from ascc.online.api import OnlineApi
from ascc.online.organizer_routes import OnlineAdminPages
from ascc.online.routes import OnlinePages, provide_room_link, provide_streamed_channels
from ascc.organizations.routes import OrganizationAdminPages, OrganizationApi
from ascc.privacy.organizer_routes import PrivacyAdminPages
from ascc.privacy.routes import MyDataPages, PrivacyPages, provide_privacy_version
from ascc.programme import editing as programme_editing
from ascc.programme import materials as programme_materials
from ascc.programme.api import MyAgendaApi, ProgrammeApi
from ascc.programme.feedback_routes import FeedbackAdminPages, FeedbackApi, FeedbackPages
from ascc.programme.organizer_routes import ProgrammeAdminPages
from ascc.programme.routes import MyAgendaPages, ProgrammePages, session_visitor_version, visitor_version
from ascc.programme.services import ScheduleCache, ShortLived
from ascc.registration import bulk_import
from ascc.registration.api import RegistrationApi
from ascc.registration.delegation_routes import DelegationPages
from ascc.registration.import_api import DelegationMemberApi, ImportApi
from ascc.registration.import_routes import ImportPages
from ascc.registration.on_behalf_routes import RegisterPersonPages
from ascc.registration.organizer_routes import (
    RegistrationAdminApi,
    RegistrationAdminPages,
    RegistrationSettingsPages,
)
from ascc.registration.routes import InvitationPages, RegistrationPages
from ascc.registration.visa_organizer_routes import (
    MyVisaLetterApi,
    VisaLetterApi,
    VisaQueuePages,
    VisaVerifyApi,
)
from ascc.registration.visa_routes import VerifyPages, VisaPages
from ascc.reports.routes import DashboardPages, ReportPages, ReportsApi
from ascc.reports.services import DashboardCache
from ascc.security import (
    BearerAwareCSRFMiddleware,
    SessionCookieConfig,
    is_rate_limited,
    security_headers_hook,
)
from ascc.site.assets import AssetCache
from ascc.site.routes import AppShell, HealthApi, SitePages, StaticAssets
from ascc.stores import stores
from ascc.tours.api import TourApi
from ascc.tours.organizer_routes import TourAdminPages
from ascc.tours.routes import TourPages
from ascc.web import FragmentCache, engine_callback, request_lang
from ascc.webhooks.exhibitor_routes import ExhibitorWebhookPages
from ascc.webhooks.organizer_routes import WebhookAdminPages

log = logging.getLogger("ascc")

ROUTE_HANDLERS: list[Any] = [
    SitePages,
    StaticAssets,
    AppShell,
    HealthApi,
    AccountPages,
    MyAccountPages,
    UsersAdminPages,
    AccountApi,
    EditionPages,
    EditionAdminPages,
    NextEditionPages,
    EditionApi,
    OrganizationAdminPages,
    OrganizationApi,
    OutboxPages,
    RegistrationPages,
    InvitationPages,
    DelegationPages,
    RegistrationApi,
    RegistrationAdminPages,
    RegistrationSettingsPages,
    RegisterPersonPages,
    ImportPages,
    ImportApi,
    DelegationMemberApi,
    VisaPages,
    VerifyPages,
    VisaQueuePages,
    MyVisaLetterApi,
    VisaLetterApi,
    VisaVerifyApi,
    RegistrationAdminApi,
    ProgrammePages,
    MyAgendaPages,
    ProgrammeApi,
    MyAgendaApi,
    ProgrammeAdminPages,
    FeedbackPages,
    FeedbackAdminPages,
    FeedbackApi,
    TourPages,
    TourAdminPages,
    TourApi,
    MarketplacePages,
    NeedPages,
    MyScansPages,
    ExhibitorPages,
    ExhibitorAdminPages,
    MarketplaceApi,
    MatchingPages,
    MatchingAdminPages,
    MatchingApi,
    BadgePages,
    CheckInPages,
    CheckInOfflineWorker,
    BadgeAdminPages,
    BadgeApi,
    CertificatePages,
    CertificateVerifyPages,
    CertificateAdminPages,
    CertificateApi,
    CalendarFiles,
    ScheduleExports,
    CalendarPages,
    CalendarApi,
    DashboardPages,
    ReportPages,
    ReportsApi,
    OnlinePages,
    OnlineApi,
    OnlineAdminPages,
    NetworkPages,
    NetworkAdminPages,
    MessagePages,
    MessageAdminPages,
    MessagesApi,
    CampaignAdminPages,
    MailPreferencePages,
    MyMailPages,
    PrivacyPages,
    MyDataPages,
    PrivacyAdminPages,
    AuditPages,
    AuditApi,
    WebhookAdminPages,
    ExhibitorWebhookPages,
]

# Imports between domains go one way (pyproject.toml's layers contract). Where a page of a domain shows or
# does something of a domain built on it, it declares a named dependency and gets it from here.
DEPENDENCIES = {
    "current_edition": Provide(provide_current_edition),  # pages and API of this year's edition (404 without)
    "current_edition_if_any": Provide(provide_current_edition_if_any),  # the audit log's pages (their zone)
    "privacy_version": Provide(provide_privacy_version),  # registering records the notice in effect
    "network_opt_in": Provide(provide_network_opt_in, sync_to_thread=False),  # the registration form
    "streamed_channels": Provide(provide_streamed_channels, sync_to_thread=False),  # a session's page
    "room_link": Provide(provide_room_link, sync_to_thread=False),  # joining a business meeting online
    "agenda_meetings": Provide(provide_agenda_meetings, sync_to_thread=False),  # my agenda's meetings
    "own_exhibitor": Provide(provide_own_exhibitor),  # an exhibitor's own webhook page (its admins only)
    "badge_holder": Provide(provide_badge_holder, sync_to_thread=False),  # exhibitors' lead scanning
}

# What the answers of the routes marked `cacheable(name)` depend on, by name (ascc.front_cache): each reads
# the worker's own caches. The home page shows the edition and where it stands today, as the programme does.
FRONT_VERSIONS = {
    "programme": visitor_version,  # home, agenda, speakers, schedule.json/.xml, program.ics
    "session": session_visitor_version,  # a session's page (and its seats: the handler says until when)
    "directory": directory_version,  # the marketplace directory
}

# The size limit of each kind of upload field, for templates: stated beside the field, and checked by the
# browser before it sends (`upload_limit("brochure")`, the `upload_attrs` macro; ascc/uploads.py).
UPLOAD_LIMITS = {
    "logo": exhibitors.LOGO_MAX_BYTES,
    "brochure": exhibitors.BROCHURE_MAX_BYTES,
    "photo": programme_editing.PHOTO_MAX_BYTES,
    "material": programme_materials.MATERIAL_MAX_BYTES,
    "registration_list": bulk_import.MAX_BYTES,
}


def _configure_templates(debug: bool) -> Callable[[JinjaTemplateEngine], None]:
    configure = engine_callback(debug)

    def callback(engine: JinjaTemplateEngine) -> None:
        configure(engine)
        engine.engine.globals["upload_limit"] = UPLOAD_LIMITS.__getitem__

    return callback


# Paths that need no user and no session: answered before the auth middleware looks at anything.
# A calendar feed is addressed by its secret token; calendar apps send no cookies.
_ANONYMOUS_PATHS = [
    "^/static/",
    "^/favicon\\.ico$",
    "^/manifest\\.webmanifest$",
    "^/sw\\.js$",
    "^/health(/live|/ready)?$",
    "^/schema",
    "^/calendar/feed/",
]


def _freeze_startup_objects() -> None:
    """Move what start-up built (modules, routes, templates) out of the garbage collector's sight.

    A full collection otherwise walks those hundreds of thousands of objects again and again, and each
    walk is a pause of tens of milliseconds in every request that is in flight: the p99 of the agenda.
    """
    gc.collect()
    gc.freeze()


async def _set_request_language(request: Request) -> None:
    # A coroutine: Litestar runs a plain function hook in a worker thread, a round trip per request.
    request_lang(request)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    settings.check_production()  # https with the public development secret: refused
    load_models()

    engine = create_engine(settings.database_url)
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # Plain "autocommit" silently drops the writes of a POST answered with a redirect.
        before_send_handler="autocommit_include_redirects",
        create_all=False,  # the schema belongs to the migrations
    )
    secret = hashlib.sha256(settings.secret_key.encode()).digest()
    session_config = SessionCookieConfig(
        secret=secret,
        key="ascc_session",
        max_age=14 * 24 * 3600,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        exclude=_ANONYMOUS_PATHS,
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="ascc_csrf",
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        # Mail programs post the one-click unsubscribe (RFC 8058) without a CSRF token; its signed URL is the proof.
        # The public exports hold no form: no CSRF cookie on an answer that shared caches may keep.
        exclude=[
            "^/health$",
            "^/static/",
            "^/mail/unsubscribe/",
            "^/schedule\\.(json|xml)$",
            "^/calendar/program\\.ics$",
        ],
    )
    rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        check_throttle_handler=is_rate_limited,
        exclude=["^/static/"],
        store="rate_limit",
    )
    templates = TemplateConfig(
        directory=settings.templates_dir,
        engine=JinjaTemplateEngine,
        engine_callback=_configure_templates(settings.debug),
    )

    session_maker = async_sessionmaker(engine, expire_on_commit=False)
    front_store = Store()
    front_store.enabled = os.environ.get("ASCC_FRONT_CACHE", "on") != "off"  # off: to measure without it
    jobs = make_jobs(JOB_FUNCTIONS, JobContext(settings, session_maker), settings.redis_url)

    @asynccontextmanager
    async def background_work(app: Litestar) -> AsyncIterator[None]:
        """With Redis, `ascc worker` delivers mail and reminders and runs the queued jobs; otherwise this
        worker does, and lets its running jobs finish at shutdown."""
        try:
            if settings.redis_url:
                yield
            else:
                async with mail_and_reminders(settings):
                    yield
        finally:
            await jobs.drain()
            await jobs.close()

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        dependencies=DEPENDENCIES,
        plugins=[
            SQLAlchemyPlugin(config=db_config),
            HTMXPlugin(),
            channels_plugin(settings.redis_url),
            ApiContract(),  # every answer of each operation, and who may call it, in the OpenAPI document
        ],
        request_class=HTMXRequest,
        middleware=[
            # Anonymous GETs of the public pages and exports, from the answer kept for their version (before
            # any other middleware; signed-in people and API tokens pass through).
            DefineMiddleware(FrontCacheMiddleware, versions=FRONT_VERSIONS, csrf=csrf_config),
            rate_limit.middleware,
            session_config.middleware,
            # Every method is authenticated, OPTIONS too: Litestar's automatic OPTIONS handler inherits its
            # controller's guards, which read request.user (unset for an excluded method: a 500).
            DefineMiddleware(
                AuthMiddleware, db_config=db_config, exclude=_ANONYMOUS_PATHS, exclude_http_methods=()
            ),
            # NUL, lone surrogates, integers beyond 64 bits in the path or query: a 400 naming the parameter.
            BadInputMiddleware,
            DefineMiddleware(BearerAwareCSRFMiddleware, config=csrf_config),
        ],
        before_request=_set_request_language,
        before_send=[security_headers_hook(hsts=settings.secure_cookies)],
        template_config=templates,
        stores=stores(settings.redis_url),
        lifespan=[background_work],
        on_startup=[_freeze_startup_objects],
        exception_handlers={
            DomainError: domain_error_handler,
            HTTPException: http_exception_handler,
            OverflowError: bad_input_handler,
            DataError: bad_input_handler,  # the database refused a value (SQLSTATE class 22): never a 500
            RecursionError: bad_input_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(
            title="ASCC platform API",
            # The HTML viewers load scripts from CDNs, which our CSP forbids; the JSON and YAML are what clients use.
            render_plugins=[JsonRenderPlugin()],
            version="1.0.0",
            path="/schema",
            description="The JSON API of the Asia Smart City Conference platform. "
            "Authenticate with `Authorization: Bearer <token>` (`ascc tokens create EMAIL`). "
            "Every error answer has one body: `status_code`, a stable `error` code, `detail` in the "
            "reader's language, and `field` and `extra` when fields are at fault.",
            components=Components(security_schemes=SECURITY_SCHEMES),
            security=[{BEARER: []}],  # public operations say `security: []` (ascc.api_contract)
        ),
        state=State(
            {
                "settings": settings,
                "assets": AssetCache(settings.static_dir, reload=settings.debug),
                # The published programme and its rendered agenda, per worker (see programme.services).
                "schedule_cache": ScheduleCache(async_sessionmaker(engine, expire_on_commit=False)),
                "agenda_fragments": FragmentCache(),
                # Session pages as visitors see them, their seats and materials re-read at most every 2 s.
                "visitor_pages": ShortLived(),
                # Whole anonymous answers of the routes marked cacheable(...) (see ascc.front_cache).
                "front_cache": front_store,
                # The marketplace's version and its rendered directory results (see exhibitors.directory).
                "directory_state": DirectoryState(async_sessionmaker(engine, expire_on_commit=False)),
                "directory_fragments": FragmentCache(),
                # The dashboard's figures, counted at most every few seconds per worker (see reports.services).
                "dashboard_cache": DashboardCache(),
                # schedule.json, schedule.xml and program.ics of each release (see calendar.routes).
                "calendar_exports": FragmentCache(size=16),
                # Background work (scheduler runs) and the sessions it opens outside of requests.
                "jobs": jobs,
                "session_maker": session_maker,
            }
        ),
        debug=settings.debug,
    )
    return app
