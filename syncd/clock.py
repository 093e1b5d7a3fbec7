"""Time, injected: now, monotonic seconds and every wait go through a `Clock`.

* `SystemClock` (the default everywhere, `SYSTEM`) is the machine's clock: `datetime.now(UTC)`,
  `time.monotonic`, `time.sleep`, `asyncio.sleep`, `threading.Event.wait`.
* `FakeClock` moves only when told, so a test of a lease, a backoff, a due time or a pace runs
  at once and never reads the wall clock. Shipped in the package for any test that wants it
  (the connector conformance suite among them).

Waits come in three kinds. `sleep` (a thread's own wait) and `pause` (a task's own wait, async)
are the caller waiting for time to pass: on a `FakeClock` they move the time at once.
`wait(event, seconds)` is a background loop's cadence (a heartbeat, a scheduler tick), ended
early by `event`: on a `FakeClock` it returns when the event is set or when someone moves the
time past its end (`advance`), so a test drives the loop one step at a time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # asyncio loads on the first pause: reading client files does not need it
    import asyncio

__all__ = ["SYSTEM", "Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """Where syncd reads the time and waits."""

    def now(self) -> datetime:
        """Now, aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds that only grow, for intervals and deadlines (no meaning across processes)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block this thread for `seconds`."""
        ...

    async def pause(self, seconds: float) -> None:
        """Suspend this task for `seconds`; the event loop runs the others meanwhile."""
        ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Block until `event` is set or `seconds` have passed; True when it was set."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def pause(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM: Clock = SystemClock()

FAKE_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday morning
HOPS = 8  # turns of the event loop a paused task's wake-up waits, so others pause first
POLL = 0.005  # real seconds between looks at a `wait`'s event (set without telling the clock)


class FakeClock:
    """A clock that moves only when told: by `advance`, or by a `sleep` or `pause`, which move
    it at once by the time asked.

    Tasks pausing together wake in the order of their ends, each with the time moved to its
    own end: the earliest first, after the others have had a few turns of the event loop to
    pause too. `waiters` counts the threads blocked in `wait`, so a test can advance once a
    background loop waits. A loop that pauses on it while waiting for something that runs on
    real time (another process's lock, a budget's window on the system clock) turns into a busy
    loop: such a wait belongs on the clock its condition runs on.
    """

    def __init__(self, start: datetime = FAKE_START, *, monotonic: float = 1000.0) -> None:
        if start.tzinfo is None:
            raise ValueError("a FakeClock starts at an aware datetime")
        self._start, self._base = start.astimezone(UTC), monotonic
        self._elapsed = 0.0
        self._changed = threading.Condition()
        self._pausing: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._stepping: set[asyncio.AbstractEventLoop] = set()
        self.waiters = 0

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now().isoformat()})"

    def now(self) -> datetime:
        with self._changed:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        with self._changed:
            return self._base + self._elapsed

    def advance(self, seconds: float | timedelta) -> None:
        """Move the time forward; tasks and threads whose wait ends by then wake."""
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if step < 0:
            raise ValueError("time does not run backwards")
        with self._changed:
            self._elapsed += step
            due = []
            while self._pausing and self._pausing[0][0] <= self._elapsed:
                due.append(heapq.heappop(self._pausing)[2])
            self._changed.notify_all()
        for waker in due:
            _resolve_soon(waker)

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    async def pause(self, seconds: float) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        waker: asyncio.Future[None] = loop.create_future()
        with self._changed:
            end = self._elapsed + max(0.0, seconds)
            heapq.heappush(self._pausing, (end, next(self._order), waker))
        self._step_soon(loop)
        await waker

    def wait(self, event: threading.Event, seconds: float) -> bool:
        with self._changed:
            end = self._elapsed + max(0.0, seconds)
            self.waiters += 1
            try:
                while not event.is_set() and self._elapsed < end:
                    self._changed.wait(POLL)
            finally:
                self.waiters -= 1
        return event.is_set()

    def _step_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._changed:
            if loop in self._stepping:
                return
            self._stepping.add(loop)
        loop.call_soon(self._hop, loop, HOPS)

    def _hop(self, loop: asyncio.AbstractEventLoop, left: int) -> None:
        if left > 0:
            loop.call_soon(self._hop, loop, left - 1)
            return
        with self._changed:
            self._stepping.discard(loop)
            mine = [entry for entry in self._pausing if entry[2].get_loop() is loop]
        if not mine:
            return
        first = min(mine)
        if first[2].done():  # cancelled while it paused: forget it
            with self._changed:
                if first in self._pausing:
                    self._pausing.remove(first)
                    heapq.heapify(self._pausing)
        else:
            self.advance(max(0.0, first[0] - self._elapsed))  # wakes it, and any due by then
        self._step_soon(loop)


def _resolve_soon(waker: asyncio.Future[None]) -> None:
    """Wake a paused task from any thread (a cancelled one is left alone)."""

    def resolve() -> None:
        if not waker.done():
            waker.set_result(None)

    loop = waker.get_loop()
    if loop.is_closed():
        return
    loop.call_soon_threadsafe(resolve)
