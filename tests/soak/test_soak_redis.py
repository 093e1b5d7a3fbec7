"""Soak on a Redis broker of the test's own that is restarted mid-soak: the daemon still loses
and doubles nothing (see `soak.py` for the weather)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox
from tests.daemon import harness as h
from tests.services import require
from tests.soak.soak import soak, soak_sandbox, verify

pytestmark = [pytest.mark.slow, pytest.mark.redis]  # soaks: minutes of faults and restarts


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with soak_sandbox() as sb:
        yield sb


def test_soak_with_a_redis_broker_that_restarts(sandbox: Sandbox, tmp_path: Path) -> None:
    """The same weather on a Redis broker of the test's own, which is restarted mid-soak."""
    require("redis")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: this soak starts a Redis of its own")
    port = h.free_port()
    command = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    redis_proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    h.wait_for(lambda: h.port_open(port), 20, "redis")

    def restart() -> None:
        nonlocal redis_proc
        redis_proc.kill()
        redis_proc.wait()
        time.sleep(1)
        redis_proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        h.wait_for(lambda: h.port_open(port), 20, "redis after restart")

    board = sandbox.board_ids[0]
    dep = h.Deployment(
        tmp_path, sandbox, broker_url=f"redis://127.0.0.1:{port}/0", lease_seconds=8, webhooks=False
    )
    dep.write_clients([("soak", "ACME", board)], poll=0.05)
    try:
        soak(dep, sandbox, board, restart_broker=restart)
        verify(dep, sandbox, board)
    finally:
        dep.kill_all()
        redis_proc.kill()
        redis_proc.wait()
