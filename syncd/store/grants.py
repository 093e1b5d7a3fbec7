"""The newest refresh token of each OAuth grant (`oauth_grants`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from syncd.db import OAuthGrant
from syncd.model import utcnow
from syncd.store.base import sessions


class GrantKeeper:
    """Keeps the newest refresh token of each OAuth grant in the store, by `Grant.key`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"GrantKeeper({self.engine.url.render_as_string(hide_password=True)!r})"

    def load(self, grant: str) -> str | None:
        with sessions(self.engine)() as session:
            row = session.get(OAuthGrant, grant)
            return row.refresh_token if row is not None else None

    def save(self, grant: str, refresh_token: str) -> None:
        with sessions(self.engine).begin() as session:
            row = session.get(OAuthGrant, grant)
            if row is None:
                row = OAuthGrant(grant=grant)
                session.add(row)
            row.refresh_token, row.rotated = refresh_token, utcnow()
