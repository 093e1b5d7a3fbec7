"""Migrations run one process at a time (advisory lock, lock file); workers wait for the schema."""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from syncd.clock import FakeClock
from syncd.db import make_engine
from syncd.errors import ConfigError, StartError
from syncd.migrate import (
    LOCK_KEY,
    alembic_config,
    current_revision,
    lock_path,
    upgrade,
    wait_for_head,
)
from tests.daemon.harness import wait_for
from tests.services import scratch_postgres

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@contextmanager
def advisory_lock_held(engine: Engine) -> Iterator[Callable[[], None]]:
    """Hold the migration advisory lock on a connection of our own; yields its release."""
    conn = engine.connect()
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
    conn.commit()

    def release() -> None:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        conn.commit()

    try:
        yield release
    finally:
        conn.close()


@contextmanager
def lock_file_held(database: Path) -> Iterator[Callable[[], None]]:
    """Hold the migration lock file beside a SQLite database; yields its release."""
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield lambda: fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def upgrade_blocked_until_released(
    engine: Engine, release: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    """Start an upgrade while the lock is held: it says it waits and migrates nothing until
    `release`, then brings the schema to head."""
    caplog.set_level(logging.INFO, logger="syncd.migrate")
    failures: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(engine)
        except BaseException as exc:  # handed to the test thread, which asserts none
            failures.append(exc)

    thread = threading.Thread(target=migrate, daemon=True)
    thread.start()
    wait_for(lambda: "waiting for it to finish" in caplog.text, 60, "the waiting line")
    assert thread.is_alive()
    assert current_revision(engine) is None
    release()
    thread.join(timeout=120)
    assert not thread.is_alive() and failures == []
    assert current_revision(engine) == HEAD


@pytest.mark.postgres
def test_upgrade_waits_for_the_postgres_advisory_lock(caplog: pytest.LogCaptureFixture) -> None:
    """An upgrade that finds PostgreSQL's migration lock taken waits, then migrates."""
    with scratch_postgres() as url:
        engine = make_engine(url)
        try:
            with advisory_lock_held(engine) as release:
                upgrade_blocked_until_released(engine, release, caplog)
        finally:
            engine.dispose()


def test_upgrade_waits_for_the_sqlite_lock_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgrade that finds the lock file beside the SQLite database taken waits, then
    migrates; the lock file is private (0600)."""
    database = tmp_path / "data" / "syncd.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with lock_file_held(database) as release:
            upgrade_blocked_until_released(engine, release, caplog)
        assert stat.S_IMODE(lock_path(database).stat().st_mode) == 0o600
    finally:
        engine.dispose()


def test_an_upgrade_after_another_has_nothing_left_to_do(tmp_path: Path) -> None:
    """A second upgrade (the process that waited for the lock) finds the schema at head."""
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(HEAD,)]
    engine.dispose()


def test_waiting_for_the_schema_returns_at_head_and_never_migrates(tmp_path: Path) -> None:
    """`wait_for_head` leaves an empty database empty and gives a StartError that says what to
    run once its timeout has passed on its clock (a fake one: ten minutes in no time); at head
    it returns."""
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    clock = FakeClock()
    start = clock.monotonic()
    with pytest.raises(StartError, match=r"no revision after 600s.*`syncd db upgrade`") as caught:
        wait_for_head(engine, timeout=600, every=5, clock=clock)
    assert "\n" not in str(caught.value)
    assert 600 <= clock.monotonic() - start <= 605
    assert current_revision(engine) is None
    upgrade(engine)
    wait_for_head(engine, timeout=0.2)
    engine.dispose()


class MigratedMeanwhile(FakeClock):
    """A clock during whose first wait `syncd run` migrates the database."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine, self.waits = engine, 0

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.waits += 1
        if self.waits == 1:
            upgrade(self.engine)


def test_a_worker_waiting_for_the_schema_starts_at_its_next_look(tmp_path: Path) -> None:
    """The schema reaches head while a worker waits: the worker's next look finds it and it
    returns, long before its timeout."""
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    clock = MigratedMeanwhile(engine)
    wait_for_head(engine, timeout=600, every=5, clock=clock)
    assert clock.waits == 1 and current_revision(engine) == HEAD
    engine.dispose()


def test_a_schema_newer_than_this_version_is_refused_at_once(tmp_path: Path) -> None:
    """A database a newer syncd migrated: the worker says to upgrade syncd instead of waiting."""
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StartError, match=r"revision 9999, which this syncd does not know"):
        wait_for_head(engine, timeout=3600)
    engine.dispose()


def test_an_unreachable_database_is_one_start_error_line() -> None:
    """No server on the port: a StartError naming the database, one line, no password."""
    from tests.daemon.harness import free_port

    engine = make_engine(f"postgresql://syncd:hunter22@127.0.0.1:{free_port()}/none")
    with pytest.raises(StartError) as caught:
        upgrade(engine)
    message = str(caught.value)
    assert message.startswith("database postgresql+psycopg://syncd:***@127.0.0.1:")
    assert "\n" not in message and "hunter22" not in message
    engine.dispose()


@pytest.mark.parametrize("url", ["postgres://x/y", "not a url", "mysql://a/b"])
def test_a_database_url_syncd_cannot_use_is_a_config_error(url: str) -> None:
    """A URL SQLAlchemy cannot parse or has no driver for names the setting."""
    with pytest.raises(ConfigError, match=r"^settings › database_url: "):
        make_engine(url)
