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
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from syncd import schedule
from syncd.model import utcnow
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports.model import ClientInfo
from syncd.reports.overview import (
    TREND_POINTS,
    ClientSummary,
    FailingTarget,
    SyncState,
    summarize,
)
from syncd.store.overview import newest_ids, snapshot_data, spis, troubles
from syncd.store.work import JobKind

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


def sync_states(
    engine: Engine, infos: dict[str, ClientInfo], now: datetime | None = None
) -> dict[str, SyncState]:
    """Each client's freshness and open troubles, from four grouped queries."""
    now = now or utcnow()
    pulls: dict[str, list[tuple[str, datetime | None]]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = {}
    dead: dict[tuple[str, str], int] = defaultdict(int)
    pushes: dict[str, list[FailingTarget]] = defaultdict(list)
    lapsed: dict[str, list[str]] = defaultdict(list)
    found = troubles(engine)
    for client, source, last in found.pulls:
        pulls[client].append((source, last))
    for client, kind, count in found.problems:
        counts[(client, kind)] = count
    for client, kind, target, count in found.dead:
        dead[(client, kind)] += count
        if kind == JobKind.PUSH and target is not None:
            pushes[client].append(FailingTarget(target, count))
    for client, source, expires in found.webhooks:
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
            dead_pushes=dead.get((cid, JobKind.PUSH), 0),
            lapsed=tuple(sorted(lapsed.get(cid, []))),
            push_targets=tuple(sorted(pushes[cid], key=lambda t: (-t.failed, t.target))),
        )
    return states


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def summaries(engine: Engine, infos: dict[str, ClientInfo]) -> list[ClientSummary]:
    """One line per client of `infos` (in their order), from the store in a few queries."""
    ids = newest_ids(engine, infos, points=TREND_POINTS)
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
