"""Soak on the embedded broker: the daemon runs many cycles against a faulty sandbox, is
SIGKILLed and restarted, and still loses and doubles nothing (see `soak.py` for the weather)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox
from tests.daemon import harness as h
from tests.soak.soak import soak, soak_sandbox, verify

pytestmark = pytest.mark.slow  # soaks: minutes of faults and restarts


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with soak_sandbox() as sb:
        yield sb


def test_soak_on_the_embedded_default(sandbox: Sandbox, tmp_path: Path) -> None:
    """Faults, 429 bursts, a SIGKILL and a restart (the embedded broker restarts with it)."""
    board = sandbox.board_ids[0]
    dep = h.Deployment(tmp_path, sandbox, webhooks=False)
    dep.write_clients([("soak", "ACME", board)], poll=0.05)
    try:
        soak(dep, sandbox, board)
        verify(dep, sandbox, board)
    finally:
        dep.kill_all()
