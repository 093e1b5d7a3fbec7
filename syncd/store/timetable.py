"""The `schedule` table: when each client's next pull and each cadence of the communication
plan is due (one row per name), and the scheduler's lease, which elects the one scheduler.

Names are the callers' (``client:<id>``, ``comms:<client>:<entry>``, ``scheduler``); the
functions take a prefix where they read a family of rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd.db import Schedule
from syncd.store.base import CHUNK, sessions


def take_lease(engine: Engine, name: str, owner: str, *, now: datetime, lease: timedelta) -> bool:
    """Take or renew the lease of row `name` for `owner`; True while this owner holds it."""
    with sessions(engine).begin() as session:
        if session.get(Schedule, name) is None:
            session.add(Schedule(name=name, owner=None, lease_until=None, due_at=None))
            session.flush()
        result = session.execute(
            update(Schedule)
            .where(
                Schedule.name == name,
                or_(
                    Schedule.owner == owner,
                    Schedule.lease_until.is_(None),
                    Schedule.lease_until < now,
                ),
            )
            .values(owner=owner, lease_until=now + lease)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(session: Session, name: str) -> None:
    """Free the lease of row `name`, whoever held it."""
    session.execute(
        update(Schedule).where(Schedule.name == name).values(owner=None, lease_until=None)
    )


def names(session: Session, prefix: str) -> set[str]:
    """The names of the rows under `prefix`."""
    query = select(Schedule.name).where(Schedule.name.like(f"{prefix}%"))
    return set(session.execute(query).scalars())


def present(session: Session, wanted: Collection[str]) -> set[str]:
    """Which of these names have a row."""
    return set(session.execute(select(Schedule.name).where(Schedule.name.in_(wanted))).scalars())


def add(session: Session, due: Mapping[str, datetime | None]) -> None:
    """New rows, each first due at the given time (None: at once)."""
    session.add_all(
        [Schedule(name=name, due_at=at, owner=None, lease_until=None) for name, at in due.items()]
    )


def drop(session: Session, gone: Collection[str]) -> None:
    """Delete the rows of these names."""
    ordered = sorted(gone)
    for start in range(0, len(ordered), CHUNK):
        session.execute(delete(Schedule).where(Schedule.name.in_(ordered[start : start + CHUNK])))


def due(
    session: Session, prefix: str, now: datetime, *, limit: int, unset: bool = False
) -> list[str]:
    """The names under `prefix` whose time has come, the longest due first, at most `limit`;
    with `unset`, a row without a time is due too (first of all)."""
    query = select(Schedule.name).where(Schedule.name.like(f"{prefix}%"))
    if unset:
        query = query.where(or_(Schedule.due_at.is_(None), Schedule.due_at <= now))
        query = query.order_by(Schedule.due_at.asc().nulls_first(), Schedule.name)
    else:
        query = query.where(Schedule.due_at <= now).order_by(Schedule.due_at)
    return list(session.execute(query.limit(limit)).scalars())


def set_due(session: Session, due: Mapping[str, datetime | None]) -> None:
    """Move each row's next time (None: due at once)."""
    if not due:
        return
    table = cast(Table, Schedule.__table__)
    statement = update(table).where(table.c.name == bindparam("n")).values(due_at=bindparam("d"))
    session.connection().execute(statement, [{"n": n, "d": d} for n, d in due.items()])


def due_now(session: Session, wanted: Collection[str]) -> None:
    """Make these rows due at once."""
    session.execute(update(Schedule).where(Schedule.name.in_(wanted)).values(due_at=None))
