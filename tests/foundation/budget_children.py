"""What the processes of the shared-budget test run: kept apart from the test module, so that
each spawned process imports only the budget and its store, not the test's fixtures."""

from __future__ import annotations

import time

from syncd.budget import Budget, LocalBudget
from syncd.budget_shared import PostgresBudget, RedisBudget
from syncd.db import make_engine
from syncd.rate import Rate

LIMIT, WINDOW, EACH = 6, 1.0, 6


def build(kind: str, url: str = "") -> Budget:
    """A budget of `kind`; shared ones reach the service at `url`."""
    if kind == "redis":
        return RedisBudget(url)
    if kind == "postgres":
        return PostgresBudget(make_engine(url))
    return LocalBudget()


def take_some(kind: str, url: str, shared: Rate, go: object, out: object) -> None:
    """In a child process: wait for the start, then take EACH slots, recording for each when
    the call that got it began and ended (the slot was taken in between)."""
    made = build(kind, url)
    go.wait(120)  # type: ignore[attr-defined]  # a Barrier: every process ready, then all go
    spans = []
    for _ in range(EACH):
        while True:
            began = time.monotonic()
            wait = made.try_acquire((shared,))
            if wait <= 0:
                spans.append((began, time.monotonic()))
                break
            time.sleep(wait + 0.001)
    out.put(spans)  # type: ignore[attr-defined]
