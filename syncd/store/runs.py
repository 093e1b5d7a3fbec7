"""The runs of pulls and pushes: when each started and ended, and how it went."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from syncd import redact
from syncd.db import Run
from syncd.model import utcnow
from syncd.store.base import sessions


def start_run(engine: Engine, client: str, source: str | None, kind: str) -> int:
    with sessions(engine).begin() as session:
        run = Run(client=client, source=source, kind=kind, started=utcnow())
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    engine: Engine, run_id: int, *, ok: bool, items: int = 0, requests: int = 0, error: str = ""
) -> None:
    with sessions(engine).begin() as session:
        run = session.get(Run, run_id)
        if run is None:
            return
        run.finished, run.ok, run.items, run.requests = utcnow(), ok, items, requests
        run.error = redact.text(error)[:2000] or None
