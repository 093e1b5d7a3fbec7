"""Several processes on one Trello token stay within Trello's limits together (the short form
of `bench/budget.py`)."""

from __future__ import annotations

import pytest

from bench.budget import run_setup, sandbox_config
from bench.throughput import Load
from syncd.sandbox import Sandbox
from tests.services import require

LOAD = Load(clients=24, issues=10, cards=10)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("setup", "broker"),
    [
        pytest.param("redis", "redis", marks=pytest.mark.redis),
        pytest.param("rabbitmq", "rabbitmq", marks=pytest.mark.rabbitmq),
    ],
)
def test_run_and_four_workers_on_one_trello_token_get_no_429(setup: str, broker: str) -> None:
    """`syncd run` + 4 `syncd worker` pulling and pushing 24 boards on one token with Trello's
    limits on: every client done, well over one window's worth of requests, not one 429."""
    require("postgres")
    require(broker)
    with Sandbox(sandbox_config(LOAD)) as sb:
        result = run_setup(sb, LOAD, setup, workers=4)
    assert "failed" not in result, result.get("failed")
    assert result["trello_requests"] > 200  # two full windows: the limit was in play
    assert result["trello_429"] == 0
