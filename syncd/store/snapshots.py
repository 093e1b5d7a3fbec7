"""The stored snapshots of a client, as the JSON they were stored as.

Reading them into typed values is the caller's (`syncd.plan.snapshot.StatusSnapshot.from_dict`):
the store knows rows, not what a reconciliation is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.db import Snapshot
from syncd.store import sessions


def history(engine: Engine, client: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every snapshot of a client up to `as_of` (all when None), oldest first."""
    with sessions(engine)() as session:
        query = select(Snapshot.data).where(Snapshot.client == client)
        if as_of is not None:
            query = query.where(Snapshot.as_of <= as_of)
        return [dict(d) for d in session.execute(query.order_by(Snapshot.as_of)).scalars()]
