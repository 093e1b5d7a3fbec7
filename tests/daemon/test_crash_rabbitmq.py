"""The crash cycle of `test_crash.py` on RabbitMQ with PostgreSQL and a second worker process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox
from tests.daemon import crash

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.rabbitmq]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with crash.crash_sandbox() as sb:
        yield sb


def test_the_same_cycle_on_rabbitmq_with_postgres_and_two_workers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """RabbitMQ, PostgreSQL, a daemon and a second worker process, six SIGKILLs mid-cycle and a
    restart: every item once, one comment, one card."""
    crash.on_shared_broker(sandbox, tmp_path, "rabbitmq")
