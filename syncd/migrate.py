"""Bring a database to the newest schema with Alembic (`syncd db upgrade`; the daemon on start)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0004"  # the newest revision under migrations/versions (a test holds it to Alembic's)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def is_current(engine: Engine) -> bool:
    """Whether the database already stands at `HEAD`: one query, without loading Alembic or
    its scripts. Any doubt (no table, another revision, several rows) answers False."""
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return list(stored) == [HEAD]
    except SQLAlchemyError:
        return False


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied; safe to run on every start (a current schema
    costs one query)."""
    if is_current(engine):
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
