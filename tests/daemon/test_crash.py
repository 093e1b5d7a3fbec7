"""SIGKILL the daemon at random points of a large sync and push cycle; nothing lost or doubled
(the embedded broker; the shared brokers each have a file of their own: `test_crash_*.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox
from tests.daemon import crash

pytestmark = pytest.mark.slow  # crash loops: daemons killed and restarted


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with crash.crash_sandbox() as sb:
        yield sb


def test_sigkill_at_random_points_loses_and_doubles_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Embedded default: six SIGKILLs mid-cycle, then every item once and one comment, one card."""
    crash.on_embedded_broker(sandbox, tmp_path)
