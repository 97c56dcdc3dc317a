"""The test servers' processes, forked from a process that imported the application once.

Starting `ascc serve` as a new interpreter costs 3-4 s of CPU before it answers, most of it importing the
application; some forty tests start a server. multiprocessing's fork server imports this module (and with it the
application, uvicorn and the cheap password hashing) once per test process; each server is then a fork of it that
takes its environment and runs the real `ascc serve` command.
"""

from __future__ import annotations

import os
import sys

import uvicorn  # noqa: F401  (imported here so that each fork finds it loaded)

import ascc.app  # noqa: F401
from ascc.cli import main
from tests.support.hashing import use_cheap_hashing

use_cheap_hashing()


def run(argv: list[str], environment: dict[str, str], log_path: str, error_path: str | None = None) -> None:
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(os.open(error_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if error_path else log, 2)
    os.environ.clear()
    os.environ.update(environment)
    sys.argv = ["ascc", *argv]
    main()
