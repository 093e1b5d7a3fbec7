"""One connector's or one client's run: pull → store → reconcile → outbox → push.

The CLI and the queue's actors both call these functions, so the inline path and the daemon
path are one. Each function can run twice without harm.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.engine import Engine

from syncd import jobs, metrics, store
from syncd.clients import Client
from syncd.connectors.base import Connector

if TYPE_CHECKING:
    from syncd.runtime import Runtime

log = logging.getLogger(__name__)

ProgressHook = Callable[["PullStats"], None]  # called after each committed page


@dataclass
class PullStats:
    """What one pull did, for logs, runs and the progress bar."""

    client: str
    source: str
    items: int = 0
    quarantined: int = 0
    quarantine_error: str = ""  # the first quarantined item's error, to say why
    pages: int = 0
    census: bool = False
    cursor: datetime | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    more: bool = False  # a slice of a longer pull: the rest is for the next pull, from `cursor`


def build_connector(
    client: Client,
    source: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    engine: Engine | None = None,
) -> Connector:
    """The connector `source` of `client`; with `engine`, an OAuth grant's rotated refresh
    token is kept in the store."""
    from syncd.connectors import build

    config = client.connector(source)
    keeper = store.GrantKeeper(engine) if engine is not None else None
    return build(
        config,
        client.secrets[source],
        transport=transport,
        timezone=client.config.timezone,
        keeper=keeper,
    )


async def pull(
    engine: Engine,
    client: Client,
    source: str,
    *,
    connector: Connector | None = None,
    on_page: ProgressHook | None = None,
    limit: int = 0,
) -> PullStats:
    """Pull one connector incrementally (a census every `census_every` pulls) into the store.

    Pages are committed as they arrive, a batch at a time (`store.PageSink`); the cursor moves
    only with the last of them, so a failure at any point repeats work from the old cursor and
    never skips an item. With `limit`, the connector may stop after a slice of about that many
    items (`stats.more`): the ids it left are kept with the cursor, which stays; the next pulls
    fetch exactly them, and after the last slice the cursor moves to the newest change the first
    slice saw (when the listing was made: see `jira_pull`), so the pull after that re-reads what
    changed while the slices ran.
    """
    started = time.monotonic()
    own = connector is None
    conn = connector or build_connector(client, source, engine=engine)
    conn.remember_own(store.pushed_remotes(engine, client.id, source))
    conn.remember_versions(partial(store.item_versions, engine, client.id, source))
    cursor_row = store.get_cursor(engine, client.id, source)
    since = cursor_row.cursor if cursor_row else None
    pulls = cursor_row.pulls if cursor_row else 0
    conn.recall_site(((cursor_row.state if cursor_row else None) or {}).get("site") or {})
    resume, newest = store.slice_left(cursor_row, client.connector(source), since)
    census = not resume and pulls % client.connector(source).census_every == 0
    if census and since is None:  # a first pull: a census can only mark gone what is stored
        census = store.count_items(engine, client.id, source) > 0
    stats = PullStats(client=client.id, source=source, census=census)
    run_id = store.start_run(engine, client.id, source, "pull")
    present: frozenset[str] | None = None
    rest: tuple[str, ...] = ()
    sink = store.PageSink(engine, client.id, source)
    try:
        async for page in conn.pull(since, census=census, limit=limit, resume=resume):
            # On this loop, not in a thread: the answers in flight wait in the socket buffers for
            # the few milliseconds a commit takes, and a thread lost more to handing the GIL back
            # and forth than it gained (bench/pull.py: 2.1 s against 1.8 s for 10,000 issues).
            sink.add(page)
            stats.pages += 1
            stats.items += len(page.items)
            stats.quarantined += len(page.quarantined)
            if page.quarantined and not stats.quarantine_error:
                first = page.quarantined[0]
                stats.quarantine_error = f"{first.external_id}: {first.error}"
            if resume:  # a later slice: the cursor goes where the first slice said
                pass
            elif page.cursor is not None and (newest is None or page.cursor > newest):
                newest = page.cursor
            if page.census is not None:
                present = page.census
            rest = page.rest or rest
            if on_page is not None:
                on_page(stats)
        site = conn.site_facts()  # kept with the cursor: a pull in any process need not ask
        if rest:  # a slice: the cursor stays, the ids left wait for the next pull
            left = store.SliceLeft(rest, newest, client.connector(source))
            sink.close(None, None, left=left, site=site)
        else:
            sink.close(newest, present, site=site)
        stats.more = bool(rest)
    except Exception as exc:
        metrics.PULLS.labels(client.id, source, "failed").inc()
        store.finish_run(engine, run_id, ok=False, items=stats.items, error=str(exc))
        store.record_error(engine, client.id, kind="pull", message=str(exc), source=source)
        raise
    finally:
        if own:
            await conn.aclose()
    stats.cursor, stats.seconds = newest, time.monotonic() - started
    store.finish_run(engine, run_id, ok=True, items=stats.items)
    metrics.PULLS.labels(client.id, source, "ok").inc()
    metrics.ITEMS.labels(client.id, source).inc(stats.items)
    metrics.QUARANTINED.labels(client.id, source).inc(stats.quarantined)
    log.info(
        "pulled %s/%s: %d items, %d pages%s",
        client.id,
        source,
        stats.items,
        stats.pages,
        " (a slice: the rest follows)" if stats.more else "",
    )
    return stats


def request_pull(engine: Engine, client: str, source: str, *, delay: float = 0.0) -> int | None:
    """Queue a pull of one connector unless one is already waiting; returns the new job id."""
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(
            session, "pull", client, target=source, dedupe=f"pull:{client}:{source}", delay=delay
        )
        return job.id if job else None


def dispatch(kind: str, job_id: int | None) -> None:
    """Send the message for a committed row, when a queue runs in this process.

    A failed send loses nothing: the sweeper sends every due row no message covers.
    """
    from syncd import queue

    if job_id is None or not queue.is_ready():
        return
    try:
        queue.send(kind, job_id)
    except Exception:
        log.warning("could not send %s job %d; the sweeper will", kind, job_id, exc_info=True)


def send_later(kind: str, job_id: int, seconds: float) -> None:
    """Send the message for a deferred row once it is due again (a little after, so it is)."""
    from syncd import queue

    try:
        queue.send(kind, job_id, delay_ms=int(seconds * 1000) + 100)
    except Exception:
        log.warning("could not send %s job %d; the sweeper will", kind, job_id, exc_info=True)


def request_reconcile(engine: Engine, client: str) -> int | None:
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(session, "reconcile", client, dedupe=f"reconcile:{client}")
        return job.id if job else None


def run_pull_job(rt: Runtime, job: jobs.Claimed) -> Coroutine[Any, Any, None]:
    """The pull actor's work: pull the connector, then ask for a reconcile of its client. A long
    pull is cut into slices (`pull_slice` items): after each, the job asks to run once more and
    its worker goes to the jobs queued meanwhile; the reconcile follows the last slice."""

    async def work() -> None:
        client = rt.client(job.client)
        assert job.target is not None
        stats = await pull(rt.engine, client, job.target, limit=rt.settings.pull_slice)
        if stats.more:  # the running row runs once more when it ends, behind the queue
            request_pull(rt.engine, client.id, job.target)
            return
        dispatch("reconcile", request_reconcile(rt.engine, client.id))

    return work()


def run_reconcile_job(rt: Runtime, job: jobs.Claimed) -> None:
    """The reconcile actor's work: snapshot the client and queue the pushes that changed."""
    from syncd.pipeline import reconcile_and_queue

    client = rt.client(job.client)
    if client.plan_path is None and store.load_baseline(rt.engine, client.id) is None:
        log.info("%s has no plan: nothing to reconcile", client.id)
        return
    for kind, job_id in reconcile_and_queue(rt.engine, client, public_url=rt.settings.public_url):
        dispatch(kind, job_id)


def run_push_job(rt: Runtime, job: jobs.Claimed) -> Coroutine[Any, Any, None]:
    """The push actor's work: write the queued status to one target."""
    from syncd.pipeline import push_target

    return push_target(rt.engine, rt.client(job.client), job.payload)


def run_webhook_job(rt: Runtime, job: jobs.Claimed) -> None:
    """The webhook actor's work: ignore syncd's own echoes, else pull the affected connector."""
    client = rt.client(job.client)
    source = job.payload["source"]
    connector = build_connector(client, source)
    connector.remember_own(store.pushed_remotes(rt.engine, client.id, source))
    try:
        own = connector.is_own_write(job.payload.get("body", {}))
    finally:
        asyncio.run(connector.aclose())
    if own:
        log.info("webhook %d for %s/%s is syncd's own write: no pull", job.id, client.id, source)
        return
    dispatch("pull", request_pull(rt.engine, client.id, source))


def run_deliver_job(rt: Runtime, job: jobs.Claimed) -> None:
    """The deliver actor's work: send one delivery of the communication plan, at most once."""
    from syncd.comms.delivery import run_job

    run_job(rt, job)


def announce_dead_letter(rt: Runtime, job: jobs.Claimed) -> None:
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
            dispatch("deliver", job_id)
    except Exception:
        log.warning("could not announce dead letter %d", job.id, exc_info=True)
