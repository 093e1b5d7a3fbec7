"""The real services the tests use, and what happens when one is missing.

With CI=true a missing service fails the test: CI must have it. Elsewhere the test is skipped
with the reason stated.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES_URL = os.environ.get("SYNCD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SYNCD_TEST_REDIS", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("SYNCD_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")

PORTS = {"postgres": 5432, "redis": 6379, "rabbitmq": 5672}


def reachable(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require(service: str) -> None:
    """Fail under CI, skip elsewhere, when `service` does not answer on its port."""
    port = PORTS[service]
    if reachable(port):
        return
    message = f"{service} is not reachable on 127.0.0.1:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the service must run)")
    pytest.skip(f"{message}; start it to run this test")


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A fresh PostgreSQL database for one test session, dropped afterwards."""
    require("postgres")
    import sqlalchemy as sa

    from syncd.db import make_engine

    name = f"syncd_t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
