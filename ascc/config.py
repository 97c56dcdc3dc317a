"""Settings from ASCC_* environment variables. No I/O at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_INSECURE_DEV_SECRET = "dev-only-secret-change-me-in-production-0123456789"


class UnsafeConfiguration(RuntimeError):
    """Settings that must not serve the public: the message says what to set."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./ascc.db"
    redis_url: str | None = None
    secret_key: str = _INSECURE_DEV_SECRET
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "ASCC <noreply@ascc.example.org>"
    badge_key_path: str | None = None
    demo_password: str = "ascc-demo"
    # Requests per minute and client address on sign-in, sign-up and reset forms.
    auth_rate_limit_per_minute: int = 30
    # Seconds between outbox polls of the in-process mail sender.
    mail_poll_seconds: float = 5.0
    debug: bool = False
    templates_dir: Path = field(default=ROOT / "templates")
    static_dir: Path = field(default=ROOT / "static")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get("ASCC_DATABASE_URL") or cls.database_url,
            redis_url=env.get("ASCC_REDIS_URL") or None,
            secret_key=env.get("ASCC_SECRET_KEY") or _INSECURE_DEV_SECRET,
            base_url=(env.get("ASCC_BASE_URL") or cls.base_url).rstrip("/"),
            smtp_url=env.get("ASCC_SMTP_URL") or None,
            mail_from=env.get("ASCC_MAIL_FROM") or cls.mail_from,
            badge_key_path=env.get("ASCC_BADGE_KEY") or None,
            demo_password=env.get("ASCC_DEMO_PASSWORD") or cls.demo_password,
            auth_rate_limit_per_minute=_int(env, "ASCC_AUTH_RATE_LIMIT", cls.auth_rate_limit_per_minute),
            debug=env.get("ASCC_DEBUG", "") in ("1", "true", "yes"),
        )

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_dev_secret(self) -> bool:
        return self.secret_key == _INSECURE_DEV_SECRET

    def check_production(self) -> None:
        """Refuse to serve over https (production) with the development secret, which is public knowledge:
        anyone could forge a session cookie (an organizer's), and a copy of the database would give away the
        badge key sealed under it."""
        if self.secure_cookies and self.uses_dev_secret:
            raise UnsafeConfiguration(
                f"ASCC_BASE_URL is {self.base_url} (production) but ASCC_SECRET_KEY is not set: session cookies "
                "could be forged with the public development secret, and anyone with a copy of the database could "
                "make valid badges. Set ASCC_SECRET_KEY to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))') and keep it; ASCC_BADGE_KEY may "
                "in addition name an Ed25519 private key (PEM) kept outside the database."
            )
