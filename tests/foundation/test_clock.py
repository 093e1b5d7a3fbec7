"""The clock syncd reads time from: the system's, and the fake one tests drive."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from syncd.clock import SYSTEM, FakeClock, SystemClock
from tests.daemon.harness import wait_for


def test_the_system_clock_is_aware_utc_and_its_monotonic_seconds_grow() -> None:
    """`now` is an aware UTC datetime; monotonic seconds never go back."""
    first = SYSTEM.monotonic()
    assert SYSTEM.now().tzinfo is UTC
    assert SYSTEM.monotonic() >= first
    assert isinstance(SYSTEM, SystemClock)


def test_the_system_clock_wait_ends_when_its_event_is_set() -> None:
    """A set event ends a wait at once, and the wait says it was set."""
    event = threading.Event()
    event.set()
    assert SYSTEM.wait(event, 3600) is True


def test_the_system_clock_pause_lets_the_loop_run() -> None:
    """A pause of nothing still returns through the event loop."""
    asyncio.run(SYSTEM.pause(0))


def test_a_fake_clock_moves_only_when_told() -> None:
    """`now` and `monotonic` stay put until `advance`, then move by the same amount."""
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    start, mono = clock.now(), clock.monotonic()
    assert (clock.now(), clock.monotonic()) == (start, mono)
    clock.advance(90)
    clock.advance(timedelta(minutes=1))
    assert clock.now() - start == timedelta(seconds=150)
    assert clock.monotonic() - mono == 150


def test_a_fake_clock_refuses_to_go_back_or_to_start_naive() -> None:
    """Time does not run backwards, and a naive start is refused (syncd's times are aware)."""
    clock = FakeClock()
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))  # a naive datetime


def test_a_fake_sleep_moves_the_time_at_once() -> None:
    """An hour's sleep returns at once with the fake time an hour on."""
    clock = FakeClock()
    start = clock.now()
    clock.sleep(3600)
    assert clock.now() - start == timedelta(hours=1)


def test_fake_pauses_wake_in_the_order_of_their_ends() -> None:
    """Tasks pausing together wake earliest end first, each at its own end: one pausing 5 s
    then 2 s wakes at 5 and 7, before the one pausing 10 s; a pause of nothing at once."""
    clock = FakeClock()
    woke: list[tuple[str, float]] = []

    async def task(name: str, *pauses: float) -> None:
        for seconds in pauses:
            await clock.pause(seconds)
            woke.append((name, clock.monotonic() - 1000.0))

    async def main() -> None:
        await asyncio.gather(task("long", 10), task("two", 5, 2), task("none", 0))

    asyncio.run(main())
    assert woke == [("none", 0.0), ("two", 5.0), ("two", 7.0), ("long", 10.0)]


def test_advancing_a_fake_clock_wakes_a_pause_that_ends_by_then() -> None:
    """A task paused for a minute wakes when another thread advances the clock by a minute."""
    clock = FakeClock()

    async def main() -> float:
        pausing = asyncio.ensure_future(clock.pause(60))
        await asyncio.sleep(0)
        threading.Thread(target=clock.advance, args=(60,)).start()
        await pausing
        return clock.monotonic()

    assert asyncio.run(main()) >= 1060.0


def test_a_fake_wait_ends_when_the_time_is_advanced_past_it() -> None:
    """A background loop's wait returns False once the clock is moved past its end, not
    before; `waiters` counts it while it waits."""
    clock, event = FakeClock(), threading.Event()
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(clock.wait(event, 10)))
    thread.start()
    wait_for(lambda: clock.waiters == 1, 10, "the thread to wait", every=0.01)
    clock.advance(9)
    assert thread.is_alive() and clock.waiters == 1
    clock.advance(1)
    thread.join(10)
    assert results == [False] and clock.waiters == 0


def test_a_fake_wait_ends_when_its_event_is_set() -> None:
    """A background loop's wait returns True when its event is set, the time unmoved."""
    clock, event = FakeClock(), threading.Event()
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(clock.wait(event, 10)))
    thread.start()
    wait_for(lambda: clock.waiters == 1, 10, "the thread to wait", every=0.01)
    event.set()
    thread.join(10)
    assert results == [True] and clock.monotonic() == 1000.0


def test_a_cancelled_fake_pause_does_not_move_the_time() -> None:
    """A task cancelled while it pauses 30 s never moves the time to its end; one pausing a
    minute beside it wakes a minute on, the time going straight from 0 to 60."""
    clock = FakeClock()
    seen: set[float] = set()

    async def main() -> None:
        short = asyncio.ensure_future(clock.pause(30))
        minute = asyncio.ensure_future(clock.pause(60))
        await asyncio.sleep(0)
        short.cancel()
        while not minute.done():
            seen.add(clock.monotonic() - 1000.0)
            await asyncio.sleep(0)
        seen.add(clock.monotonic() - 1000.0)

    asyncio.run(main())
    assert seen == {0.0, 60.0}
