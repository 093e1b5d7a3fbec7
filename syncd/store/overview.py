"""What the dashboard's overview reads for many clients at once, in a handful of queries:
the newest snapshots of every client, the SPI inside older ones, and the sync troubles of
every client (never one query per client)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from syncd.db import Cursor, Job, Snapshot, SyncError, Webhook
from syncd.store.base import CHUNK, sessions
from syncd.store.jobs import JobState


def newest_ids(engine: Engine, clients: Iterable[str], *, points: int) -> dict[str, list[int]]:
    """The ids of each client's newest `points` snapshots, oldest first."""
    wanted = set(clients)
    rank = (
        func.row_number()
        .over(partition_by=Snapshot.client, order_by=Snapshot.as_of.desc())
        .label("rank")
    )
    inner = select(Snapshot.id, Snapshot.client, Snapshot.as_of, rank).subquery()
    query = (
        select(inner.c.client, inner.c.id)
        .where(inner.c.rank <= points)
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
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = session.execute(select(Snapshot.id, value).where(Snapshot.id.in_(chunk)))
            found.update((ident, spi) for ident, spi in rows)
    return found


def snapshot_data(engine: Engine, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The data of each of these snapshots, by id."""
    found: dict[int, dict[str, Any]] = {}
    with sessions(engine)() as session:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = session.execute(select(Snapshot.id, Snapshot.data).where(Snapshot.id.in_(chunk)))
            found.update((ident, dict(data)) for ident, data in rows)
    return found


@dataclass(frozen=True)
class Troubles:
    """Every client's sync state as the store holds it."""

    pulls: list[tuple[str, str, datetime | None]]  # client, connector, last successful pull
    problems: list[tuple[str, str, int]]  # client, kind, open problems
    dead: list[tuple[str, str, str | None, int]]  # client, job kind, target, dead letters
    webhooks: list[tuple[str, str, datetime | None]]  # client, connector, expiry


def troubles(engine: Engine) -> Troubles:
    """The sync state of every client, from four grouped queries."""
    with sessions(engine)() as session:
        pulls = [
            (client, source, last)
            for client, source, last in session.execute(
                select(Cursor.client, Cursor.source, Cursor.last_success)
            )
        ]
        problems = [
            (client, kind, int(count))
            for client, kind, count in session.execute(
                select(SyncError.client, SyncError.kind, func.count())
                .where(SyncError.resolved.is_(False))
                .group_by(SyncError.client, SyncError.kind)
            )
        ]
        dead = [
            (client, kind, target, int(count))
            for client, kind, target, count in session.execute(
                select(Job.client, Job.kind, Job.target, func.count())
                .where(Job.state == JobState.DEAD)
                .group_by(Job.client, Job.kind, Job.target)
            )
        ]
        webhooks = [
            (client, source, expires)
            for client, source, expires in session.execute(
                select(Webhook.client, Webhook.source, Webhook.expires)
            )
        ]
    return Troubles(pulls=pulls, problems=problems, dead=dead, webhooks=webhooks)


def version(engine: Engine, client: str | None) -> list[tuple[int | None, int]]:
    """The newest id and the count of snapshots, open problems and dead letters (of `client`):
    they move with every new one."""
    snaps = select(func.max(Snapshot.id), func.count(Snapshot.id))
    errors = select(func.max(SyncError.id), func.count()).where(SyncError.resolved.is_(False))
    dead = select(func.max(Job.id), func.count()).where(Job.state == JobState.DEAD)
    if client is not None:
        snaps = snaps.where(Snapshot.client == client)
        errors = errors.where(SyncError.client == client)
        dead = dead.where(Job.client == client)
    with sessions(engine)() as session:
        parts = [session.execute(q).one() for q in (snaps, errors, dead)]
    return [(top, int(count)) for top, count in parts]


def clients_with_snapshots(engine: Engine) -> list[str]:
    """Ids of clients with at least one snapshot."""
    with sessions(engine)() as session:
        return list(session.execute(select(Snapshot.client).distinct()).scalars())
