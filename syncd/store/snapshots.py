"""The stored snapshots of a client, as the JSON they were stored as.

Reading them into typed values is the caller's (`syncd.plan.snapshot.StatusSnapshot.from_dict`):
the store knows rows, not what a reconciliation is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd.db import Snapshot
from syncd.model import utcnow
from syncd.store.base import digest, sessions


def save_snapshot(
    session: Session,
    client: str,
    as_of: date,
    *,
    baseline_version: int,
    data: dict[str, Any],
    outcome: dict[str, Any] | None = None,
) -> None:
    """Store (or replace) the snapshot of one client and status date, with the `outcome` of the
    reconcile that made it (what it read and decided; None: not known)."""
    found = session.execute(
        select(Snapshot.id).where(Snapshot.client == client, Snapshot.as_of == as_of)
    ).scalar()
    values = {
        "baseline_version": baseline_version,
        "data": data,
        "created": utcnow(),
        "status_hash": digest(data),
        "outcome": outcome,
    }
    if found is None:  # the old row's data is never read back: it is replaced whole
        session.add(Snapshot(client=client, as_of=as_of, **values))
    else:
        session.execute(update(Snapshot).where(Snapshot.id == found).values(**values))


def outcome(session: Session, client: str, as_of: date) -> dict[str, Any] | None:
    """The outcome stored with the client's snapshot of `as_of`; None without either."""
    found = session.execute(
        select(Snapshot.outcome).where(Snapshot.client == client, Snapshot.as_of == as_of)
    ).scalar()
    return dict(found) if found else None


def earlier(session: Session, client: str, as_of: date) -> list[tuple[str, str]]:
    """The status date and hash of each snapshot of a client before `as_of`, oldest first: what
    a status of `as_of` reads of them, in a few bytes each."""
    rows = session.execute(
        select(Snapshot.as_of, Snapshot.status_hash)
        .where(Snapshot.client == client, Snapshot.as_of < as_of)
        .order_by(Snapshot.as_of)
    )
    return [(day.isoformat(), hashed) for day, hashed in rows]


def load_snapshots(engine: Engine, client: str) -> list[Snapshot]:
    with sessions(engine)() as session:
        query = select(Snapshot).where(Snapshot.client == client).order_by(Snapshot.as_of)
        return list(session.execute(query).scalars())


def newest_status_date(session: Session, client: str) -> date | None:
    """The status date of a client's newest snapshot; None when it has none."""
    return session.execute(
        select(func.max(Snapshot.as_of)).where(Snapshot.client == client)
    ).scalar()


def history(engine: Engine, client: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every snapshot of a client up to `as_of` (all when None), oldest first."""
    with sessions(engine)() as session:
        query = select(Snapshot.data).where(Snapshot.client == client)
        if as_of is not None:
            query = query.where(Snapshot.as_of <= as_of)
        return [dict(d) for d in session.execute(query.order_by(Snapshot.as_of)).scalars()]


def curve_parts(engine: Engine, client: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Of each snapshot of a client up to `as_of` (all when None), oldest first, the parts an
    S-curve reads: `schema`, `as_of`, `project` (figures) and `unplanned` (counts), picked out
    by the database, a few values each where a whole snapshot holds every task and link."""
    rec = ("reconciliation",)
    query = select(
        Snapshot.data[("schema",)],
        Snapshot.data[(*rec, "as_of")],
        Snapshot.data[(*rec, "project")],
        Snapshot.data[(*rec, "unplanned")],
    ).where(Snapshot.client == client)
    if as_of is not None:
        query = query.where(Snapshot.as_of <= as_of)
    with sessions(engine)() as session:
        rows = session.execute(query.order_by(Snapshot.as_of))
        keys = ("schema", "as_of", "project", "unplanned")
        return [dict(zip(keys, row, strict=True)) for row in rows]


def newest(
    engine: Engine, client: str, as_of: date | None = None, *, count: int = 1
) -> list[dict[str, Any]]:
    """The newest `count` snapshots of a client up to `as_of` (all dates when None), whole,
    oldest first."""
    query = select(Snapshot.data).where(Snapshot.client == client)
    if as_of is not None:
        query = query.where(Snapshot.as_of <= as_of)
    with sessions(engine)() as session:
        found = session.execute(query.order_by(Snapshot.as_of.desc()).limit(count)).scalars()
        return [dict(d) for d in reversed(list(found))]
