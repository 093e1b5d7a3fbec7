"""syncd's store: the only code that reads and writes its tables (`syncd.db`), one module per
topic. Callers import the module or the functions they use: `from syncd.store import jobs`,
`from syncd.store.items import load_items`.

* `base`: sessions on an engine, the health check; `bulk`: many rows in one statement;
* `items`: pulled items, their history, worklogs and plan-task links; `pulls`: what a pull
  commits, with the cursor; `problems`: quarantined payloads, failed pulls and pushes, warnings;
  `runs`: pulls and pushes run;
* `baselines`: the plan's versions; the snapshots of each status date (here, for now);
* `jobs`: the durable jobs behind every queued message, their states; `work`: their kinds and
  what each carries; `inbox`: the webhook deliveries taken; `timetable`: when pulls and
  cadences are due, and the scheduler's lease;
* `pushes`: what was last written to each target; `webhooks`: the ones syncd registered;
  `grants`: rotated OAuth refresh tokens; `tokens`: the dashboard's access tokens;
* `comms`: deliveries, feedback and signing keys; `rates`: the shared rate windows;
* `overview`: what the dashboard reads across every client at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd.db import Snapshot
from syncd.model import utcnow
from syncd.store.base import digest, sessions
from syncd.store.items import load_items

__all__ = ["load_items", "load_snapshots", "newest_status_date", "save_snapshot", "sessions"]


def save_snapshot(
    session: Session, client: str, as_of: date, *, baseline_version: int, data: dict[str, Any]
) -> Snapshot:
    """Store (or replace) the snapshot of one client and status date."""
    row = (
        session.execute(select(Snapshot).where(Snapshot.client == client, Snapshot.as_of == as_of))
        .scalars()
        .first()
    )
    status_hash = digest(data)
    if row is None:
        row = Snapshot(client=client, as_of=as_of)
        session.add(row)
    row.baseline_version, row.data, row.created = baseline_version, data, utcnow()
    row.status_hash = status_hash
    return row


def load_snapshots(engine: Engine, client: str) -> list[Snapshot]:
    with sessions(engine)() as session:
        query = select(Snapshot).where(Snapshot.client == client).order_by(Snapshot.as_of)
        return list(session.execute(query).scalars())


def newest_status_date(session: Session, client: str) -> date | None:
    """The status date of a client's newest snapshot; None when it has none."""
    return session.execute(
        select(func.max(Snapshot.as_of)).where(Snapshot.client == client)
    ).scalar()
