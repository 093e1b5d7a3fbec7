"""The store's view of a client's sync: last successful pulls, open errors, dead letters, and
the open quarantine per connector."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from syncd import redact
from syncd.db import Cursor, Job, SyncError
from syncd.model import Health, Problem, utcnow
from syncd.store.base import sessions
from syncd.store.jobs import JobState, failures

MAX_PROBLEMS = 50


def health(engine: Engine, client: str) -> Health:
    """Last successful pull per connector, open sync errors and dead letters, newest first;
    the dead letters once more as failures, by target."""
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
            .where(Job.client == client, Job.state == JobState.DEAD)
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
        failures=tuple(failures(engine, client, limit=MAX_PROBLEMS)),
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
