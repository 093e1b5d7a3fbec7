"""A reconcile whose inputs did not change since the last one of the same day does nothing, and
stores what a full one would; a change of any input (items, client file, plan file, sync health,
the day, the dashboard URL) reconciles again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd import actors, pipeline, runtime, store
from syncd.clients import Client, load_client
from syncd.clock import SYSTEM, Clock, FakeClock
from syncd.db import Snapshot
from syncd.sandbox import Sandbox
from syncd.store.problems import record_error
from syncd.store.pushes import known_remote, record_push
from syncd.sync import pull
from tests.daemon import harness as h

World = tuple[Sandbox, runtime.Runtime, Path]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with h.demo_runtime(tmp_path, monkeypatch) as (sb, rt):
        yield sb, rt, tmp_path / "config"


def client_of(world: World) -> Client:
    """The client as its file says now (read afresh: a test edits it)."""
    return load_client(world[2] / "clients", "acme")


def pull_all(world: World) -> None:
    client = client_of(world)
    for conn in client.config.connectors:
        asyncio.run(pull(world[1].engine, client, conn.id))


def reconcile(
    world: World, *, clock: Clock = SYSTEM, public_url: str = ""
) -> list[tuple[str, int]] | None:
    """The reconcile actor's work; the pushes it queued run. None: it did nothing."""
    queued = pipeline.reconcile_if_changed(
        world[1].engine, client_of(world), public_url=public_url, clock=clock
    )
    for kind, job_id in queued or ():
        actors.execute(kind, job_id)
    return queued


def settle(world: World) -> None:
    """Pull, reconcile and push; then pull again (the push's own writes come back as changed
    items) and reconcile, which pushes nothing: from here on, nothing changes by itself."""
    pull_all(world)
    assert reconcile(world)  # the first status: two pushes
    pull_all(world)
    assert reconcile(world) == []


def snapshots(world: World) -> list[tuple[Any, ...]]:
    with store.sessions(world[1].engine)() as session:
        rows = session.execute(
            select(Snapshot.as_of, Snapshot.status_hash, Snapshot.created, Snapshot.data)
            .where(Snapshot.client == "acme")
            .order_by(Snapshot.as_of)
        )
        return [tuple(row) for row in rows]


def test_an_unchanged_reconcile_does_nothing_and_a_full_one_stores_the_same(world: World) -> None:
    settle(world)
    before = snapshots(world)
    pull_all(world)  # nothing changed in the tools
    assert reconcile(world) is None
    assert reconcile(world) is None
    assert snapshots(world) == before  # not even rewritten
    # What it skipped: a full reconcile of the same inputs stores the very same snapshot and
    # queues nothing.
    assert pipeline.reconcile_and_queue(world[1].engine, client_of(world)) == []
    after = snapshots(world)
    assert [(day, digest, data) for day, digest, _, data in after] == [
        (day, digest, data) for day, digest, _, data in before
    ]
    assert after[0][2] > before[0][2]  # rewritten, identical


def edit_client_file(world: World) -> None:
    path = world[2] / "clients" / "acme.toml"
    text = path.read_text()
    assert 'name = "Acme"' in text
    path.write_text(text.replace('name = "Acme"', 'name = "Acme Ltd"'))


def edit_plan_file(world: World) -> None:
    path = world[2] / "plans" / "plan.toml"
    path.write_text(path.read_text() + "\n# reviewed\n")


def team_moves_on(world: World) -> None:
    world[0].advance(hours=24)
    pull_all(world)


def a_pull_fails(world: World) -> None:
    record_error(world[1].engine, "acme", kind="pull", message="HTTP 503", source="acme-board")


CHANGES: dict[str, Callable[[World], None]] = {
    "client file": edit_client_file,
    "plan file": edit_plan_file,
    "items": team_moves_on,
    "sync health": a_pull_fails,
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_any_input_reconciles_again(world: World, change: str) -> None:
    settle(world)
    assert reconcile(world) is None
    CHANGES[change](world)
    assert reconcile(world) is not None
    assert reconcile(world) is None  # and settles again


def test_a_new_day_reconciles_into_its_own_snapshot(world: World) -> None:
    settle(world)
    tomorrow = FakeClock(SYSTEM.now() + timedelta(days=1))
    assert reconcile(world, clock=tomorrow) is not None
    assert len(snapshots(world)) == 2
    assert reconcile(world, clock=tomorrow) is None


def test_another_dashboard_url_reconciles_again(world: World) -> None:
    settle(world)
    queued = reconcile(world, public_url="https://status.example.com")
    assert queued is not None and len(queued) == 2  # the link in every pushed body moved


def test_a_target_that_lost_its_status_is_pushed_again(world: World) -> None:
    """The outbox counts too: a target whose last written status is not the one decided (as
    after a write elsewhere) gets it again, as a full reconcile would queue it."""
    settle(world)
    engine = world[1].engine
    remote = known_remote(engine, "acme", "acme-jira", "ACME-1")
    assert remote  # what the push wrote there
    record_push(engine, "acme", "acme-jira", "ACME-1", remote=remote, digest="another")
    queued = reconcile(world)
    assert queued is not None and len(queued) == 1
    assert reconcile(world) is None
