"""Pooled connections: pinged only after a rest, and replaced when the server dropped them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from syncd.db import make_engine
from tests.services import POSTGRES_URL, scratch_postgres


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_postgres() as url:
        yield url


def count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the dialect pings (a list, so it can be read while it grows)."""
    pings = [0]
    real = engine.dialect.do_ping

    def counted(dbapi: Any) -> bool:
        pings[0] += 1
        return real(dbapi)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_a_connection_used_a_moment_ago_is_not_pinged_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(postgres_url, ping_after_idle=0.3)
    pings = count_pings(engine, monkeypatch)
    first = backend(engine)
    for _ in range(20):
        assert backend(engine) == first  # the same pooled connection, straight back
    assert pings[0] == 0
    time.sleep(0.4)
    assert backend(engine) == first
    assert pings[0] == 1  # it rested: pinged once, then used
    engine.dispose()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_while_it_rested_is_replaced(postgres_url: str) -> None:
    engine = make_engine(postgres_url, ping_after_idle=0.05)
    gone = backend(engine)
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": gone})
    admin.dispose()
    time.sleep(0.1)
    assert backend(engine) != gone  # no error: the ping found it gone, the pool made another
    engine.dispose()
