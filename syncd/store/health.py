"""The store's view of a client's sync: last successful pulls, open errors, dead letters, and
the open quarantine per connector."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd import redact
from syncd.db import Cursor, Job, SyncError
from syncd.model import Health, Problem, utcnow
from syncd.store.base import sessions
from syncd.store.jobs import JobState, failures

MAX_PROBLEMS = 50
Quarantine = dict[str, tuple[int, tuple[str, ...]]]  # per connector: how many, which reasons


def health(engine: Engine, client: str) -> Health:
    """Last successful pull per connector, open sync errors and dead letters, newest first;
    the dead letters once more as failures, by target."""
    with sessions(engine)() as session:
        return _health(engine, session, client)


def _health(engine: Engine, session: Session, client: str) -> Health:
    pulls = session.execute(
        select(Cursor.source, Cursor.last_success)
        .where(Cursor.client == client)
        .order_by(Cursor.source)
    ).all()
    errors = session.execute(
        select(SyncError.kind, SyncError.source, SyncError.message, SyncError.at)
        .where(SyncError.client == client, SyncError.resolved.is_(False))
        .order_by(SyncError.at.desc(), SyncError.id.desc())
        .limit(MAX_PROBLEMS)
    ).all()
    # Masked again as read: rows stored before masking began may hold a credential.
    problems = [
        Problem(kind, source, redact.text(message), at) for kind, source, message, at in errors
    ]
    dead = session.execute(
        select(Job.target, Job.last_error, Job.kind, Job.updated, Job.id)
        .where(Job.client == client, Job.state == JobState.DEAD)
        .order_by(Job.updated.desc(), Job.id.desc())
        .limit(MAX_PROBLEMS)
    ).all()
    problems += [
        Problem("dead", target, redact.text(error or f"{kind} job failed"), updated, job_id)
        for target, error, kind, updated, job_id in dead
    ]
    return Health(
        checked_at=utcnow(),
        pulls=tuple((source, last) for source, last in pulls),
        problems=tuple(problems),
        failures=tuple(failures(engine, client, limit=MAX_PROBLEMS)),
    )


class SyncState(NamedTuple):
    """What the store says of a client's sync, read once for a reconcile and its status."""

    health: Health
    quarantine: Quarantine


def sync_state(engine: Engine, client: str) -> SyncState:
    """`health` and `quarantine_census` of a client, read in one session."""
    with sessions(engine)() as session:
        return SyncState(_health(engine, session, client), _census(session, client))


def quarantine_census(engine: Engine, client: str, *, reasons: int = 3) -> Quarantine:
    """Open quarantine rows per connector: how many, and up to `reasons` distinct reasons."""
    with sessions(engine)() as session:
        return _census(session, client, reasons=reasons)


def _census(session: Session, client: str, *, reasons: int = 3) -> Quarantine:
    found: Quarantine = {}
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
