"""Several processes on one Trello token stay within Trello's limits together (the short form
of `bench/budget.py`). One test file per broker (`test_shared_budget_*.py`) runs it, so the two
runs, each paced by Trello's limits, go side by side on parallel workers."""

from __future__ import annotations

from bench.budget import run_setup, sandbox_config
from bench.throughput import Load
from syncd.sandbox import Sandbox
from tests.services import require

LOAD = Load(clients=24, issues=10, cards=10)


def run_and_four_workers_get_no_429(broker: str) -> None:
    """`syncd run` + 4 `syncd worker` pulling and pushing 24 boards on one token with Trello's
    limits on, the budget kept in `broker`: every client done, well over one window's worth of
    requests, not one 429."""
    require("postgres")
    require(broker)
    with Sandbox(sandbox_config(LOAD)) as sb:
        result = run_setup(sb, LOAD, broker, workers=4)
    assert "failed" not in result, result.get("failed")
    assert result["trello_requests"] > 200  # two full windows: the limit was in play
    assert result["trello_429"] == 0
