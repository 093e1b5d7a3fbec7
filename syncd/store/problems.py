"""The problems worth showing (`sync_errors`): quarantined payloads, failed pulls and
pushes, warnings; one open row per problem, closed when it is over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd import redact
from syncd.db import SyncError
from syncd.model import Quarantined, WorkItem, utcnow
from syncd.store.base import CHUNK, sessions


def quarantine(session: Session, client: str, bad: Sequence[Quarantined]) -> None:
    """Keep each bad payload with its error: one open row per item, the latest."""
    now = utcnow()
    for q in bad:
        _close(
            session,
            client,
            SyncError.source == q.source,
            SyncError.kind == "quarantine",
            SyncError.external_id == q.external_id,
        )
        session.add(
            SyncError(
                client=client,
                source=q.source,
                external_id=q.external_id,
                kind="quarantine",
                message=redact.text(q.error)[:2000],
                payload=q.payload[:20000],
                at=now,
            )
        )


def close_problems(session: Session, client: str, source: str, kind: str) -> None:
    """Mark a source's open problems of one kind as over."""
    _close(session, client, SyncError.source == source, SyncError.kind == kind)


def _close(session: Session, client: str, *which: Any) -> None:
    """Mark the client's open problems that match every condition in `which` as over."""
    session.execute(
        update(SyncError)
        .where(SyncError.client == client, SyncError.resolved.is_(False), *which)
        .values(resolved=True)
    )


def resolve_quarantined(
    session: Session, client: str, source: str, items: Sequence[WorkItem]
) -> None:
    """Close the quarantine rows of items that have now been understood and stored."""
    if not items:
        return
    open_ids: set[str] = {
        ext
        for ext in session.execute(
            select(SyncError.external_id).where(
                SyncError.client == client,
                SyncError.source == source,
                SyncError.kind == "quarantine",
                SyncError.resolved.is_(False),
            )
        ).scalars()
        if ext is not None
    }
    if not open_ids:
        return
    healed = sorted(open_ids & {item.external_id for item in items})
    for start in range(0, len(healed), CHUNK):
        _close(
            session,
            client,
            SyncError.source == source,
            SyncError.kind == "quarantine",
            SyncError.external_id.in_(healed[start : start + CHUNK]),
        )


def record_error(
    engine: Engine, client: str, *, kind: str, message: str, source: str | None = None
) -> None:
    """Record a problem; the same problem still open is replaced by this, its latest sighting."""
    message = redact.text(message)[:2000]
    with sessions(engine).begin() as session:
        _close(
            session,
            client,
            SyncError.source == source if source is not None else SyncError.source.is_(None),
            SyncError.kind == kind,
            SyncError.message == message,
        )
        session.add(
            SyncError(client=client, source=source, kind=kind, message=message, at=utcnow())
        )


def quarantine_reasons(
    engine: Engine, client: str, *, limit: int
) -> list[tuple[str | None, str, int]]:
    """Open quarantined items grouped by connector and reason: (source, message, count), the
    largest groups first, at most `limit` groups."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(SyncError.source, SyncError.message, func.count().label("n"))
            .where(
                SyncError.client == client,
                SyncError.kind == "quarantine",
                SyncError.resolved.is_(False),
            )
            .group_by(SyncError.source, SyncError.message)
            .order_by(func.count().desc(), SyncError.source)
            .limit(limit)
        ).all()
    return [(source, message, int(n)) for source, message, n in rows]
