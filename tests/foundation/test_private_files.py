"""The SQLite store holds rotated OAuth refresh tokens: its folder and files are private."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets others read new files, as on many servers."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def store_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


@pytest.mark.usefixtures("open_umask")
def test_new_data_directory_and_database_files_are_private(tmp_path: Path) -> None:
    """A data directory syncd makes is 0700 (with any folder above it that it makes), and the
    database, -wal and -shm files are 0600, even under umask 022."""
    settings = Settings(data_dir=tmp_path / "srv" / "data", config_dir=tmp_path)
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM tokens"))
            db = tmp_path / "srv" / "data" / "syncd.db"
            assert [mode(f) for f in store_files(db)] == [0o600, 0o600, 0o600]
    finally:
        engine.dispose()
    assert mode(tmp_path / "srv" / "data") == 0o700
    assert mode(tmp_path / "srv") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_database_files_of_an_older_version_are_made_private(tmp_path: Path) -> None:
    """A store that an older syncd left world-readable is 0600 once syncd opens it again."""
    db = tmp_path / "syncd.db"
    with sqlite3.connect(db) as old:
        old.execute("PRAGMA journal_mode=WAL")
        old.execute("CREATE TABLE t (x)")
        db.chmod(0o644)
        assert mode(db) == 0o644
        engine = make_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM t"))
                assert [mode(f) for f in store_files(db)] == [0o600, 0o600, 0o600]
        finally:
            engine.dispose()
