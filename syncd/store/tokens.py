"""The dashboard's and the API's access tokens (`tokens`), kept only as digests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.db import Token
from syncd.model import utcnow
from syncd.store.base import sessions


def add_token(engine: Engine, digest: str, *, client: str | None, name: str) -> None:
    """Keep a new token's digest, its scope (one client, or None: every client) and a note."""
    with sessions(engine).begin() as session:
        session.add(Token(digest=digest, client=client, name=name[:100], created=utcnow()))


def list_tokens(engine: Engine) -> list[Token]:
    """Every token's id, scope, note and creation time (the digests say nothing useful)."""
    with sessions(engine)() as session:
        return list(session.execute(select(Token).order_by(Token.id)).scalars())


def revoke_token(engine: Engine, token_id: int) -> bool:
    """Delete a token by id: its next request is refused. False when there is no such id."""
    with sessions(engine).begin() as session:
        row = session.get(Token, token_id)
        if row is None:
            return False
        session.delete(row)
        return True


def find_token(engine: Engine, digest: str) -> tuple[int, str | None] | None:
    """The id and scope of the token with this digest, or None when there is none."""
    with sessions(engine)() as session:
        row = session.execute(select(Token.id, Token.client).where(Token.digest == digest))
        found = row.first()
    return None if found is None else (found[0], found[1])
