"""The actors: pull one connector, reconcile one client, push one target, handle one
webhook delivery, send one delivery of the communication plan. Each takes a job id, claims its
row, runs its handler (`run_*_job`, thin: the work is the pipeline's) and records the outcome.

Transient failures become a delayed retry of the length the row decided (Retry-After wins);
permanent ones turn the row into a dead letter and are not retried (`throws=`). The daemon
declares them (`queue.setup(url, queue_name, declare)`), after the broker is set.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import dramatiq
from sqlalchemy.engine import Engine

from syncd import metrics, queue, runtime, sync
from syncd.clock import SYSTEM, Clock
from syncd.errors import (
    ConfigError,
    MappingError,
    MaybeSentError,
    PermanentError,
    PlanError,
    RateLimitedError,
)
from syncd.store import jobs
from syncd.store.baselines import newest_version
from syncd.store.pushes import pushed_remotes
from syncd.store.work import DeliverJob, JobKind, PushJob, WebhookJob

log = logging.getLogger(__name__)

PERMANENT = (PermanentError, ConfigError, MappingError, PlanError, MaybeSentError)
LEASES = {
    JobKind.PULL: timedelta(minutes=10),
    JobKind.RECONCILE: timedelta(minutes=5),
    JobKind.PUSH: timedelta(minutes=2),
    JobKind.WEBHOOK: timedelta(minutes=1),
    JobKind.DELIVER: timedelta(minutes=3),
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
            rt.engine,
            job_id,
            lease=lease,
            kind=kind,
            per_client=rt.settings.client_jobs,
            clock=rt.clock,
        )
    except jobs.ClientBusy as busy:
        wait = jobs.defer(rt.engine, job_id, clock=rt.clock)
        metrics.DEFERRED.labels(kind).inc()
        log.debug("job %d (%s): client %s is busy, again in %.1f s", job_id, kind, busy, wait)
        queue.send_later(kind, job_id, wait)
        return
    if claimed is None:
        return  # done, dead, not yet due, or held by another worker: nothing to do
    try:
        _run(rt, kind, claimed, lease)
    finally:
        _wake_deferred(rt, claimed.client)


def _wake_deferred(rt: runtime.Runtime, client: str) -> None:
    """A job of `client` has ended: send the one that waited for its place, if any."""
    try:
        woken = jobs.wake(rt.engine, client, clock=rt.clock)
    except Exception:  # its own delayed message still comes
        log.warning("could not wake a deferred job of %s", client, exc_info=True)
        return
    if woken is not None:
        queue.dispatch(*woken)


def _run(rt: runtime.Runtime, kind: JobKind, claimed: jobs.Claimed, lease: timedelta) -> None:
    """Run a claimed job and record done, a delayed retry or a dead letter."""
    job_id = claimed.id
    try:
        with Heartbeat(rt.engine, claimed, lease, clock=rt.clock):
            result = HANDLERS[kind](rt, claimed)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
    except RateLimitedError as exc:
        _retry(rt, claimed, str(exc), retry_after=exc.retry_after)
    except PERMANENT as exc:
        try:
            jobs.fail(
                rt.engine, claimed, f"{type(exc).__name__}: {exc}", permanent=True, clock=rt.clock
            )
        except jobs.LeaseLost:
            log.warning("job %d (%s) failed after another worker took it over", job_id, kind)
            return
        metrics.DEAD_LETTERS.labels(kind).inc()
        log.warning("job %d (%s) is a dead letter: %s", job_id, kind, exc)
        announce_dead_letter(rt, claimed)
        raise
    except Exception as exc:  # noqa: BLE001 -- anything else is transient: the row retries it
        _retry(rt, claimed, f"{type(exc).__name__}: {exc}", retry_after=None)
    else:
        if jobs.complete(rt.engine, claimed, clock=rt.clock):
            queue.dispatch(kind, job_id)  # asked for again while it ran


class Heartbeat:
    """Keeps a running job's lease alive, so a short lease (quick recovery after a crash) never
    runs out under a job that is merely slow, and a second worker never runs it alongside. It
    beats every third of the lease on `clock`."""

    def __init__(
        self, engine: Engine, job: jobs.Claimed, lease: timedelta, *, clock: Clock = SYSTEM
    ) -> None:
        self.engine, self.job, self.lease, self.clock = engine, job, lease, clock
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"lease-{job.id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def beat(self) -> None:
        while not self.clock.wait(self.stopped, self.lease.total_seconds() / 3):
            try:
                if not jobs.renew(self.engine, self.job, lease=self.lease, clock=self.clock):
                    log.warning("job %d: lost its lease while running", self.job.id)
                    return
            except Exception:  # the database may be back at the next beat
                log.warning("job %d: could not renew its lease", self.job.id, exc_info=True)


def _retry(
    rt: runtime.Runtime, job: jobs.Claimed, error: str, *, retry_after: float | None
) -> None:
    try:
        delay = jobs.fail(
            rt.engine, job, error, permanent=False, retry_after=retry_after, clock=rt.clock
        )
    except jobs.LeaseLost:
        log.warning("job %d failed after another worker took it over: %s", job.id, error)
        return
    if delay is None:
        metrics.DEAD_LETTERS.labels(job.kind).inc()
        log.warning("job %d is a dead letter after its last attempt: %s", job.id, error)
        announce_dead_letter(rt, job)
        return
    metrics.RETRIES.labels(job.kind).inc()
    raise dramatiq.Retry(error, delay=int(delay * 1000))


def run_pull_job(rt: runtime.Runtime, job: jobs.Claimed) -> Coroutine[Any, Any, None]:
    """The pull actor's work: pull the connector, then ask for a reconcile of its client. A long
    pull is cut into slices (`pull_slice` items): after each, the job asks to run once more and
    its worker goes to the jobs queued meanwhile; the reconcile follows the last slice."""

    async def work() -> None:
        client = rt.client(job.client)
        assert job.target is not None
        stats = await sync.pull(rt.engine, client, job.target, limit=rt.settings.pull_slice)
        if stats.more:  # the running row runs once more when it ends, behind the queue
            sync.request_pull(rt.engine, client.id, job.target)
            return
        queue.dispatch(JobKind.RECONCILE, sync.request_reconcile(rt.engine, client.id))

    return work()


def run_reconcile_job(rt: runtime.Runtime, job: jobs.Claimed) -> None:
    """The reconcile actor's work: snapshot the client and queue the pushes that changed (none
    of it when nothing it reads changed since its last reconcile of the day)."""
    from syncd.pipeline import reconcile_if_changed

    client = rt.client(job.client)
    if client.plan_path is None and newest_version(rt.engine, client.id) is None:
        log.info("%s has no plan: nothing to reconcile", client.id)
        return
    queued = reconcile_if_changed(
        rt.engine, client, public_url=rt.settings.public_url, clock=rt.clock
    )
    for kind, job_id in queued or ():
        queue.dispatch(kind, job_id)


def run_push_job(rt: runtime.Runtime, job: jobs.Claimed) -> Coroutine[Any, Any, None]:
    """The push actor's work: write the queued status to one target."""
    from syncd.pipeline import push_target

    return push_target(rt.engine, rt.client(job.client), job.carried(PushJob))


def run_webhook_job(rt: runtime.Runtime, job: jobs.Claimed) -> None:
    """The webhook actor's work: ignore syncd's own echoes, else pull the affected connector."""
    client = rt.client(job.client)
    hook = job.carried(WebhookJob)
    source = hook.source
    connector = sync.build_connector(client, source)
    connector.remember_own(pushed_remotes(rt.engine, client.id, source))
    try:
        own = connector.is_own_write(hook.body)
    finally:
        asyncio.run(connector.aclose())
    if own:
        log.info("webhook %d for %s/%s is syncd's own write: no pull", job.id, client.id, source)
        return
    queue.dispatch(JobKind.PULL, sync.request_pull(rt.engine, client.id, source))


def run_deliver_job(rt: runtime.Runtime, job: jobs.Claimed) -> None:
    """The deliver actor's work: send one delivery of the communication plan, at most once."""
    from syncd.comms.delivery import channels_of, deliver

    channels = channels_of(rt.settings)
    deliver(rt.engine, rt.client(job.client), job.carried(DeliverJob).key, channels=channels)


def announce_dead_letter(rt: runtime.Runtime, job: jobs.Claimed) -> None:
    """Queue the client's `dead_letter` communication entries for a job that died; a failure
    here is logged and never hides the dead letter itself."""
    from syncd.comms.due import dead_letter
    from syncd.pipeline import today

    try:
        client = rt.client(job.client)
        if not any(e.trigger == "dead_letter" for e in client.config.communication):
            return
        for job_id in dead_letter(
            rt.engine, client, kind=job.kind, job_id=job.id, today=today(client)
        ):
            queue.dispatch(JobKind.DELIVER, job_id)
    except Exception:
        log.warning("could not announce dead letter %d", job.id, exc_info=True)


HANDLERS: dict[JobKind, Callable[[runtime.Runtime, jobs.Claimed], Any]] = {
    JobKind.PULL: run_pull_job,
    JobKind.RECONCILE: run_reconcile_job,
    JobKind.PUSH: run_push_job,
    JobKind.WEBHOOK: run_webhook_job,
    JobKind.DELIVER: run_deliver_job,
}


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
