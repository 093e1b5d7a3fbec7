"""The crash cycle of test_crash.py on Redis and PostgreSQL with a second worker process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daemon.test_crash import crash_sandbox, shared_broker_cycle

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def test_the_same_cycle_on_redis_with_postgres_and_two_workers(tmp_path: Path) -> None:
    """Redis, PostgreSQL, a daemon and a second worker process, killed and restarted: every
    item once, one comment, one card."""
    with crash_sandbox() as sandbox:
        shared_broker_cycle(sandbox, tmp_path, "redis")
