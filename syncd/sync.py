"""One connector's pull into the store, and the job rows that ask for a pull or a reconcile.

The CLI and the queue's actors both call these functions, so the inline path and the daemon
path are one. Each function can run twice without harm. What follows a pull (reconcile,
outbox, push) is `syncd.pipeline`'s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import httpx
from sqlalchemy.engine import Engine

from syncd import metrics, store
from syncd.clients import Client
from syncd.connectors.base import Connector
from syncd.model import PullResult
from syncd.store import jobs
from syncd.store.grants import GrantKeeper
from syncd.store.items import count_items, item_versions
from syncd.store.problems import record_error
from syncd.store.pulls import PageSink, SliceLeft, get_cursor, slice_left
from syncd.store.pushes import pushed_remotes
from syncd.store.runs import finish_run, start_run
from syncd.store.work import PullJob, ReconcileJob

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

    def count(self, page: PullResult) -> None:
        """Count a page's items and quarantined payloads (keeping the first one's error)."""
        self.pages += 1
        self.items += len(page.items)
        self.quarantined += len(page.quarantined)
        if page.quarantined and not self.quarantine_error:
            first = page.quarantined[0]
            self.quarantine_error = f"{first.external_id}: {first.error}"


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
    keeper = GrantKeeper(engine) if engine is not None else None
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

    Pages are committed as they arrive, a batch at a time (`PageSink`); the cursor moves
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
    conn.remember_own(pushed_remotes(engine, client.id, source))
    conn.remember_versions(partial(item_versions, engine, client.id, source))
    cursor_row = get_cursor(engine, client.id, source)
    since = cursor_row.cursor if cursor_row else None
    pulls = cursor_row.pulls if cursor_row else 0
    conn.recall_site(((cursor_row.state if cursor_row else None) or {}).get("site") or {})
    resume, newest = slice_left(cursor_row, client.connector(source), since)
    census = not resume and pulls % client.connector(source).census_every == 0
    if census and since is None:  # a first pull: a census can only mark gone what is stored
        census = count_items(engine, client.id, source) > 0
    stats = PullStats(client=client.id, source=source, census=census)
    run_id = start_run(engine, client.id, source, "pull")
    present: frozenset[str] | None = None
    rest: tuple[str, ...] = ()
    sink = PageSink(engine, client.id, source)
    try:
        async for page in conn.pull(since, census=census, limit=limit, resume=resume):
            # On this loop, not in a thread: the answers in flight wait in the socket buffers for
            # the few milliseconds a commit takes, and a thread lost more to handing the GIL back
            # and forth than it gained (bench/pull.py: 2.1 s against 1.8 s for 10,000 issues).
            sink.add(page)
            stats.count(page)
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
            left = SliceLeft(rest, newest, client.connector(source))
            sink.close(None, None, left=left, site=site)
        else:
            sink.close(newest, present, site=site)
        stats.more = bool(rest)
    except Exception as exc:
        metrics.PULLS.labels(client.id, source, "failed").inc()
        finish_run(engine, run_id, ok=False, items=stats.items, error=str(exc))
        record_error(engine, client.id, kind="pull", message=str(exc), source=source)
        raise
    finally:
        if own:
            await conn.aclose()
    stats.cursor, stats.seconds = newest, time.monotonic() - started
    finish_run(engine, run_id, ok=True, items=stats.items)
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
            session,
            PullJob(),
            client,
            target=source,
            dedupe=f"pull:{client}:{source}",
            delay=delay,
        )
        return job.id if job else None


def request_reconcile(engine: Engine, client: str) -> int | None:
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(session, ReconcileJob(), client, dedupe=f"reconcile:{client}")
        return job.id if job else None
