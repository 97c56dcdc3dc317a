"""Account pages (sign up, verify, sign in and out, password reset, my account) and the account API."""

from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from ascc.accounts import services as accounts
from ascc.accounts import sessions
from ascc.accounts.auth import sign_in
from ascc.api_contract import errors
from ascc.audit import services as audit
from ascc.errors import DomainError, ValidationFailed
from ascc.security import requires_login, requires_organizer, session_id, sign_out
from ascc.text import safe_next_path
from ascc.web import DbSession, form_errors, form_text, form_values, page

SIGNUP_FIELDS = (
    "email",
    "name_latin",
    "name_local",
    "organization",
    "organization_kind",
    "country",
    "preferred_lang",
)


class AccountPages(Controller):
    include_in_schema = False

    @get("/signup", name="accounts.signup")
    async def signup_form(self, request: Request) -> Template:
        return page(request, "accounts/signup.html", values={"preferred_lang": request.state.lang}, errors={})

    @post("/signup")
    async def signup(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        values = form_values(form, *SIGNUP_FIELDS)
        data = accounts.SignUpInput(password=form_text(form, "password"), **values)
        try:
            user = await accounts.sign_up(db_session, data, request.app.state.settings.base_url)
        except ValidationFailed as exc:
            await db_session.rollback()
            return page(
                request,
                "accounts/signup.html",
                status_code=422,
                values=values,
                errors=form_errors(request, exc),
            )
        return page(request, "accounts/check_mail.html", email=user.email)

    @get("/verify/{token:str}")
    async def verify(self, request: Request, db_session: DbSession, token: FromPath[str]) -> Template:
        try:
            user = await accounts.verify_email(db_session, token)
        except DomainError as exc:
            await db_session.rollback()
            return page(
                request,
                "accounts/link_problem.html",
                status_code=400,
                problem=exc.message,
                resend_url="/verify/resend",
            )
        return page(request, "accounts/verified.html", email=user.email)

    @get("/verify/resend")
    async def resend_form(self, request: Request) -> Template:
        return page(request, "accounts/email_form.html", purpose="verify", sent=False, values={})

    @post("/verify/resend")
    async def resend(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        await accounts.resend_verification(
            db_session, form_text(form, "email"), request.app.state.settings.base_url
        )
        return page(request, "accounts/email_form.html", purpose="verify", sent=True, values={})

    @get("/login", name="accounts.login")
    async def login_form(
        self, request: Request, next_: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Template | Redirect:
        if request.user:
            return Redirect(safe_next_path(next_, "/account"))
        return page(request, "accounts/login.html", values={}, error=None, next=safe_next_path(next_, ""))

    @post("/login")
    async def login(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await request.form()
        email, next_path = form_text(form, "email"), safe_next_path(form_text(form, "next"), "")
        try:
            user = await accounts.authenticate(db_session, email, form_text(form, "password"))
        except DomainError as exc:
            await db_session.rollback()
            return page(
                request,
                "accounts/login.html",
                status_code=exc.status_code,
                values={"email": email},
                error=exc.message,
                error_code=exc.code,
                next=next_path,
            )
        sign_in(request, user)
        if not request.cookies.get("ascc_lang"):
            request.state.lang = user.preferred_lang
        return Redirect(
            next_path or ("/organizer" if user.role == "organizer" else "/account"), status_code=303
        )

    @post("/logout")
    async def logout(self, request: Request, db_session: DbSession) -> Redirect:
        """This device only: two check-in phones on one account must not sign each other out."""
        if request.user is not None and request.scope.get("auth") == "session":
            await sessions.end_session(db_session, request.user.id, session_id(request))
        sign_out(request)
        return Redirect("/", status_code=303)

    @post("/logout/everywhere")
    async def logout_everywhere(self, request: Request, db_session: DbSession) -> Redirect:
        """Every session of the account, on every device (a lost phone, a shared computer)."""
        if request.user is not None:
            await sessions.end_all_sessions(db_session, request.user.id)
        sign_out(request)
        return Redirect("/", status_code=303)

    @get("/password/forgot")
    async def forgot_form(self, request: Request) -> Template:
        return page(request, "accounts/email_form.html", purpose="reset", sent=False, values={})

    @post("/password/forgot")
    async def forgot(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        await accounts.request_password_reset(
            db_session, form_text(form, "email"), request.app.state.settings.base_url
        )
        return page(request, "accounts/email_form.html", purpose="reset", sent=True, values={})

    @get("/password/reset/{token:str}")
    async def reset_form(self, request: Request, db_session: DbSession, token: FromPath[str]) -> Template:
        try:
            await accounts.check_reset_link(db_session, token)
        except DomainError as exc:
            return page(
                request,
                "accounts/link_problem.html",
                status_code=400,
                problem=exc.message,
                resend_url="/password/forgot",
            )
        return page(request, "accounts/reset.html", token=token, errors={})

    @post("/password/reset/{token:str}")
    async def reset(
        self, request: Request, db_session: DbSession, token: FromPath[str]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await accounts.reset_password(db_session, token, form_text(form, "password"))
        except ValidationFailed as exc:
            await db_session.rollback()
            return page(
                request, "accounts/reset.html", status_code=422, token=token, errors=form_errors(request, exc)
            )
        except DomainError as exc:
            await db_session.rollback()
            return page(
                request,
                "accounts/link_problem.html",
                status_code=400,
                problem=exc.message,
                resend_url="/password/forgot",
            )
        sign_out(request)
        return Redirect("/login?reset=1", status_code=303)


class MyAccountPages(Controller):
    path = "/account"
    guards = [requires_login]
    include_in_schema = False

    async def _render(
        self,
        request: Request,
        db_session: DbSession,
        *,
        status_code: int = 200,
        errors: dict | None = None,
        values: dict | None = None,
        new_token: str | None = None,
        saved: bool = False,
    ) -> Template:
        user = await accounts.get_user(db_session, request.user.id)
        tokens = await accounts.list_api_tokens(db_session, user.id)
        if values is None:
            values = {
                "name_latin": user.name_latin,
                "name_local": user.name_local or "",
                "organization": user.organization.name_en if user.organization else "",
                "organization_kind": user.organization.kind if user.organization else "",
                "country": user.country or "",
                "preferred_lang": user.preferred_lang,
            }
        return page(
            request,
            "accounts/account.html",
            status_code=status_code,
            account=user,
            tokens=tokens,
            values=values,
            errors=errors or {},
            new_token=new_token,
            saved=saved,
        )

    @get("/")
    async def show(self, request: Request, db_session: DbSession) -> Template:
        return await self._render(request, db_session)

    @post("/")
    async def save(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        values = form_values(
            form, "name_latin", "name_local", "organization", "organization_kind", "country", "preferred_lang"
        )
        try:
            await accounts.update_profile(db_session, request.user.id, accounts.ProfileInput(**values))
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(
                request, db_session, status_code=422, errors=form_errors(request, exc), values=values
            )
        return await self._render(request, db_session, saved=True)

    @post("/tokens")
    async def create_token(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        try:
            raw, _ = await accounts.create_api_token(
                db_session, request.user.id, form_text(form, "name") or "API token"
            )
        except ValidationFailed as exc:
            await db_session.rollback()
            return await self._render(request, db_session, status_code=422, errors=form_errors(request, exc))
        return await self._render(request, db_session, new_token=raw)

    @post("/tokens/{token_id:int}/revoke")
    async def revoke_token(
        self, request: Request, db_session: DbSession, token_id: FromPath[int]
    ) -> Redirect:
        await accounts.revoke_api_token(db_session, request.user.id, token_id)
        return Redirect("/account#tokens", status_code=303)


class UsersAdminPages(Controller):
    path = "/organizer/users"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def list_users(
        self,
        request: Request,
        db_session: DbSession,
        q: FromQuery[str | None] = None,
        role: FromQuery[str | None] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Template:
        per_page = 50
        users, total = await accounts.list_users(db_session, q, role, per_page, (page_number - 1) * per_page)
        return page(
            request,
            "organizer/users.html",
            users=users,
            total=total,
            q=q or "",
            role=role or "",
            roles=accounts.ROLES,
            page_number=page_number,
            pages=max(1, -(-total // per_page)),
        )

    @post("/{user_id:int}/role")
    async def change_role(self, request: Request, db_session: DbSession, user_id: FromPath[int]) -> Redirect:
        form = await request.form()
        before = (await accounts.get_user(db_session, user_id)).role
        user = await accounts.set_role(db_session, user_id, form_text(form, "role"))
        await audit.record(
            db_session,
            request.user,
            "user.role",
            "user",
            user.id,
            user.name_latin,
            before={"role": before},
            after={"role": user.role},
        )
        return Redirect("/organizer/users", status_code=303)


# --- JSON API ---------------------------------------------------------------------------------------------


# Closed sets of the API, as accounts.models and organizations.models name them (tests/test_api_contract.py).
Role = Literal["organizer", "checkin", "exhibitor", "delegate", "online"]
Language = Literal["en", "ja"]
OrganizationKind = Literal[
    "city", "government", "company", "international", "academia", "ngo", "press", "other"
]


class MeOut(msgspec.Struct):
    id: int
    email: str
    name_latin: str
    name_local: str | None
    role: Role
    preferred_lang: Language
    country: str | None
    organization: str | None
    email_verified: bool


class UserOut(msgspec.Struct):
    id: int
    email: str
    name_latin: str
    name_local: str | None
    role: Role
    country: str | None
    organization: str | None


class UserPage(msgspec.Struct):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent are changed; unknown fields are refused, not ignored."""

    name_latin: str | msgspec.UnsetType = msgspec.UNSET
    name_local: str | msgspec.UnsetType | None = msgspec.UNSET
    organization: str | msgspec.UnsetType | None = msgspec.UNSET
    country: str | msgspec.UnsetType | None = msgspec.UNSET
    preferred_lang: Language | msgspec.UnsetType = msgspec.UNSET
    # What the organization is, when it is new or not yet classified.
    organization_kind: OrganizationKind | msgspec.UnsetType | None = msgspec.UNSET


def _me(user: Any) -> MeOut:
    return MeOut(
        id=user.id,
        email=user.email,
        name_latin=user.name_latin,
        name_local=user.name_local,
        role=cast(Role, user.role),
        preferred_lang=cast(Language, user.preferred_lang),
        country=user.country,
        organization=user.organization.name_en if user.organization else None,
        email_verified=user.email_verified_at is not None,
    )


class AccountApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @get("/me", guards=[requires_login], summary="The signed-in person")
    async def me(self, request: Request, db_session: DbSession) -> MeOut:
        return _me(await accounts.get_user(db_session, request.user.id))

    @post(
        "/me",
        guards=[requires_login],
        summary="Update my profile",
        status_code=200,
        responses=errors({422: "`invalid`: fields refused, each with its reason (`extra`)"}),
    )
    async def update_me(
        self, request: Request, db_session: DbSession, data: Annotated[ProfileIn, Body()]
    ) -> MeOut:
        user = await accounts.get_user(db_session, request.user.id)
        current = {
            "name_latin": user.name_latin,
            "name_local": user.name_local,
            "organization": user.organization.name_en if user.organization else None,
            "country": user.country,
            "preferred_lang": user.preferred_lang,
        }
        sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        profile = accounts.ProfileInput(**{**current, **sent})
        return _me(await accounts.update_profile(db_session, request.user.id, profile))

    @get("/users", guards=[requires_organizer], summary="Accounts (organizers)")
    async def users(
        self,
        db_session: DbSession,
        q: FromQuery[str | None] = None,
        role: FromQuery[Role | None] = None,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> UserPage:
        limit = max(1, min(limit, 200))
        offset = max(0, offset)
        users, total = await accounts.list_users(db_session, q, role, limit, offset)
        items = [
            UserOut(
                id=u.id,
                email=u.email,
                name_latin=u.name_latin,
                name_local=u.name_local,
                role=cast(Role, u.role),
                country=u.country,
                organization=u.organization.name_en if u.organization else None,
            )
            for u in users
        ]
        return UserPage(items=items, total=total, limit=limit, offset=offset)
