"""The badge signing key at rest: sealed under ASCC_SECRET_KEY in the database, an existing plain key sealed by
the migration without changing it (printed badges keep verifying), and no https start without a real secret
or a key file."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import clock, db
from ascc.badges import keystore, signing
from ascc.badges import services as badges
from ascc.config import Settings, UnsafeConfiguration
from tests.factories import make_edition

BEFORE_SEALING = "0017"  # the revision before 0018 sealed the key


def _forms_of(key) -> list[bytes]:
    """Every way the private key could be written down: PEM, raw bytes, their base64 and hex."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return [
        signing.private_pem(key).encode(),
        b"PRIVATE KEY",
        raw,
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        raw.hex().encode(),
    ]


async def _stored(url: str) -> list[str]:
    engine = db.create_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("select private_key_sealed from badge_key"))).scalars().all()
    await engine.dispose()
    return list(rows)


def _badge(key, edition_id: int) -> str:
    now = clock.now()
    payload = signing.Payload(
        edition_id,
        "company",
        "in_person",
        signing.new_nonce(),
        now - timedelta(days=1),
        now + timedelta(days=9),
    )
    return signing.sign(payload, key)


async def _key_now(url: str, edition_id: int):
    """The edition's key as a fresh worker reads it (no key cached from before)."""
    badges._edition_keys.clear()
    engine = db.create_engine(url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        key = await badges.signing_key(session, edition_id)
        await session.commit()
    await engine.dispose()
    return key


async def test_badge_key_in_the_database_holds_no_readable_private_key(session, db_url) -> None:
    edition = await make_edition(session)
    key = await badges.signing_key(session, edition.id)
    await session.commit()
    [stored] = await _stored(db_url)
    code = _badge(key, edition.id)
    again = await _key_now(db_url, edition.id)
    assert [form for form in _forms_of(key) if form in stored.encode()] == []
    assert signing.verify(code, again.public_key(), edition.id, clock.now()).category == "company"


async def test_migration_seals_a_plain_key_and_badges_signed_before_still_verify(session, db_url) -> None:
    edition = await make_edition(session)
    await session.close()
    db.downgrade(db_url, BEFORE_SEALING)
    key = signing.new_private_key()
    engine = db.create_engine(db_url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "insert into badge_key (edition_id, private_pem, public_pem, created_at, updated_at) "
                "values (:edition, :private, :public, :now, :now)"
            ),
            {
                "edition": edition.id,
                "private": signing.private_pem(key),
                "public": signing.public_pem(key.public_key()),
                "now": clock.now(),
            },
        )
    await engine.dispose()
    printed = _badge(key, edition.id)

    db.upgrade(db_url, "head")
    [stored] = await _stored(db_url)
    after = await _key_now(db_url, edition.id)
    assert [form for form in _forms_of(key) if form in stored.encode()] == []
    assert signing.verify(printed, after.public_key(), edition.id, clock.now()).edition_id == edition.id
    assert signing.public_pem(after.public_key()) == signing.public_pem(key.public_key())


async def test_a_key_sealed_under_the_development_secret_is_sealed_anew_under_the_real_one(
    session, db_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    edition = await make_edition(session)
    monkeypatch.delenv("ASCC_SECRET_KEY", raising=False)
    key = await badges.signing_key(session, edition.id)
    await session.commit()
    monkeypatch.setenv("ASCC_SECRET_KEY", "the-production-secret-" + "s" * 30)
    after = await _key_now(db_url, edition.id)
    [stored] = await _stored(db_url)
    opened, stale = keystore.unseal(stored, "the-production-secret-" + "s" * 30)
    assert (opened, stale) == (signing.private_pem(key), False)
    assert signing.public_pem(after.public_key()) == signing.public_pem(key.public_key())


async def test_a_changed_secret_says_so_instead_of_making_a_new_key(session, db_url, monkeypatch) -> None:
    edition = await make_edition(session)
    monkeypatch.setenv("ASCC_SECRET_KEY", "the-first-secret-" + "a" * 30)
    await badges.signing_key(session, edition.id)
    await session.commit()
    monkeypatch.setenv("ASCC_SECRET_KEY", "another-secret-" + "b" * 30)
    with pytest.raises(keystore.KeyUnreadable, match="ASCC_SECRET_KEY"):
        await _key_now(db_url, edition.id)


def test_https_without_a_real_secret_refuses_to_start(tmp_path) -> None:
    from ascc.app import create_app
    from ascc.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}"
    production = Settings(database_url=url, base_url="https://ascc.example.org")
    with pytest.raises(UnsafeConfiguration, match="ASCC_SECRET_KEY") as refused:
        create_app(production)
    with pytest.raises(
        UnsafeConfiguration, match="forged"
    ):  # a key file keeps the badges, not the sessions, safe
        create_app(Settings(database_url=url, base_url="https://ascc.example.org", badge_key_path="/k.pem"))
    served = [
        create_app(Settings(database_url=url, base_url="https://ascc.example.org", secret_key="s" * 48)),
        create_app(Settings(database_url=url, base_url="http://127.0.0.1:8000")),
    ]
    cli = CliRunner().invoke(
        main,
        ["serve"],
        env={
            "ASCC_BASE_URL": "https://ascc.example.org",
            "ASCC_DATABASE_URL": url,
            "ASCC_SECRET_KEY": "",
            "ASCC_BADGE_KEY": "",
        },
    )
    assert "ASCC_BADGE_KEY" in str(refused.value)
    assert len(served) == 2
    assert (cli.exit_code, "could make valid badges" in cli.output) == (1, True)
