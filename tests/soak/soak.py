"""Soak: the daemon runs many cycles against a faulty sandbox and still loses and doubles nothing.

5 % of requests fail (500/502/503) or drop the connection, Jira answers bursts of 429 with
Retry-After, Trello enforces its published limits, the team keeps changing items, the broker is
restarted and the daemon is SIGKILLed. Afterwards every item is stored once and current, no
cursor is ahead of committed data, each target holds one status comment and one status card,
dead letters hold only permanent errors, and Trello never had to refuse a request.

The short form runs in CI. `SYNCD_SOAK_CYCLES=40` (or more) runs a longer soak on demand.
The soaks are `test_soak.py` (the embedded broker) and `test_soak_redis.py` (a Redis that is
restarted), a file each so that they run side by side on parallel workers.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from syncd.sandbox import Faults, Sandbox, SandboxConfig
from syncd.store import jobs
from tests.daemon import harness as h

CYCLES = int(os.environ.get("SYNCD_SOAK_CYCLES", "6"))
FAULTS = Faults(error_rate=0.03, drop_rate=0.02, jira_429_every=25, retry_after_s=1, seed=3)
PERMANENT = ("AuthError", "NotFoundError", "PermanentError", "ConfigError", "PlanError")


@contextmanager
def soak_sandbox() -> Iterator[Sandbox]:
    """600 issues and 250 cards behind Trello's limits, with faults and 429 bursts."""
    cfg = SandboxConfig(
        seed=21,
        jira_issues=600,
        trello_cards=250,
        projects=("ACME",),
        latency_ms=2,
        trello_limits=True,
        faults=FAULTS,
    )
    with Sandbox(cfg) as sb:
        yield sb


def millis(moment: datetime) -> datetime:
    """Jira's API shows times to the millisecond; the sandbox keeps microseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def current(dep: h.Deployment, sb: Sandbox, board: str) -> bool:
    """Every item stored, each as new as the sandbox's copy, and both targets pushed."""
    engine = dep.engine()
    try:
        from syncd.store.items import load_items

        items = {(i.source, i.key): i for i in load_items(engine, "soak")}
        pushed = len(h.pushed_targets(engine)) == 2 and h.open_jobs(engine, "push") == 0
    finally:
        engine.dispose()
    for issue in sb.state.issues.values():
        stored = items.get(("soak-jira", issue.key))
        if stored is None or stored.updated is None or stored.updated < millis(issue.updated):
            return False
    cards = sum(1 for (source, _) in items if source == "soak-board")
    return pushed and cards == h.trello_count(sb, board)


def diagnose(dep: h.Deployment, sb: Sandbox, board: str) -> str:
    """What is not current yet, for a failure message."""
    from syncd.store.items import load_items

    engine = dep.engine()
    try:
        items = {(i.source, i.key): i for i in load_items(engine, "soak")}
        stale = [
            (
                issue.key,
                issue.updated,
                getattr(items.get(("soak-jira", issue.key)), "updated", None),
            )
            for issue in sb.state.issues.values()
            if ("soak-jira", issue.key) not in items
            or (items[("soak-jira", issue.key)].updated or issue.updated) < millis(issue.updated)
        ]
        return (
            f"stale jira items {stale[:5]} ({len(stale)});"
            f" stored {h.stored_counts(engine)} trello want {h.trello_count(sb, board)};"
            f" pushed {h.pushed_targets(engine)}; open {h.open_jobs(engine)};"
            f" dead {[j.last_error for j in jobs.list_dead(engine)][:3]}\n{dep.log_tail()}"
        )
    finally:
        engine.dispose()


def soak(dep: h.Deployment, sb: Sandbox, board: str, restart_broker: object = None) -> None:
    proc = dep.start("run")
    for cycle in range(CYCLES):
        time.sleep(2.5)
        sb.advance(hours=4)
        if cycle == CYCLES // 3:
            dep.kill_all(signal.SIGKILL)  # the daemon dies mid-cycle
            proc = dep.start("run")
        if cycle == 2 * CYCLES // 3 and callable(restart_broker):
            restart_broker()
    sb.set_faults(Faults())  # calm weather to settle in
    try:
        h.wait_for(lambda: current(dep, sb, board), 180, "every item current and pushed", every=1)
    except AssertionError:
        raise AssertionError(diagnose(dep, sb, board)) from None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, dep.log_tail()
    dep.kill_all(signal.SIGTERM)


def verify(dep: h.Deployment, sb: Sandbox, board: str) -> None:
    engine = dep.engine()
    try:
        assert h.duplicate_keys(engine) == []
        assert h.cursors_consistent(engine, sb, "soak") == []
        dead = jobs.list_dead(engine)
        assert all((j.last_error or "").startswith(PERMANENT) for j in dead), [
            j.last_error for j in dead
        ]
    finally:
        engine.dispose()
    assert h.status_comments(sb, "ACME-1") == 1
    [card] = h.status_cards(sb, board)
    assert h.card_comments(sb, card.id) <= 1
    assert sb.stats()["faults"].get("trello-429", 0) == 0  # never over Trello's limits
