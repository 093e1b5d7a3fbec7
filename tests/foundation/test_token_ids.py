"""Token ids are never handed out twice: a revoked token's id names no later token."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy.engine import Engine

from syncd.db import make_engine
from syncd.migrate import alembic_config, upgrade
from syncd.store.tokens import list_tokens, revoke_token
from syncd.web.auth import create_token, lookup


def newest_id(engine: Engine) -> int:
    return list_tokens(engine)[-1].id


def test_a_revoked_id_is_not_reused(engine: Engine) -> None:
    """After revoking the newest token, the next token gets a new id (SQLite and PostgreSQL)."""
    create_token(engine, name="first")
    create_token(engine, name="second")
    revoked = newest_id(engine)
    assert revoke_token(engine, revoked)
    token = create_token(engine, name="third")
    principal = lookup(engine, token)
    assert principal is not None and principal.token_id > revoked
    assert not revoke_token(engine, revoked)


def test_upgrade_keeps_tokens_and_stops_reuse(tmp_path: Path) -> None:
    """A SQLite store made at revision 0002 keeps its tokens through the upgrade, and from then
    on a revoked id stays unused."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        kept = create_token(engine, name="kept")
        create_token(engine, name="revoked")
        upgrade(engine)
        assert [t.name for t in list_tokens(engine)] == ["kept", "revoked"]
        assert lookup(engine, kept) is not None
        revoked = newest_id(engine)
        revoke_token(engine, revoked)
        assert newest_id(engine) < revoked
        create_token(engine, name="new")
        assert newest_id(engine) > revoked
    finally:
        engine.dispose()
