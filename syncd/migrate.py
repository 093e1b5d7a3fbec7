"""Bring a database to the newest schema with Alembic, one process at a time.

`upgrade` (`syncd db upgrade`, `syncd run`, the one-shot commands) holds the migration lock for
the whole upgrade: a PostgreSQL advisory lock on the migration connection, or an exclusive
`flock` on `<database>.migrate.lock` beside a SQLite file. A process that finds the lock taken
says so, waits, then finds the schema at head and has nothing left to do. `wait_for_head`
(`syncd worker`) never migrates: it polls until the schema is at head, for a bounded time.

Database and migration failures leave here as one-line `StartError`s.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from syncd.clock import SYSTEM, Clock
from syncd.errors import StartError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_KEY = 0x73796E6364  # "syncd": the advisory lock key every syncd process migrates under
LOCK_FILE_MODE = 0o600

log = logging.getLogger(__name__)
HEAD = "0009"  # the newest revision under migrations/versions (a test holds it to Alembic's)


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
    """Apply every migration not yet applied, under the migration lock; safe to run on every
    start and from several processes at once (a current schema costs one query, no lock)."""
    if is_current(engine):
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _failures(engine), engine.connect() as conn, migration_lock(conn), conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def wait_for_head(
    engine: Engine, *, timeout: float, every: float = 0.5, clock: Clock = SYSTEM
) -> None:
    """Return once the schema is at this version's head; never migrate. A StartError after
    `timeout` seconds (on `clock`, looking every `every`), or at once when the database holds a
    revision this version does not know (a newer syncd migrated it)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    head = scripts.get_current_head()
    known = {rev.revision for rev in scripts.walk_revisions()}
    deadline = clock.monotonic() + timeout
    said = False
    with _failures(engine):
        while (current := current_revision(engine)) != head:
            if current is not None and current not in known:
                raise StartError(
                    f"database schema is at revision {current}, which this syncd does not know"
                    f" (its newest is {head}): upgrade syncd on this machine"
                )
            if clock.monotonic() >= deadline:
                raise StartError(
                    f"database schema still at {current or 'no revision'} after {timeout:g}s,"
                    f" not {head}: run `syncd db upgrade` or start `syncd run`"
                    " (SYNCD_SCHEMA_WAIT_SECONDS sets how long workers wait)"
                )
            if not said:
                log.info(
                    "waiting for the database schema: at %s, this syncd needs %s"
                    " (`syncd run` or `syncd db upgrade` migrates it)",
                    current or "no revision",
                    head,
                )
                said = True
            clock.sleep(every)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def migration_lock(conn: Connection) -> Iterator[None]:
    """Hold the migration lock of `conn`'s database (none for an in-memory SQLite)."""
    if conn.dialect.name == "postgresql":
        with _advisory_lock(conn):
            yield
    elif conn.dialect.name == "sqlite" and conn.engine.url.database not in (None, "", ":memory:"):
        with _file_lock(lock_path(Path(str(conn.engine.url.database)))):
            yield
    else:
        yield


def lock_path(database: Path) -> Path:
    """The lock file beside a SQLite database file."""
    return database.with_name(database.name + ".migrate.lock")


@contextmanager
def _advisory_lock(conn: Connection) -> Iterator[None]:
    key = {"key": LOCK_KEY}
    if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
        log.info("another process is migrating the database; waiting for it to finish")
        conn.execute(text("SELECT pg_advisory_lock(:key)"), key)
    conn.commit()
    try:
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            conn.commit()
        except SQLAlchemyError:
            conn.invalidate()  # the session ends, and the lock with it


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, LOCK_FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is migrating %s; waiting for it to finish", path.parent)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _failures(engine: Engine) -> Iterator[None]:
    """Database, Alembic and lock-file failures as one StartError line naming the database."""
    from alembic.util import CommandError

    try:
        yield
    except (SQLAlchemyError, CommandError, OSError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        cause = getattr(exc, "orig", None) or exc
        reason = " ".join(line.strip() for line in str(cause).splitlines() if line.strip())
        raise StartError(f"database {where}: {reason or type(cause).__name__}") from exc
