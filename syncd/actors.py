"""The four actors: pull one connector, reconcile one client, push one target, handle one
webhook delivery. Each takes a job id, claims its row, and records the outcome on it.

Transient failures become a delayed retry of the length the row decided (Retry-After wins);
permanent ones turn the row into a dead letter and are not retried (`throws=`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import dramatiq

from syncd import jobs, metrics, runtime, sync
from syncd.errors import ConfigError, MappingError, PermanentError, PlanError, RateLimitedError

log = logging.getLogger(__name__)

PERMANENT = (PermanentError, ConfigError, MappingError, PlanError)
LEASES = {
    "pull": timedelta(minutes=10),
    "reconcile": timedelta(minutes=5),
    "push": timedelta(minutes=2),
    "webhook": timedelta(minutes=1),
}
HANDLERS: dict[str, Callable[[runtime.Runtime, jobs.Claimed], Any]] = {
    "pull": sync.run_pull_job,
    "reconcile": sync.run_reconcile_job,
    "push": sync.run_push_job,
    "webhook": sync.run_webhook_job,
}
OPTIONS: dict[str, dict[str, Any]] = {
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


def execute(kind: str, job_id: int) -> None:
    """Claim row `job_id`, run it, and record done, a delayed retry or a dead letter."""
    rt = runtime.current()
    override = rt.settings.job_lease_seconds
    lease = timedelta(seconds=override) if override else LEASES[kind]
    claimed = jobs.claim(rt.engine, job_id, lease=lease, kind=kind)
    if claimed is None:
        return  # done, dead, not yet due, or held by another worker: nothing to do
    try:
        result = HANDLERS[kind](rt, claimed)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except RateLimitedError as exc:
        _retry(rt, kind, job_id, str(exc), retry_after=exc.retry_after)
    except PERMANENT as exc:
        jobs.fail(rt.engine, job_id, f"{type(exc).__name__}: {exc}", permanent=True)
        metrics.DEAD_LETTERS.labels(kind).inc()
        log.warning("job %d (%s) is a dead letter: %s", job_id, kind, exc)
        raise
    except Exception as exc:  # noqa: BLE001 -- anything else is transient: the row retries it
        _retry(rt, kind, job_id, f"{type(exc).__name__}: {exc}", retry_after=None)
    else:
        jobs.complete(rt.engine, job_id)


def _retry(
    rt: runtime.Runtime, kind: str, job_id: int, error: str, *, retry_after: float | None
) -> None:
    delay = jobs.fail(rt.engine, job_id, error, permanent=False, retry_after=retry_after)
    if delay is None:
        metrics.DEAD_LETTERS.labels(kind).inc()
        log.warning("job %d is a dead letter after its last attempt: %s", job_id, error)
        return
    metrics.RETRIES.labels(kind).inc()
    raise dramatiq.Retry(error, delay=int(delay * 1000))


def declare(broker: dramatiq.Broker) -> dict[str, Any]:
    """Declare one actor per job kind on `broker`."""
    declared = {}
    for kind, options in OPTIONS.items():

        def fn(job_id: int, _kind: str = kind) -> None:
            execute(_kind, job_id)

        fn.__name__ = f"run_{kind}"
        declared[kind] = dramatiq.actor(broker=broker, **options)(fn)
    return declared
