"""A pull's pages wait in a `PageSink` and are committed together, by count or by time."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from syncd.clock import FakeClock
from syncd.model import PullResult
from syncd.store.items import count_items
from syncd.store.pulls import PageSink
from tests.foundation.test_store import item


def test_waiting_pages_are_committed_once_the_sinks_seconds_have_passed(
    sqlite_engine: Engine,
) -> None:
    """A page waits while fewer than `batch` items wait and less than `seconds` has passed on
    the sink's clock; the page after that much time commits them all (a fake clock: no real
    second passes)."""
    clock = FakeClock()
    sink = PageSink(sqlite_engine, "acme", "acme-jira", batch=1000, seconds=2.0, clock=clock)
    sink.add(PullResult(items=[item("1")]))
    clock.advance(1.9)
    sink.add(PullResult(items=[item("2")]))
    assert count_items(sqlite_engine, "acme") == 0
    clock.advance(0.1)
    sink.add(PullResult(items=[item("3")]))
    assert count_items(sqlite_engine, "acme") == 3
    sink.add(PullResult(items=[item("4")]))  # the time counts again from that commit
    assert count_items(sqlite_engine, "acme") == 3
    sink.close(None)
    assert count_items(sqlite_engine, "acme") == 4
