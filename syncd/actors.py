"""The actors: pull one connector, reconcile one client, push one target, handle one
webhook delivery, send one delivery of the communication plan. Each takes a job id, claims its
row, and records the outcome on it.

Transient failures become a delayed retry of the length the row decided (Retry-After wins);
permanent ones turn the row into a dead letter and are not retried (`throws=`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import dramatiq
from sqlalchemy.engine import Engine

from syncd import metrics, runtime, sync
from syncd.errors import (
    ConfigError,
    MappingError,
    MaybeSentError,
    PermanentError,
    PlanError,
    RateLimitedError,
)
from syncd.store import jobs
from syncd.store.work import JobKind

log = logging.getLogger(__name__)

PERMANENT = (PermanentError, ConfigError, MappingError, PlanError, MaybeSentError)
LEASES = {
    JobKind.PULL: timedelta(minutes=10),
    JobKind.RECONCILE: timedelta(minutes=5),
    JobKind.PUSH: timedelta(minutes=2),
    JobKind.WEBHOOK: timedelta(minutes=1),
    JobKind.DELIVER: timedelta(minutes=3),
}
HANDLERS: dict[JobKind, Callable[[runtime.Runtime, jobs.Claimed], Any]] = {
    JobKind.PULL: sync.run_pull_job,
    JobKind.RECONCILE: sync.run_reconcile_job,
    JobKind.PUSH: sync.run_push_job,
    JobKind.WEBHOOK: sync.run_webhook_job,
    JobKind.DELIVER: sync.run_deliver_job,
}
OPTIONS: dict[JobKind, dict[str, Any]] = {
    kind: {
        "actor_name": f"syncd.{kind}",
        "queue_name": "syncd",
        "max_retries": 20,  # the row's max_attempts decides; this only bounds redeliveries
        "min_backoff": 1_000,
        "max_backoff": 600_000,  # under RabbitMQ's 30-minute consumer timeout
        "time_limit": int(lease.total_seconds() * 1000) - 5_000,
        "throws": PERMANENT,
    }
    for kind, lease in LEASES.items()
}


def execute(kind: JobKind, job_id: int) -> None:
    """Claim row `job_id`, run it, and record done, a delayed retry or a dead letter."""
    rt = runtime.current()
    override = rt.settings.job_lease_seconds
    lease = timedelta(seconds=override) if override else LEASES[kind]
    try:
        claimed = jobs.claim(
            rt.engine, job_id, lease=lease, kind=kind, per_client=rt.settings.client_jobs
        )
    except jobs.ClientBusy as busy:
        wait = jobs.defer(rt.engine, job_id)
        metrics.DEFERRED.labels(kind).inc()
        log.debug("job %d (%s): client %s is busy, again in %.1f s", job_id, kind, busy, wait)
        sync.send_later(kind, job_id, wait)
        return
    if claimed is None:
        return  # done, dead, not yet due, or held by another worker: nothing to do
    try:
        with Heartbeat(rt.engine, claimed, lease):
            result = HANDLERS[kind](rt, claimed)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
    except RateLimitedError as exc:
        _retry(rt, claimed, str(exc), retry_after=exc.retry_after)
    except PERMANENT as exc:
        try:
            jobs.fail(rt.engine, claimed, f"{type(exc).__name__}: {exc}", permanent=True)
        except jobs.LeaseLost:
            log.warning("job %d (%s) failed after another worker took it over", job_id, kind)
            return
        metrics.DEAD_LETTERS.labels(kind).inc()
        log.warning("job %d (%s) is a dead letter: %s", job_id, kind, exc)
        sync.announce_dead_letter(rt, claimed)
        raise
    except Exception as exc:  # noqa: BLE001 -- anything else is transient: the row retries it
        _retry(rt, claimed, f"{type(exc).__name__}: {exc}", retry_after=None)
    else:
        if jobs.complete(rt.engine, claimed):
            sync.dispatch(kind, job_id)  # asked for again while it ran


class Heartbeat:
    """Keeps a running job's lease alive, so a short lease (quick recovery after a crash) never
    runs out under a job that is merely slow, and a second worker never runs it alongside."""

    def __init__(self, engine: Engine, job: jobs.Claimed, lease: timedelta) -> None:
        self.engine, self.job, self.lease = engine, job, lease
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"lease-{job.id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def beat(self) -> None:
        while not self.stopped.wait(self.lease.total_seconds() / 3):
            try:
                if not jobs.renew(self.engine, self.job, lease=self.lease):
                    log.warning("job %d: lost its lease while running", self.job.id)
                    return
            except Exception:  # the database may be back at the next beat
                log.warning("job %d: could not renew its lease", self.job.id, exc_info=True)


def _retry(
    rt: runtime.Runtime, job: jobs.Claimed, error: str, *, retry_after: float | None
) -> None:
    try:
        delay = jobs.fail(rt.engine, job, error, permanent=False, retry_after=retry_after)
    except jobs.LeaseLost:
        log.warning("job %d failed after another worker took it over: %s", job.id, error)
        return
    if delay is None:
        metrics.DEAD_LETTERS.labels(job.kind).inc()
        log.warning("job %d is a dead letter after its last attempt: %s", job.id, error)
        sync.announce_dead_letter(rt, job)
        return
    metrics.RETRIES.labels(job.kind).inc()
    raise dramatiq.Retry(error, delay=int(delay * 1000))


def declare(broker: dramatiq.Broker, queue_name: str = "syncd") -> dict[JobKind, Any]:
    """Declare one actor per job kind on `broker`, on the deployment's queue."""
    declared = {}
    for kind, defaults in OPTIONS.items():
        options = defaults | {"queue_name": queue_name}

        def fn(job_id: int, _kind: JobKind = kind) -> None:
            execute(_kind, job_id)

        fn.__name__ = f"run_{kind}"
        declared[kind] = dramatiq.actor(broker=broker, **options)(fn)
    return declared
