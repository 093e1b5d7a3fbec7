"""The rolling request windows every process of a deployment shares (`rate_windows`, UNLOGGED
on PostgreSQL: the windows last seconds): one row per credential, its request times as the
server's epoch seconds, read `FOR UPDATE` in key order (a request needing two credentials
cannot deadlock another) and written back in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, extract, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from syncd.db import RateWindow
from syncd.errors import TransientError

Windows = dict[str, list[float]]  # request times by credential key
Decide = Callable[[float, Windows], tuple[float, Windows]]  # (now, windows) -> (wait, windows)


def take(engine: Engine, keys: list[str], decide: Decide) -> float:
    """Lock the windows of `keys` (made first when missing), let `decide` say the wait and the
    windows to keep from the server's time and the windows, write them, and return the wait.

    A database that cannot be reached is a TransientError: the request is retried, then the
    job, rather than sent over budget."""
    try:
        with engine.begin() as conn:
            now, windows = _locked(conn, sorted(keys))
            wait, windows = decide(now, windows)
            conn.execute(_WRITE, [{"k": key, "s": window} for key, window in windows.items()])
            return wait
    except OperationalError as exc:
        raise TransientError(f"rate budget in PostgreSQL: {type(exc).__name__}") from exc


def _locked(conn: Connection, keys: list[str]) -> tuple[float, Windows]:
    """The server's time and the windows of `keys`, each row locked until the transaction ends
    (made first when missing)."""
    rows = conn.execute(_LOCK, {"keys": keys}).all()
    if len(rows) < len(keys):
        fresh = [{"key": key, "stamps": []} for key in keys]
        conn.execute(insert(RateWindow).values(fresh).on_conflict_do_nothing())
        rows = conn.execute(_LOCK, {"keys": keys}).all()
    now = float(rows[0][2])
    return now, {key: [float(s) for s in stamps or ()] for key, stamps, _ in rows}


# Built once: a request's budget runs these two for every request syncd sends.
_LOCK = (
    select(RateWindow.key, RateWindow.stamps, extract("epoch", func.clock_timestamp()))
    .where(RateWindow.key.in_(bindparam("keys", expanding=True)))
    .order_by(RateWindow.key)
    .with_for_update()
)
_WRITE = update(RateWindow).where(RateWindow.key == bindparam("k")).values(stamps=bindparam("s"))
