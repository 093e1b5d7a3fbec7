"""What syncd last wrote to each target of a connector (`push_state`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd.db import PushState
from syncd.model import utcnow
from syncd.store.base import sessions


def pushed_remotes(engine: Engine, client: str, source: str) -> list[dict[str, Any]]:
    """What the pushes of one connector wrote where (`PushState.remote` of each target)."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(PushState.remote).where(PushState.client == client, PushState.source == source)
        ).scalars()
        return [dict(remote) for remote in rows]


def pushed_digest(session: Session, client: str, source: str, target: str) -> str | None:
    """The digest of the status last written to one target, None when none was."""
    state = session.get(PushState, (client, source, target))
    return state.body_hash if state is not None else None


def known_remote(engine: Engine, client: str, source: str, target: str) -> dict[str, Any]:
    """What the last push to one target wrote where (the remote ids it may write to again)."""
    with sessions(engine)() as session:
        state = session.get(PushState, (client, source, target))
        return dict(state.remote) if state is not None else {}


def record_push(
    engine: Engine, client: str, source: str, target: str, *, remote: dict[str, Any], digest: str
) -> None:
    """Remember a push to one target: what it wrote where, and the status's digest."""
    with sessions(engine).begin() as session:
        state = session.get(PushState, (client, source, target))
        if state is None:
            state = PushState(client=client, source=source, target=target)
            session.add(state)
        state.remote, state.body_hash, state.pushed_at = remote, digest, utcnow()
