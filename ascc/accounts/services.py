"""Accounts: sign-up, e-mail verification, sign-in, password reset, roles and API tokens."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from ascc import clock
from ascc.accounts.models import LANGUAGES, ROLES, AccountToken, ApiToken, User
from ascc.db import rows_changed
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.i18n import is_country
from ascc.mail import services as mail
from ascc.organizations import services as organizations
from ascc.text import (
    FieldError,
    check_password,
    collect,
    email_key,
    fold_name,
    latin_name,
    like_pattern,
    normalize_email,
    optional_line,
)

__all__ = ["LANGUAGES", "ROLES", "ApiToken", "SignUpInput", "User"]

VERIFY_LINK_HOURS = 48
RESET_LINK_HOURS = 2

_hasher = PasswordHasher()
# Checking this hash costs as much as a real one: unknown addresses take as long as wrong passwords.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class SignUpInput:
    email: str
    password: str
    name_latin: str
    name_local: str | None = None
    organization: str | None = None
    country: str | None = None
    preferred_lang: str = "en"
    organization_kind: str | None = (
        None  # what the person says their organization is (organizations.ORGANIZATION_KINDS)
    )


def _validate_profile(
    errors: dict,
    name_latin: str,
    name_local: str | None,
    organization: str | None,
    country: str | None,
    lang: str,
) -> tuple:
    name_latin = collect(errors, latin_name, "name_latin", name_latin)
    name_local = collect(errors, optional_line, "name_local", name_local)
    organization = collect(errors, optional_line, "organization", organization)
    country = (country or "").strip().upper() or None
    if country and not is_country(country):
        errors["country"] = ("error.country_invalid", {})
    if lang not in LANGUAGES:
        errors["preferred_lang"] = ("error.choice_invalid", {})
    return name_latin, name_local, organization, country


def _check_kind(errors: dict, kind: str | None) -> None:
    if kind and kind not in organizations.ORGANIZATION_KINDS:
        errors["organization_kind"] = ("error.choice_invalid", {})


async def sign_up(session: AsyncSession, data: SignUpInput, base_url: str) -> User:
    """Create an unverified account and mail the verification link. Nothing is stored if a field is wrong."""
    errors: dict = {}
    email = collect(errors, normalize_email, "email", data.email)
    collect(errors, check_password, "password", data.password)
    name_latin, name_local, organization_name, country = _validate_profile(
        errors, data.name_latin, data.name_local, data.organization, data.country, data.preferred_lang
    )
    if email and await find_by_email(session, email):
        errors["email"] = ("error.email_taken", {})
    _check_kind(errors, data.organization_kind)
    if errors:
        raise ValidationFailed(errors)
    organization = (
        await organizations.find_or_create(session, organization_name, country, data.organization_kind)
        if organization_name
        else None
    )
    user = User(
        email=email,
        email_key=email_key(email),
        password_hash=hash_password(data.password),
        name_latin=name_latin,
        name_local=name_local,
        organization_id=organization.id if organization else None,
        country=country,
        preferred_lang=data.preferred_lang,
        role="delegate",
        is_active=True,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same address won the race
        raise ValidationFailed({"email": ("error.email_taken", {})}) from exc
    await send_verification(session, user, base_url)
    return user


async def _issue_link(session: AsyncSession, user: User, purpose: str, hours: int) -> str:
    raw = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_sha256(raw),
            expires_at=clock.now() + timedelta(hours=hours),
        )
    )
    await session.flush()
    return raw


async def password_link(session: AsyncSession, user: User, base_url: str, hours: int) -> str:
    """A link to choose a password (the reset page), for an account someone else made for the person: following
    it proves the address too."""
    return f"{base_url}/password/reset/{await _issue_link(session, user, 'reset', hours)}"


async def send_verification(session: AsyncSession, user: User, base_url: str) -> None:
    raw = await _issue_link(session, user, "verify", VERIFY_LINK_HOURS)
    await mail.queue_mail(
        session,
        to=user.email,
        name=user.name_latin,
        lang=user.preferred_lang,
        kind="verify_email",
        context={"name": user.name_latin, "link": f"{base_url}/verify/{raw}", "hours": VERIFY_LINK_HOURS},
    )


async def _use_link(session: AsyncSession, raw: str, purpose: str) -> AccountToken:
    """The link's record, locked against a second use; a clear error when it is unknown, used or expired."""
    token = await session.scalar(
        select(AccountToken)
        .where(AccountToken.token_hash == _sha256(raw or ""), AccountToken.purpose == purpose)
        .options(joinedload(AccountToken.user))
    )
    if token is None:
        raise DomainError("error.link_invalid", "link_invalid")
    if token.used_at is not None:
        raise DomainError("error.link_used", "link_used")
    if token.expires_at < clock.now():
        raise DomainError("error.link_expired", "link_expired")
    # Conditional update: of two simultaneous uses only one succeeds.
    used = await rows_changed(
        session,
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=clock.now()),
    )
    if used != 1:
        raise DomainError("error.link_used", "link_used")
    return token


async def verify_email(session: AsyncSession, raw: str) -> User:
    token = await _use_link(session, raw, "verify")
    user = token.user
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
    await session.flush()
    return user


async def resend_verification(session: AsyncSession, email: str, base_url: str) -> None:
    """Always answers the same way, so the form does not reveal who has an account."""
    user = await _find_quietly(session, email)
    if user and user.email_verified_at is None and user.is_active:
        await send_verification(session, user, base_url)


async def request_password_reset(session: AsyncSession, email: str, base_url: str) -> None:
    user = await _find_quietly(session, email)
    if user and user.is_active:
        raw = await _issue_link(session, user, "reset", RESET_LINK_HOURS)
        await mail.queue_mail(
            session,
            to=user.email,
            name=user.name_latin,
            lang=user.preferred_lang,
            kind="password_reset",
            context={
                "name": user.name_latin,
                "link": f"{base_url}/password/reset/{raw}",
                "hours": RESET_LINK_HOURS,
            },
        )


async def check_reset_link(session: AsyncSession, raw: str) -> None:
    token = await session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _sha256(raw or ""), AccountToken.purpose == "reset"
        )
    )
    if token is None:
        raise DomainError("error.link_invalid", "link_invalid")
    if token.used_at is not None:
        raise DomainError("error.link_used", "link_used")
    if token.expires_at < clock.now():
        raise DomainError("error.link_expired", "link_expired")


async def reset_password(session: AsyncSession, raw: str, new_password: str) -> User:
    try:
        check_password("password", new_password)
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc
    token = await _use_link(session, raw, "reset")
    user = token.user
    user.password_hash = hash_password(new_password)
    # Sessions signed in before this moment stop working (see session_user).
    user.password_changed_at = clock.now()
    # Whoever knew the old password may have made tokens with it.
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    # Following the link proves the address, too.
    user.email_verified_at = user.email_verified_at or clock.now()
    await session.flush()
    return user


async def _find_quietly(session: AsyncSession, email: str) -> User | None:
    try:
        return await find_by_email(session, normalize_email("email", email))
    except FieldError:
        return None


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email_key == email_key(email)))


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The user, or one message for both an unknown address and a wrong password."""
    user = await _find_quietly(session, email)
    # Argon2 keeps a core busy for a tenth of a second or more: in a thread (it releases the GIL), so that a
    # morning rush of sign-ins does not stall every other request of the worker meanwhile.
    if user is None or not user.is_active:
        await asyncio.to_thread(password_matches, _DUMMY_HASH, password or "")
        raise DomainError("error.login_failed", "login_failed", status=401)
    if not await asyncio.to_thread(password_matches, user.password_hash, password or ""):
        raise DomainError("error.login_failed", "login_failed", status=401)
    if user.email_verified_at is None:
        raise DomainError("error.email_unverified", "email_unverified", status=403)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    user.last_login_at = clock.now()
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.scalar(select(User).where(User.id == user_id).options(joinedload(User.organization)))
    if user is None:
        raise NotFound("user")
    return user


async def get_users(session: AsyncSession, user_ids: list[int]) -> list[User]:
    """Several people at once (for mailing them), active accounts only."""
    if not user_ids:
        return []
    rows = await session.scalars(
        select(User).where(User.id.in_(user_ids), User.is_active.is_(True)).order_by(User.id)
    )
    return list(rows.all())


async def is_active(session: AsyncSession, user_id: int) -> bool:
    return bool(await session.scalar(select(User.is_active).where(User.id == user_id)))


async def organization_names(session: AsyncSession, user_ids: list[int]) -> dict[int, str]:
    """The English name of each person's organization (people without one are left out)."""
    if not user_ids:
        return {}
    rows = await session.scalars(
        select(User).where(User.id.in_(set(user_ids))).options(joinedload(User.organization))
    )
    return {user.id: user.organization.name_en for user in rows.all() if user.organization}


@dataclass
class ProfileInput:
    name_latin: str
    name_local: str | None = None
    organization: str | None = None
    country: str | None = None
    preferred_lang: str = "en"
    organization_kind: str | None = None


async def update_profile(session: AsyncSession, user_id: int, data: ProfileInput) -> User:
    errors: dict = {}
    name_latin, name_local, organization_name, country = _validate_profile(
        errors, data.name_latin, data.name_local, data.organization, data.country, data.preferred_lang
    )
    _check_kind(errors, data.organization_kind)
    if errors:
        raise ValidationFailed(errors)
    user = await get_user(session, user_id)
    organization = (
        await organizations.find_or_create(session, organization_name, country, data.organization_kind)
        if organization_name
        else None
    )
    user.name_latin = name_latin
    user.name_local = name_local
    user.organization = organization
    user.country = country
    user.preferred_lang = data.preferred_lang
    await session.flush()
    return user


async def set_preferred_lang(session: AsyncSession, user_id: int, lang: str) -> None:
    if lang in LANGUAGES:
        await session.execute(update(User).where(User.id == user_id).values(preferred_lang=lang))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    role: str,
    password: str,
    name_latin: str,
    name_local: str | None = None,
    organization_id: int | None = None,
    country: str | None = None,
    preferred_lang: str = "en",
    verified: bool = True,
    password_hash: str | None = None,
) -> User:
    """An account made by an operator (CLI, seed): verified at once.

    `password_hash` lets the seed hash the shared demo password once instead of 200 times.
    """
    errors: dict = {}
    email = collect(errors, normalize_email, "email", email)
    collect(errors, check_password, "password", password)
    if role not in ROLES:
        errors["role"] = ("error.choice_invalid", {})
    name_latin, name_local, _, country = _validate_profile(
        errors, name_latin, name_local, None, country, preferred_lang
    )
    if email and await find_by_email(session, email):
        errors["email"] = ("error.email_taken", {})
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        email_key=email_key(email),
        password_hash=password_hash or hash_password(password),
        name_latin=name_latin,
        name_local=name_local,
        organization_id=organization_id,
        country=country,
        preferred_lang=preferred_lang,
        role=role,
        is_active=True,
        email_verified_at=clock.now() if verified else None,
    )
    session.add(user)
    await session.flush()
    return user


async def set_role(session: AsyncSession, user_id: int, role: str) -> User:
    if role not in ROLES:
        raise ValidationFailed({"role": ("error.choice_invalid", {})})
    user = await get_user(session, user_id)
    if user.role == "organizer" and role != "organizer":
        organizers = await session.scalar(
            select(func.count()).where(User.role == "organizer", User.is_active.is_(True))
        )
        if (organizers or 0) <= 1:
            raise DomainError("error.last_organizer", "last_organizer", field="role", status=409)
    user.role = role
    await session.flush()
    return user


def name_matches(query: str) -> ColumnElement[bool]:
    """The account's names contain `query`, folded alike (ascc.text.fold_name): "nguyen" finds Nguyễn,
    "dang" finds Đặng, on SQLite and PostgreSQL the same. Every name search uses this."""
    return User.name_folded.like(like_pattern(fold_name(query)), escape="\\")


async def list_users(
    session: AsyncSession,
    query: str | None = None,
    role: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[User], int]:
    statement = select(User)
    if query:
        like = like_pattern(query)
        statement = statement.where(
            or_(
                name_matches(query),
                User.email.ilike(like, escape="\\"),
            )
        )
    if role in ROLES:
        statement = statement.where(User.role == role)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = await session.scalars(
        statement.options(joinedload(User.organization)).order_by(User.name_latin).limit(limit).offset(offset)
    )
    return list(rows.all()), total


async def anonymize(session: AsyncSession, user_id: int) -> None:
    """Remove the person from the account: it cannot sign in again, and nothing names them."""
    user = await get_user(session, user_id)
    address = f"deleted-{user.id}@deleted.invalid"
    user.email, user.email_key = address, address
    user.name_latin, user.name_local = "Deleted participant", None
    user.organization, user.country = None, None
    user.password_hash = "!"  # matches no password
    user.is_active = False
    await session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    await session.flush()


# --- API tokens -------------------------------------------------------------------------------------------

TOKEN_PREFIX = "ascc_"


async def create_api_token(
    session: AsyncSession, user_id: int, name: str = "API token"
) -> tuple[str, ApiToken]:
    """A new token; the raw value is returned once and never stored."""
    try:
        name = optional_line("name", name, 100) or ""
        if not name:
            raise FieldError("name", "error.required")
    except FieldError as exc:
        raise ValidationFailed({exc.field: (exc.key, exc.params)}) from exc
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, prefix=raw[:12], token_hash=_sha256(raw))
    session.add(token)
    await session.flush()
    return raw, token


TOKEN_TOUCH_MINUTES = 5


async def api_token(session: AsyncSession, raw: str) -> ApiToken | None:
    """The live token (with its active owner) for a raw Bearer value. Reads only."""
    token = await session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _sha256(raw), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user).joinedload(User.organization))
    )
    return token if token is not None and token.user.is_active else None


async def user_for_api_token(session: AsyncSession, raw: str) -> User | None:
    token = await api_token(session, raw)
    return token.user if token else None


def needs_touch(token: ApiToken) -> bool:
    """`last_used_at` is kept to within a few minutes, so busy clients do not write on every call."""
    return token.last_used_at is None or clock.now() - token.last_used_at > timedelta(
        minutes=TOKEN_TOUCH_MINUTES
    )


async def touch_api_token(session: AsyncSession, token_id: int) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now()))


async def list_api_tokens(session: AsyncSession, user_id: int) -> list[ApiToken]:
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    )
    return list(rows.all())


async def revoke_api_token(session: AsyncSession, user_id: int | None, token_id: int) -> None:
    """Revoke one token; `user_id` None lets an operator revoke anyone's."""
    token = await session.get(ApiToken, token_id)
    if token is None or (user_id is not None and token.user_id != user_id):
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    await session.flush()


async def revoke_api_tokens_by_prefix(session: AsyncSession, prefix: str) -> int:
    return await rows_changed(
        session,
        update(ApiToken)
        .where(ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now()),
    )
