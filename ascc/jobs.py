"""Background work of a worker process (a scheduler run, later badge sheets and campaigns).

Requests start a job and answer at once; the job keeps its progress in the database, so any worker can
show it. Tasks are kept referenced here (asyncio keeps only weak references) and given time to finish at
shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("ascc.jobs")


class Jobs:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, grace: float = 70.0) -> None:
        """Wait for running jobs (a scheduler run is capped at 60 s); cancel what is still running after."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            log.warning("background job still running at shutdown: cancelled")
            task.cancel()

    @property
    def running(self) -> int:
        return len(self._tasks)
