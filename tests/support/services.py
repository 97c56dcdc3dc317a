"""Servers of a test's own, to stop and start again without taking them from anyone else on the machine."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis


@contextmanager
def private_redis(port: int, folder: Path) -> Iterator[None]:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if Redis(port=port).ping():
                    break
            except Exception:
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(10)
