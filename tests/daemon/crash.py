"""The crash cycle: SIGKILL the daemon at random points of a large sync and push cycle, then
check that nothing was lost or doubled. One test file per broker (`test_crash*.py`) runs it, so
the cycles, the suite's longest tests, run side by side on parallel workers."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syncd.sandbox import Sandbox, SandboxConfig
from tests.daemon import harness as h
from tests.services import RABBITMQ_URL, REDIS_URL, require, scratch_postgres

KILLS = 6


@contextmanager
def crash_sandbox() -> Iterator[Sandbox]:
    """The sandbox every crash cycle runs against: 1,200 issues and 500 cards, 2 ms latency."""
    cfg = SandboxConfig(
        seed=11, jira_issues=1200, trello_cards=500, projects=("ACME",), latency_ms=2
    )
    with Sandbox(cfg) as sb:
        yield sb


def settle(dep: h.Deployment, sb: Sandbox, board: str, timeout: float = 120) -> None:
    """Wait until every item is stored and both targets hold the latest status."""
    engine = dep.engine()
    want = {"crash-jira": h.jira_count(sb, "ACME"), "crash-board": h.trello_count(sb, board)}

    def done() -> bool:
        return (
            h.stored_counts(engine) == want
            and len(h.pushed_targets(engine)) == 2
            and h.open_jobs(engine, "push") == 0
            and h.open_jobs(engine, "reconcile") == 0
        )

    try:
        h.wait_for(done, timeout, f"{want} stored and pushed")
    except AssertionError:
        raise AssertionError(
            f"stored {h.stored_counts(engine)} want {want}; pushed {h.pushed_targets(engine)};"
            f"\n{dep.log_tail()}"
        ) from None
    finally:
        engine.dispose()


def check_invariants(dep: h.Deployment, sb: Sandbox, board: str) -> None:
    engine = dep.engine()
    try:
        assert h.duplicate_keys(engine) == []
        assert h.registered_webhooks(engine) == {("crash", "crash-jira"), ("crash", "crash-board")}
        assert h.cursors_consistent(engine, sb, "crash") == []
    finally:
        engine.dispose()
    assert h.status_comments(sb, "ACME-1") == 1
    [card] = h.status_cards(sb, board)
    assert h.card_comments(sb, card.id) <= 1


def crash_cycle(dep: h.Deployment, sb: Sandbox, board: str, *, workers: int = 0) -> None:
    rng = random.Random(5)
    for round_ in range(KILLS):
        dep.start("run")
        for _ in range(workers):
            dep.start("worker", log_name="worker.log")
        time.sleep(rng.uniform(0.3, 3.0))
        dep.kill_all(signal.SIGKILL)
        if round_ % 2:
            sb.advance(hours=6)  # the team moves on between crashes: new changes to pull
    proc = dep.start("run")
    for _ in range(workers):
        dep.start("worker", log_name="worker.log")
    settle(dep, sb, board)
    check_invariants(dep, sb, board)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, dep.log_tail()
    dep.kill_all(signal.SIGTERM)


def on_embedded_broker(sandbox: Sandbox, root: Path) -> None:
    """Embedded default: six SIGKILLs mid-cycle, then every item once and one comment, one card."""
    board = sandbox.board_ids[0]
    dep = h.Deployment(root, sandbox)
    dep.write_clients([("crash", "ACME", board)])
    try:
        crash_cycle(dep, sandbox, board)
    finally:
        dep.kill_all()


def on_shared_broker(sandbox: Sandbox, root: Path, broker: str) -> None:
    """Redis or RabbitMQ, PostgreSQL, a daemon and a second worker process, killed and restarted."""
    require(broker)
    board = sandbox.board_ids[0]
    with scratch_postgres() as db_url:
        url = REDIS_URL if broker == "redis" else RABBITMQ_URL
        dep = h.Deployment(root, sandbox, database_url=db_url, broker_url=url, lease_seconds=8)
        dep.write_clients([("crash", "ACME", board)])
        _flush_broker(url, dep.queue_name)
        try:
            crash_cycle(dep, sandbox, board, workers=1)
        finally:
            dep.kill_all()
            _flush_broker(url, dep.queue_name)


def _flush_broker(url: str, queue: str) -> None:
    """Start from an empty queue: messages of an earlier run name rows that no longer exist.
    The queue is this test's own, so runs that share the broker never meet."""
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"dramatiq:{queue}*"):
            client.delete(key)
        client.close()
    else:
        import pika

        conn = pika.BlockingConnection(pika.URLParameters(url))
        channel = conn.channel()
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            channel.queue_delete(queue=name)
        conn.close()
