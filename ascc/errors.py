"""Domain errors, raised by services (no HTTP there), and how to tell a database outage or a lost race.

The handlers that show them to people and API clients are in `ascc.error_handlers`: this module imports
no web framework, so every service can raise these.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request. `message` is a catalogue key."""

    status_code = 400

    def __init__(
        self, message: str, code: str, *, field: str | None = None, status: int | None = None, **params: Any
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.message = message
        self.code = code
        self.field = field
        self.params = params
        if status is not None:
            self.status_code = status


class NotFound(DomainError):
    status_code = 404

    def __init__(self, what: str = "page") -> None:
        super().__init__("error.404_text", "not_found")
        self.what = what


class ValidationFailed(DomainError):
    """Several fields of a form are wrong; `errors` maps field -> (catalogue key, params)."""

    status_code = 422

    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        first_field = next(iter(errors))
        super().__init__(errors[first_field][0], "invalid", field=first_field, **errors[first_field][1])
        self.errors = errors


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (restarting, failing over, network): not a bug, and over in seconds."""
    from sqlalchemy.exc import DBAPIError

    seen: BaseException | None = exc
    for _ in range(8):  # SQLAlchemy wraps the driver's error, which may wrap the socket's
        if seen is None:
            return False
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, ConnectionError | TimeoutError):
            return True
        # SQLSTATE class 08 is "connection exception", 57P "operator intervention" (shutdown, starting up).
        sqlstate = str(getattr(seen, "sqlstate", "") or "")
        if sqlstate.startswith(("08", "57P")):
            return True
        if type(seen).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and "closed" in str(seen):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def conflict(exc: BaseException) -> bool:
    """A write that lost a race the code did not foresee: a unique index refused it, a row's version moved on,
    or PostgreSQL chose it as a deadlock's victim (after `locks.retrying`'s attempts). Every rule has its own
    mechanism (docs/concurrency.md); this is the backstop."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    from ascc.locks import is_retryable

    # StaleDataError: a versioned row (a meeting) was changed by someone else since it was read.
    return isinstance(exc, IntegrityError | StaleDataError) or is_retryable(exc)
