"""Request budgets per credential, kept in total by every process that uses the credential.

* `Rate` (`syncd.rate`) names one budget: a credential's key (`credential_key`: a hash, never
  the secret) with a limit per rolling window, e.g. 90 requests / 10 s for one Trello token.
* `Budget` is what `syncd.http.Remote` draws from before each request: `try_acquire` takes one
  slot in every window of a request's rates, or says how long to wait first; `observe` aligns a
  window with the remote's own count (Trello's usage headers).
* `LocalBudget` counts in this process only: the embedded default, where one process does the
  work. `RedisBudget` and `PostgresBudget` (`syncd.budget_shared`) keep the windows in the
  shared broker or database, so four workers on two machines share Trello's 100 requests per
  10 s per token instead of taking 100 each.

`for_settings` chooses at process start (`syncd.runtime.install`): Redis when the broker is
`redis://`, PostgreSQL when the store is, else this process alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from syncd.clock import SYSTEM, Clock
from syncd.rate import Rate

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def credential_key(service: str, secret: str) -> str:
    """A name for a credential's budget that does not reveal the credential."""
    return f"{service}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"


class Budget(Protocol):
    """Rolling windows keyed by credential. `shared` backends do I/O (run off the event loop).
    `clock` is what a wait for a window to slide passes on: a local budget's own, the system's
    for a shared one (its windows run on the server's time)."""

    shared: bool
    clock: Clock

    def try_acquire(self, rates: Sequence[Rate]) -> float:
        """Take one slot in every window of `rates`, or return the seconds to wait first."""

    def observe(self, rate: Rate, used: int) -> None:
        """The remote counts `used` requests in its current window: never let the window hold
        fewer (another program on the same credential, or this one before a restart)."""

    def close(self) -> None:
        """Let go of connections."""


async def acquire(budget: Budget, rates: Sequence[Rate]) -> None:
    """Wait (on the budget's clock) until `budget` grants one request under every rate of
    `rates`."""
    if not rates:
        return
    while True:
        if budget.shared:
            wait = await asyncio.to_thread(budget.try_acquire, rates)
        else:
            wait = budget.try_acquire(rates)
        if wait <= 0:
            return
        await budget.clock.pause(wait + 0.001)


@dataclass
class Window:
    """A rolling window: at most `limit` events in any `seconds`-long span."""

    limit: int
    seconds: float
    events: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[len(self.events) - self.limit] + self.seconds - now


class LocalBudget:
    """The windows of this process, shared by its threads and event loops, timed by `clock`."""

    shared = False

    def __init__(self, clock: Clock = SYSTEM) -> None:
        self._windows: dict[str, Window] = {}
        self._lock = threading.Lock()
        self.clock = clock

    def _window(self, rate: Rate) -> Window:
        window = self._windows.get(rate.key)
        if window is None or (window.limit, window.seconds) != (rate.limit, rate.seconds):
            window = self._windows[rate.key] = Window(rate.limit, rate.seconds)
        return window

    def try_acquire(self, rates: Sequence[Rate]) -> float:
        with self._lock:
            now = self.clock.monotonic()
            windows = [self._window(rate) for rate in rates]
            wait = max((w.wait_time(now) for w in windows), default=0.0)
            if wait > 0:
                return wait
            for window in windows:
                window.events.append(now)
            return 0.0

    def observe(self, rate: Rate, used: int) -> None:
        with self._lock:
            window = self._window(rate)
            now = self.clock.monotonic()
            window.wait_time(now)  # forget what left the window
            missing = min(used, window.limit) - len(window.events)
            window.events.extend([now] * max(0, missing))

    def close(self) -> None:
        return None


def for_settings(broker_url: str, db_url: str, engine: Engine | None = None) -> Budget:
    """The budget for a process of this deployment: Redis when the broker is Redis (one round
    trip, no disk), else PostgreSQL when the store is, else this process alone."""
    if broker_url.startswith(("redis://", "rediss://")):
        from syncd.budget_shared import RedisBudget

        return RedisBudget(broker_url)
    if db_url.startswith(("postgresql://", "postgresql+psycopg://")):
        from syncd.budget_shared import PostgresBudget
        from syncd.db import make_engine

        return PostgresBudget(engine if engine is not None else make_engine(db_url))
    return LocalBudget()


_current: Budget = LocalBudget()
_lock = threading.Lock()


def install(budget: Budget) -> Budget:
    """Make `budget` the one every `Remote` of this process draws from (the last one closed)."""
    global _current
    with _lock:
        previous, _current = _current, budget
    if previous is not budget:
        previous.close()
    return budget


def current() -> Budget:
    return _current
