"""The thin shell around `build_status`: read snapshots, items and sync health from the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from syncd import redact
from syncd.db import Cursor, Job, Snapshot, SyncError
from syncd.mapping.history import items_as_of
from syncd.model import utcnow
from syncd.reports.build import build_status
from syncd.reports.model import ClientInfo, Health, Problem, SourceInfo, Status
from syncd.reports.snapshot import as_of as as_of_day
from syncd.store import load_items, sessions

MAX_PROBLEMS = 50


class NoSnapshotError(LookupError):
    """The client has no stored snapshot on or before the asked status date."""


def snapshots(engine: Engine, client: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every snapshot dict of a client up to `as_of` (all when None), oldest first."""
    with sessions(engine)() as session:
        query = select(Snapshot.data).where(Snapshot.client == client)
        if as_of is not None:
            query = query.where(Snapshot.as_of <= as_of)
        return [dict(d) for d in session.execute(query.order_by(Snapshot.as_of)).scalars()]


def health(engine: Engine, client: str) -> Health:
    """Last successful pull per connector, open sync errors and dead letters, newest first."""
    with sessions(engine)() as session:
        pulls = session.execute(
            select(Cursor.source, Cursor.last_success)
            .where(Cursor.client == client)
            .order_by(Cursor.source)
        ).all()
        errors = session.execute(
            select(SyncError)
            .where(SyncError.client == client, SyncError.resolved.is_(False))
            .order_by(SyncError.at.desc(), SyncError.id.desc())
            .limit(MAX_PROBLEMS)
        ).scalars()
        # Masked again as read: rows stored before masking began may hold a credential.
        problems = [Problem(e.kind, e.source, redact.text(e.message), e.at) for e in errors]
        dead = session.execute(
            select(Job)
            .where(Job.client == client, Job.state == "dead")
            .order_by(Job.updated.desc(), Job.id.desc())
            .limit(MAX_PROBLEMS)
        ).scalars()
        problems += [
            Problem(
                "dead",
                j.target,
                redact.text(j.last_error or f"{j.kind} job failed"),
                j.updated,
                j.id,
            )
            for j in dead
        ]
    return Health(
        checked_at=utcnow(),
        pulls=tuple((source, last) for source, last in pulls),
        problems=tuple(problems),
    )


def quarantine_census(
    engine: Engine, client: str, *, reasons: int = 3
) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Open quarantine rows per connector: how many, and up to `reasons` distinct reasons."""
    found: dict[str, tuple[int, tuple[str, ...]]] = {}
    with sessions(engine)() as session:
        open_ = (
            SyncError.client == client,
            SyncError.kind == "quarantine",
            SyncError.resolved.is_(False),
        )
        counts = session.execute(
            select(SyncError.source, func.count()).where(*open_).group_by(SyncError.source)
        ).all()
        for source, count in counts:
            texts = session.execute(
                select(SyncError.message)
                .where(*open_, SyncError.source == source)
                .group_by(SyncError.message)
                .order_by(func.max(SyncError.id).desc())
                .limit(reasons)
            ).scalars()
            found[source or "?"] = (int(count), tuple(redact.text(t) for t in texts))
    return found


def load_status(engine: Engine, client: str | ClientInfo, as_of: date | None = None) -> Status:
    """The consolidated status of `client` on `as_of` (default: its newest snapshot).

    With `as_of`, the newest snapshot on or before it is shown, and the items listed beside it
    are as they stood on that snapshot's date (their status history), not as they are today.
    """
    info = client if isinstance(client, ClientInfo) else ClientInfo(id=client, name=client)
    history = snapshots(engine, info.id, as_of)
    if not history:
        when = f" on or before {as_of}" if as_of else ""
        raise NoSnapshotError(f"client {info.id!r} has no status snapshot{when}")
    state = health(engine, info.id)
    if not info.sources:
        sources = tuple(SourceInfo(id=s, kind="") for s, _ in state.pulls)
        info = replace(info, sources=sources)
    items = load_items(engine, info.id)
    day = as_of_day(history[-1])
    if as_of is not None and day is not None:  # an asked date: the items as they stood then
        end = datetime.combine(day, time.max, tzinfo=ZoneInfo(info.timezone))
        items = items_as_of(items, end).items
    previous = history[-2] if len(history) > 1 else None
    return build_status(info, history[-1], previous, items, state, history=history[:-1])
