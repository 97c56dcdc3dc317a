"""A real uvicorn server in a subprocess on a given database, for tests that need real concurrent HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
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
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.cheap_ascc", "serve", "--port", str(port)],
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            # Up to a minute: on a loaded 2-core machine importing the app alone can take over ten seconds.
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("server did not start: " + log_path.read_text()) from None
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)
