"""A real uvicorn server in a subprocess on a given database, for tests that need real concurrent HTTP."""

from __future__ import annotations

import multiprocessing
import os
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_FORK_SERVER = multiprocessing.get_context("forkserver")
_FORK_SERVER.set_forkserver_preload(["tests.support.server_process"])


def start_server(
    argv: list[str], environment: dict[str, str], log_path: Path, error_path: Path | None = None
) -> multiprocessing.process.BaseProcess:
    """`ascc ARGV` (with cheap password hashing) in a process forked from one that imported the app already;
    stdout and stderr to `log_path`, or stderr to `error_path` if given."""
    from tests.support import server_process

    errors = str(error_path) if error_path else None
    process = _FORK_SERVER.Process(
        target=server_process.run, args=(argv, environment, str(log_path), errors), daemon=True
    )
    process.start()
    return process


def run_command(argv: list[str], environment: dict[str, str], log_path: Path) -> None:
    """`ascc ARGV` to its end in a fork of the same process as the servers (a new interpreter would spend
    3-4 s of CPU importing the application first); fails, with its output, unless it exits with 0."""
    log_path.write_text("")
    process = start_server(argv, environment, log_path)
    process.join(timeout=120)
    if process.exitcode != 0:
        raise RuntimeError(f"ascc {' '.join(argv)} exited with {process.exitcode}: " + log_path.read_text())


def wait_until_up(url: str, process: multiprocessing.process.BaseProcess, log_path: Path) -> None:
    # Up to a minute: on a loaded 2-core machine a server's start can take over ten seconds.
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline or not process.is_alive():
                raise RuntimeError("server did not start: " + log_path.read_text()) from None
            time.sleep(0.05)


def stop_server(process: multiprocessing.process.BaseProcess) -> None:
    process.terminate()
    process.join(timeout=15)
    if process.is_alive():
        process.kill()
        process.join()


@contextmanager
def live_server(database_url: str, log_path: Path, **env: str) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "ASCC_DATABASE_URL": database_url,
        "ASCC_BASE_URL": f"http://127.0.0.1:{port}",
        "ASCC_AUTH_RATE_LIMIT": "100000",
        "ASCC_LOG_LEVEL": "warning",
        **env,
    }
    log_path.write_text("")
    process = start_server(["serve", "--port", str(port)], environment, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log_path)
        yield url
    finally:
        stop_server(process)
