"""test_shared_budget.py's run on RabbitMQ, the budget in PostgreSQL."""

from __future__ import annotations

import pytest

from tests.daemon.test_shared_budget import four_workers_on_one_token

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.rabbitmq]


def test_run_and_four_workers_on_one_trello_token_get_no_429_on_rabbitmq() -> None:
    """`syncd run` + 4 `syncd worker` on RabbitMQ, the shared budget in PostgreSQL: every client
    done, well over one window's worth of requests, not one 429."""
    four_workers_on_one_token("rabbitmq", "rabbitmq")
