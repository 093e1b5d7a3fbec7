"""The overview's data for many clients at once, in a handful of queries.

A client's line needs its newest few snapshots (`TREND_POINTS`) and the store's sync state; both
are read for every client in one query each, never one query per client. A line is kept in a
small cache keyed by the client's info and the ids of the snapshots it was made from, so a
dashboard refreshed every few seconds parses a snapshot's JSON once, not on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from syncd import schedule
from syncd.db import Cursor, Job, Snapshot, SyncError, Webhook
from syncd.model import utcnow
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports.model import ClientInfo
from syncd.reports.overview import TREND_POINTS, ClientSummary, SyncState, summarize
from syncd.store import sessions

CACHE_SIZE = 8192
log = logging.getLogger(__name__)


class _Cache:
    """Client lines by (engine, info, snapshot ids); cleared whole when full (a rare event)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[Any, ...], ClientSummary] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> ClientSummary | None:
        with self.lock:
            return self.lines.get(key)

    def put(self, key: tuple[Any, ...], line: ClientSummary) -> None:
        with self.lock:
            if len(self.lines) >= CACHE_SIZE:
                self.lines.clear()
            self.lines[key] = line


CACHE = _Cache()


def newest_ids(engine: Engine, clients: Iterable[str]) -> dict[str, list[int]]:
    """The ids of each client's newest `TREND_POINTS` snapshots, oldest first."""
    wanted = set(clients)
    rank = (
        func.row_number()
        .over(partition_by=Snapshot.client, order_by=Snapshot.as_of.desc())
        .label("rank")
    )
    inner = select(Snapshot.id, Snapshot.client, Snapshot.as_of, rank).subquery()
    query = (
        select(inner.c.client, inner.c.id)
        .where(inner.c.rank <= TREND_POINTS)
        .order_by(inner.c.client, inner.c.as_of)
    )
    found: dict[str, list[int]] = defaultdict(list)
    with sessions(engine)() as session:
        for client, ident in session.execute(query):
            if client in wanted:
                found[client].append(ident)
    return found


def spis(engine: Engine, ids: list[int]) -> dict[int, float | None]:
    """The SPI of each snapshot, read by the database from inside the JSON (the older
    snapshots of a line are never parsed whole)."""
    value = Snapshot.data["reconciliation"]["project"]["spi"].as_float()
    found: dict[int, float | None] = {}
    with sessions(engine)() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = session.execute(select(Snapshot.id, value).where(Snapshot.id.in_(chunk)))
            found.update((ident, spi) for ident, spi in rows)
    return found


def snapshot_data(engine: Engine, ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    with sessions(engine)() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = session.execute(select(Snapshot.id, Snapshot.data).where(Snapshot.id.in_(chunk)))
            found.update((ident, dict(data)) for ident, data in rows)
    return found


def sync_states(
    engine: Engine, infos: dict[str, ClientInfo], now: datetime | None = None
) -> dict[str, SyncState]:
    """Each client's freshness and open troubles, from four grouped queries."""
    now = now or utcnow()
    pulls: dict[str, list[tuple[str, datetime | None]]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = {}
    dead: dict[tuple[str, str], int] = defaultdict(int)
    lapsed: dict[str, list[str]] = defaultdict(list)
    with sessions(engine)() as session:
        for client, source, last in session.execute(
            select(Cursor.client, Cursor.source, Cursor.last_success)
        ):
            pulls[client].append((source, last))
        for client, kind, count in session.execute(
            select(SyncError.client, SyncError.kind, func.count())
            .where(SyncError.resolved.is_(False))
            .group_by(SyncError.client, SyncError.kind)
        ):
            counts[(client, kind)] = int(count)
        for client, kind, count in session.execute(
            select(Job.client, Job.kind, func.count())
            .where(Job.state == "dead")
            .group_by(Job.client, Job.kind)
        ):
            dead[(client, kind)] = int(count)
        for client, source, expires in session.execute(
            select(Webhook.client, Webhook.source, Webhook.expires)
        ):
            if expires is not None and _aware(expires) < now:
                lapsed[client].append(source)
    states = {}
    for cid, info in infos.items():
        before = schedule.stale_before(
            cron=info.cron, poll_minutes=info.poll_minutes, timezone=info.timezone, now=now
        )
        seen = dict(pulls.get(cid, []))
        for conn in info.sources:
            seen.setdefault(conn.id, None)
        lasts = [_aware(v) for v in seen.values() if v is not None]
        stale = tuple(sorted(s for s, v in seen.items() if v is None or _aware(v) < before))
        states[cid] = SyncState(
            oldest_pull=min(lasts) if lasts and len(lasts) == len(seen) else None,
            stale=stale,
            quarantined=counts.get((cid, "quarantine"), 0),
            failed_pulls=counts.get((cid, "pull"), 0),
            dead=sum(n for (c, _), n in dead.items() if c == cid),
            dead_pushes=dead.get((cid, "push"), 0),
            lapsed=tuple(sorted(lapsed.get(cid, []))),
        )
    return states


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def summaries(engine: Engine, infos: dict[str, ClientInfo]) -> list[ClientSummary]:
    """One line per client of `infos` (in their order), from the store in a few queries."""
    ids = newest_ids(engine, infos)
    states = sync_states(engine, infos)
    # the line depends on the whole ClientInfo (thresholds, owner, registers…); its repr stands
    # for it, since some of its parts (pydantic sections with lists) cannot be hashed
    keys = {cid: (id(engine), repr(info), tuple(ids.get(cid, ()))) for cid, info in infos.items()}
    lines: dict[str, ClientSummary] = {}
    missing = []
    for cid, key in keys.items():
        line = CACHE.get(key)
        if line is None:
            missing.append(cid)
        else:
            lines[cid] = line
    loaded = snapshot_data(engine, [ids[cid][-1] for cid in missing if ids.get(cid)])
    older = spis(engine, [i for cid in missing for i in ids.get(cid, [])[:-1]])
    for cid in missing:
        rows = ids.get(cid, [])
        newest = loaded.get(rows[-1]) if rows else None
        earlier = [older.get(i) for i in rows[:-1]]
        typed = StatusSnapshot.from_dict(newest) if newest is not None else None
        lines[cid] = summarize(infos[cid], typed, earlier if typed is not None else [])
        CACHE.put(keys[cid], lines[cid])
    return [replace(lines[cid], sync=states[cid]) for cid in infos]


def warm(engine: Engine, infos: dict[str, ClientInfo]) -> None:
    """Fill the cache with every client's line (the daemon does it at start, in a thread), so
    the first overview after a restart answers as fast as the next ones."""
    started = time.monotonic()
    try:
        summaries(engine, infos)
    except Exception:  # the overview computes them itself then
        log.warning("could not prepare the overview's lines", exc_info=True)
        return
    log.info("overview lines of %d clients ready in %.1f s", len(infos), time.monotonic() - started)
