"""Background jobs (a scheduler run, a badge sheet, a campaign): in this process, or on a queue in Redis.

Requests start a job by name and answer at once; the job keeps its progress in the database, so any worker
can show it. Without Redis a job runs as a task of the web worker that started it. With Redis it goes to
a SAQ queue that `ascc worker` processes drain, so long work never takes CPU from requests and survives a
web worker's restart; if Redis does not answer at that moment, the job runs here instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from saq import Job, Queue, Worker
from saq.queue.redis import RedisQueue

log = logging.getLogger("ascc.jobs")

# A job function takes the worker's context (database sessions, settings) and the job's JSON arguments.
JobFunction = Callable[..., Coroutine[Any, Any, Any]]

QUEUE_NAME = "ascc"
# How long a web worker waits for a shutting-down job, and `ascc worker` for its jobs (a scheduler run is
# capped at 60 s; a campaign cut short is resumed by the reminder loop).
GRACE_SECONDS = 70


class Jobs:
    """Runs each job as a task of this process."""

    def __init__(self, functions: Mapping[str, JobFunction], context: Any) -> None:
        self.functions = functions
        self.context = context
        self._tasks: set[asyncio.Task[Any]] = set()

    def _function(self, name: str) -> JobFunction:
        try:
            return self.functions[name]
        except KeyError:
            raise ValueError(f"no background job is called {name!r}") from None

    async def start(self, name: str, **arguments: Any) -> None:
        self._run_here(name, arguments)

    def _run_here(self, name: str, arguments: dict[str, Any]) -> None:
        # Tasks are kept referenced here: asyncio keeps only weak references.
        task = asyncio.create_task(self._function(name)(self.context, **arguments))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace: float = GRACE_SECONDS) -> None:
        """Wait for running jobs; cancel what is still running after."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            log.warning("background job still running at shutdown: cancelled")
            task.cancel()

    async def workers(self) -> int | None:
        """How many `ascc worker` processes are listening (None: jobs run in the web workers)."""
        return None

    async def close(self) -> None:
        """Nothing to close here; the queue's Redis connections in QueuedJobs."""

    @property
    def running(self) -> int:
        return len(self._tasks)


def _redis(url: str) -> Redis:
    # Short timeouts: a vanished Redis must cost the request that starts a job a second, not minutes.
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)


def _queue(redis_url: str) -> Queue:
    return _PatientQueue(_redis(redis_url), name=QUEUE_NAME)


class _PatientQueue(RedisQueue):
    """While Redis is away, SAQ's worker would ask for the next job again at once, forever (a busy loop at
    full CPU): wait a second between attempts instead, and say so once."""

    _away = False

    async def dequeue(self, timeout: float = 0, poll_interval: float = 0) -> Job | None:  # noqa: ASYNC109
        try:
            job = await super().dequeue(timeout, poll_interval)
        except (RedisError, OSError) as exc:
            if not self._away:
                log.warning("Redis is away (%s): background jobs wait until it returns", exc)
            self._away = True
            await asyncio.sleep(1.0)
            raise
        if self._away:
            log.warning("Redis is back: background jobs go on")
            self._away = False
        return job

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        with contextlib.suppress(RedisError, OSError):  # housekeeping: the next round, once Redis is back
            return await super().sweep(lock, abort)
        return []


class QueuedJobs(Jobs):
    """Puts each job on the Redis queue for `ascc worker`; runs it here while Redis does not answer."""

    def __init__(self, functions: Mapping[str, JobFunction], context: Any, redis_url: str) -> None:
        super().__init__(functions, context)
        self.queue = _queue(redis_url)

    async def start(self, name: str, **arguments: Any) -> None:
        self._function(name)  # an unknown name is a programming error here, not in the worker
        # No timeout (SAQ's default is 10 s) and one attempt: the job's own row says how far it got.
        job = Job(function=name, kwargs=arguments, timeout=0, retries=1, ttl=24 * 3600)
        try:
            await self.queue.enqueue(job)
        except (RedisError, OSError) as exc:
            log.warning("Redis did not take background job %s (%s): it runs in this web worker", name, exc)
            self._run_here(name, arguments)

    async def workers(self) -> int | None:
        try:
            return len((await self.queue.info())["workers"])
        except (RedisError, OSError):
            return 0

    async def close(self) -> None:
        await disconnect(self.queue)


async def disconnect(queue: Queue) -> None:
    with contextlib.suppress(RedisError, OSError):  # nothing to close on a Redis that is gone
        await queue.disconnect()


def make_jobs(functions: Mapping[str, JobFunction], context: Any, redis_url: str | None) -> Jobs:
    return QueuedJobs(functions, context, redis_url) if redis_url else Jobs(functions, context)


def queue_worker(
    functions: Mapping[str, JobFunction], context: Any, redis_url: str, concurrency: int = 4
) -> Worker:
    """The consumer `ascc worker` runs: SAQ calls each function with its own context, so bind ours."""

    def bind(function: JobFunction) -> JobFunction:
        async def run(_saq_context: Any, **arguments: Any) -> None:
            await function(context, **arguments)

        return run

    return _Worker(
        _queue(redis_url),
        functions=[(name, bind(function)) for name, function in functions.items()],
        concurrency=concurrency,
        shutdown_grace_period_s=GRACE_SECONDS,
        dequeue_timeout=1,  # an idle slot looks up every second, so a stop does not wait on an empty queue
    )


class _Worker(Worker):
    """SAQ's worker waits out the whole grace period at a stop, because its housekeeping loops sleep for up
    to a minute: stop those at once, and give only running jobs the grace period."""

    async def upkeep(self) -> list[asyncio.Task[None]]:
        self._housekeeping = await super().upkeep()
        return self._housekeeping

    # Housekeeping rounds while Redis is away: skipped quietly (the dequeue above says Redis is away once)
    # instead of a traceback each second.
    async def abort(self, abort_threshold: float) -> None:
        with contextlib.suppress(RedisError, OSError):
            await super().abort(abort_threshold)

    async def schedule(self, lock: int = 1) -> None:
        with contextlib.suppress(RedisError, OSError):
            await super().schedule(lock)

    async def worker_info(self, ttl: int = 60) -> Any:
        with contextlib.suppress(RedisError, OSError):
            return await super().worker_info(ttl)
        return {}

    async def stop(self) -> None:
        self.event.set()
        for task in getattr(self, "_housekeeping", []):
            task.cancel()
        await super().stop()


async def nap(wakeup: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """A delivery loop's pause: until it is woken (new work), stopped, or `seconds` have passed."""
    wakeup.clear()
    waiters = [asyncio.ensure_future(wakeup.wait()), asyncio.ensure_future(stop.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
