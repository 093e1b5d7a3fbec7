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
    return sessionmaker(engine, expire_on_commit=False)


def digest(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def ping(engine: Engine) -> None:
    """Ask the database for nothing; whatever it raises says it cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
