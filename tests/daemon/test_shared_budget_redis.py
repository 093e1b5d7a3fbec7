"""Several processes on one Trello token stay within Trello's limits together, on Redis."""

from __future__ import annotations

import pytest

from tests.daemon.shared_budget import run_and_four_workers_get_no_429

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def test_run_and_four_workers_on_one_trello_token_get_no_429_on_redis() -> None:
    """`syncd run` + 4 `syncd worker` on Redis pulling and pushing 24 boards on one token with
    Trello's limits on: every client done, well over one window's worth of requests, not one 429."""
    run_and_four_workers_get_no_429("redis")
