"""Accounts on SQLite and PostgreSQL: sign-up, verification, sign-in, reset, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ascc.accounts import services as accounts
from ascc.accounts import sessions
from ascc.accounts.models import AccountToken, ApiToken, User
from ascc.errors import DomainError, ValidationFailed
from ascc.mail import services as mail
from tests.factories import PASSWORD, make_user
from tests.support.web import link_in

BASE = "https://ascc.example.org"


def signup(email: str = "thu@example.org", **changes: object) -> accounts.SignUpInput:
    data = {
        "email": email,
        "password": "a good long password",
        "name_latin": "Nguyen Thi Minh Thu",
        "name_local": "Nguyễn Thị Minh Thư",
        "organization": "Da Nang City",
        "country": "VN",
        "preferred_lang": "en",
    }
    data.update(changes)
    return accounts.SignUpInput(**data)


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_sign_up_stores_unverified_account_and_mails_a_link(session) -> None:
    user = await accounts.sign_up(session, signup(), BASE)
    await session.commit()
    assert (user.email, user.role, user.email_verified_at) == ("thu@example.org", "delegate", None)
    assert user.name_local == "Nguyễn Thị Minh Thư"
    assert user.password_hash.startswith("$argon2")
    [message] = await mail.messages_to(session, "thu@example.org")
    assert message.status == "pending"
    assert link_in(message.body_text, "/verify/").startswith("/verify/")


async def test_sign_up_refuses_the_same_address_in_other_letter_case(session) -> None:
    await accounts.sign_up(session, signup("Thu@Example.org"), BASE)
    await session.commit()
    with pytest.raises(ValidationFailed) as refused:
        await accounts.sign_up(session, signup("THU@EXAMPLE.ORG"), BASE)
    assert refused.value.errors["email"][0] == "error.email_taken"


async def test_sign_up_with_bad_fields_stores_nothing(session) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await accounts.sign_up(
            session, signup("not-an-address", password="short", name_latin="x" * 10_000, country="XX"), BASE
        )
    assert set(refused.value.errors) == {"email", "password", "name_latin", "country"}
    await session.rollback()
    assert await count(session, User) == 0
    assert await count(session, AccountToken) == 0


async def test_sign_up_accepts_names_in_every_script(session, inputs) -> None:
    for index, person in enumerate(inputs["names"]):
        user = await accounts.sign_up(
            session,
            signup(
                f"p{index}@example.org",
                name_latin=person["latin"],
                name_local=person["local"],
                country=person["country"],
            ),
            BASE,
        )
        assert user.name_local == person["local"]
    await session.commit()
    stored = await session.scalar(select(User.name_local).where(User.email == "p4@example.org"))
    assert stored == inputs["names"][4]["local"]


async def test_sign_up_stores_hostile_strings_as_plain_text(session, inputs) -> None:
    for index, hostile in enumerate(s for s in inputs["hostile"] if s.strip()):
        await accounts.sign_up(
            session,
            signup(f"h{index}@example.org", name_local=hostile, organization=f"{hostile} {index}"),
            BASE,
        )
    await session.commit()
    names = set((await session.scalars(select(User.name_local))).all())
    assert "<script>alert(1)</script>" in names
    assert "{{ 7*7 }}" in names
    assert "xy" in names  # the NUL byte is dropped, the rest kept


async def test_latin_name_must_be_latin_script_and_invisible_names_are_empty(session) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await accounts.sign_up(session, signup(name_latin="佐藤 遥"), BASE)
    assert refused.value.errors["name_latin"][0] == "error.latin_only"
    with pytest.raises(ValidationFailed) as invisible:
        await accounts.sign_up(session, signup("z@example.org", name_latin="\u200b\u200b\u200b"), BASE)
    assert invisible.value.errors["name_latin"][0] == "error.required"
    user = await accounts.sign_up(session, signup("f@example.org", name_latin="Ｎｇｕｙｅｎ Thị Thư"), BASE)
    assert user.name_latin == "Nguyen Thị Thư"


async def test_password_of_spaces_is_refused(session) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await accounts.sign_up(session, signup(password=" " * 12), BASE)
    assert refused.value.errors["password"][0] == "error.password_short"


async def test_last_organizer_cannot_lose_the_role(session) -> None:
    boss = await make_user(session, "boss@example.org", role="organizer")
    with pytest.raises(DomainError) as refused:
        await accounts.set_role(session, boss.id, "delegate")
    assert refused.value.code == "last_organizer"
    await make_user(session, "deputy@example.org", role="organizer")
    assert (await accounts.set_role(session, boss.id, "delegate")).role == "delegate"


async def test_verification_link_works_once(session) -> None:
    await accounts.sign_up(session, signup(), BASE)
    [message] = await mail.messages_to(session, "thu@example.org")
    token = link_in(message.body_text, "/verify/").removeprefix("/verify/")
    user = await accounts.verify_email(session, token)
    assert user.email_verified_at is not None
    with pytest.raises(DomainError) as again:
        await accounts.verify_email(session, token)
    assert again.value.code == "link_used"


async def test_expired_verification_link_is_refused_and_a_new_one_can_be_sent(session, monkeypatch) -> None:
    await accounts.sign_up(session, signup(), BASE)
    [message] = await mail.messages_to(session, "thu@example.org")
    token = link_in(message.body_text, "/verify/").removeprefix("/verify/")
    later = accounts.clock.now() + timedelta(hours=accounts.VERIFY_LINK_HOURS + 1)
    monkeypatch.setenv("ASCC_NOW", later.isoformat())
    with pytest.raises(DomainError) as expired:
        await accounts.verify_email(session, token)
    assert expired.value.code == "link_expired"
    await accounts.resend_verification(session, "THU@example.org", BASE)
    assert len(await mail.messages_to(session, "thu@example.org")) == 2


async def test_unknown_address_and_wrong_password_get_the_same_answer(session) -> None:
    await make_user(session, "known@example.org")
    with pytest.raises(DomainError) as unknown:
        await accounts.authenticate(session, "nobody@example.org", PASSWORD)
    with pytest.raises(DomainError) as wrong:
        await accounts.authenticate(session, "known@example.org", "wrong password")
    assert (unknown.value.message, unknown.value.status_code) == (
        wrong.value.message,
        wrong.value.status_code,
    )


async def test_sign_in_needs_a_verified_address(session) -> None:
    await accounts.sign_up(session, signup(), BASE)
    with pytest.raises(DomainError) as refused:
        await accounts.authenticate(session, "thu@example.org", "a good long password")
    assert refused.value.code == "email_unverified"


async def test_sign_in_ignores_letter_case_of_the_address(session) -> None:
    await make_user(session, "Known@Example.org")
    user = await accounts.authenticate(session, "KNOWN@example.ORG", PASSWORD)
    assert user.email == "Known@example.org"


async def test_password_reset_changes_password_and_ends_older_sessions(session) -> None:
    user = await make_user(session, "reset@example.org")
    signed_in_before = accounts.clock.now().timestamp() - 60
    await accounts.request_password_reset(session, "reset@example.org", BASE)
    [message] = await mail.messages_to(session, "reset@example.org")
    token = link_in(message.body_text, "/password/reset/").removeprefix("/password/reset/")
    raw_api_token, _ = await accounts.create_api_token(session, user.id)
    await accounts.reset_password(session, token, "a brand new password")
    assert await sessions.session_user(session, user.id, signed_in_before) is None
    assert await accounts.user_for_api_token(session, raw_api_token) is None
    assert (await accounts.authenticate(session, "reset@example.org", "a brand new password")).id == user.id
    with pytest.raises(DomainError):
        await accounts.authenticate(session, "reset@example.org", PASSWORD)


async def test_password_reset_for_unknown_address_sends_nothing(session) -> None:
    await accounts.request_password_reset(session, "nobody@example.org", BASE)
    assert await mail.messages_to(session, "nobody@example.org") == []


async def test_api_token_is_stored_hashed_and_stops_working_when_revoked(session) -> None:
    user = await make_user(session, "api@example.org")
    raw, token = await accounts.create_api_token(session, user.id, "scanner")
    stored = await session.scalar(select(ApiToken.token_hash).where(ApiToken.id == token.id))
    assert raw not in stored and raw.startswith("ascc_")
    assert (await accounts.user_for_api_token(session, raw)).id == user.id
    await accounts.revoke_api_token(session, user.id, token.id)
    assert await accounts.user_for_api_token(session, raw) is None


async def test_api_token_of_another_person_cannot_be_revoked(session) -> None:
    owner = await make_user(session, "owner@example.org")
    other = await make_user(session, "other@example.org")
    _, token = await accounts.create_api_token(session, owner.id)
    with pytest.raises(DomainError) as refused:
        await accounts.revoke_api_token(session, other.id, token.id)
    assert refused.value.status_code == 404


def test_production_hashes_passwords_with_the_recommended_argon2_parameters() -> None:
    """The suite hashes cheaply (tests/support/hashing.py); the application itself, in a fresh process, uses
    Argon2id with argon2-cffi's RFC 9106 parameters (64 MiB, 3 passes, 4 lanes)."""
    import subprocess
    import sys

    program = "from ascc.accounts.services import hash_password; print(hash_password('correct horse'))"
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().startswith("$argon2id$v=19$m=65536,t=3,p=4$")
