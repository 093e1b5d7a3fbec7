"""What syncd last wrote to each target of a connector (`push_state`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.db import PushState
from syncd.store.base import sessions


def pushed_remotes(engine: Engine, client: str, source: str) -> list[dict[str, Any]]:
    """What the pushes of one connector wrote where (`PushState.remote` of each target)."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(PushState.remote).where(PushState.client == client, PushState.source == source)
        ).scalars()
        return [dict(remote) for remote in rows]
