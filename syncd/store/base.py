"""What every part of the store shares: sessions on an engine, the chunk size of `IN`
lists, the digest of a JSON value."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

CHUNK = 500


def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory of `engine`, made once and kept on the engine. A new sessionmaker
    makes a Session subclass of its own, whose first session sets up its event dispatch: about
    0.1 ms each time, on every store call (some 60 of them per client and cycle)."""
    made: sessionmaker[Session] | None = engine.__dict__.get(_FACTORY)
    if made is None:
        made = engine.__dict__[_FACTORY] = sessionmaker(engine, expire_on_commit=False)
    return made


_FACTORY = "_syncd_sessions"


def digest(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def ping(engine: Engine) -> None:
    """Ask the database for nothing; whatever it raises says it cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
