"""No echo: syncd's own writes, coming back as webhooks and pulls, never trigger another push."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from syncd import actors, pipeline, runtime, store
from syncd.db import Job
from syncd.migrate import upgrade
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.settings import Settings
from syncd.store import jobs
from syncd.store.jobs import JobState
from syncd.store.work import JobKind
from syncd.sync import pull
from syncd.web.webhooks import Receiver
from tests.daemon import harness as h

BASE = "http://syncd.test"


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sandbox, runtime.Runtime]]:
    with h.demo_runtime(tmp_path, monkeypatch) as (sb, rt):
        sb.register_jira_webhook(
            f"{BASE}/webhooks/jira/acme/acme-jira", secret=h.SECRETS["H_JIRA_HOOK"]
        )
        yield sb, rt


def cycle(rt: runtime.Runtime) -> list[tuple[str, int]]:
    """Pull both connectors, reconcile, and run the pushes it queued; the pushes run."""
    client = rt.client("acme")
    for conn in client.config.connectors:
        asyncio.run(pull(rt.engine, client, conn.id))
    queued = pipeline.reconcile_and_queue(rt.engine, client)
    for kind, job_id in queued:
        actors.execute(kind, job_id)
    return queued


READS = ("/search", "bulkfetch", "approximate-count")  # POSTs that only read


def tracker_writes(sb: Sandbox) -> int:
    return sum(1 for w in sb.stats()["writes"] if not any(r in w["path"] for r in READS))


def push_jobs(rt: runtime.Runtime) -> int:
    with store.sessions(rt.engine)() as session:
        query = select(func.count()).select_from(Job).where(Job.kind == "push")
        return int(session.execute(query).scalar_one())


def deliver(rt: runtime.Runtime, sb: Sandbox, start: int) -> list[int]:
    """Post the sandbox's webhook deliveries since `start` to syncd's receiver; inbox ids."""
    receiver = Receiver(rt.engine, rt.clients, lambda kind, job_id: None, base_url=BASE)
    app = Starlette(routes=receiver.routes())

    async def post_all() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            for delivery in sb.deliveries[start:]:
                if delivery.url.startswith(BASE):
                    path = delivery.url.removeprefix(BASE)
                    await http.post(path, content=delivery.body, headers=delivery.headers)

    sb.flush_webhooks(10)
    asyncio.run(post_all())
    with store.sessions(rt.engine)() as session:
        rows = session.execute(select(Job.id).where(Job.kind == "webhook", Job.state == "pending"))
        return list(rows.scalars())


def test_own_writes_echoed_back_do_not_trigger_a_push(
    world: tuple[Sandbox, runtime.Runtime],
) -> None:
    """After a push, its webhooks and the pulls they cause change no status: nothing is pushed."""
    sb, rt = world
    first = cycle(rt)
    assert len(first) == 2  # the status issue and the status card
    writes = tracker_writes(sb)
    assert writes > 0
    mark = len(sb.deliveries)
    echoes = deliver(rt, sb, 0)
    assert echoes, "the push's own writes should have come back as webhooks"
    for job_id in echoes:
        actors.execute("webhook", job_id)
    again = cycle(rt)
    assert again == [] and push_jobs(rt) == 2
    assert tracker_writes(sb) == writes  # not one more write to Jira or Trello
    assert len(sb.deliveries) >= mark


def test_a_real_change_does_trigger_a_push(world: tuple[Sandbox, runtime.Runtime]) -> None:
    """The same path with a team member's change: the status moves and one push per target runs."""
    sb, rt = world
    cycle(rt)
    sb.advance(hours=24)
    second = cycle(rt)
    assert [kind for kind, _ in second] == ["push", "push"]


def requests_to(sb: Sandbox, service: str) -> int:
    return sum(n for route, n in sb.stats()["requests"].items() if service in route)


def test_a_pull_after_a_push_takes_nothing_of_syncds_own_for_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new connector (as each daemon job builds) learns from the store what the last push
    wrote: with nothing else changed, the Trello pull after it reads the board's actions and no
    more (the status list the push made, and its card's writes, are its own), and the Jira pull
    reads one page; this is what a thousand clients' unchanged cycle costs per connector."""
    for name, value in h.SECRETS.items():
        monkeypatch.setenv(name, value)
    config = SandboxConfig(seed=3, projects=("PAA",), jira_issues=40, trello_cards=20)
    with Sandbox(config) as sb:
        assert not any(t.name == "Status" for t in sb.state.lists.values())  # the push makes it
        dep = h.Deployment(tmp_path, sb)
        dep.write_clients([("acme", "PAA", sb.board_ids[0])])
        settings = Settings(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
        rt = runtime.install(runtime.load(settings))
        upgrade(rt.engine)
        try:
            cycle(rt)
            assert push_jobs(rt) == 2 and any(t.name == "Status" for t in sb.state.lists.values())
            client = rt.client("acme")
            sb.reset_stats()
            pulled = {
                c.id: asyncio.run(pull(rt.engine, client, c.id)) for c in client.config.connectors
            }
            assert requests_to(sb, "trello") == 1
            assert requests_to(sb, "rest/api") == 1
            assert pulled["acme-board"].items == 0
        finally:
            rt.engine.dispose()


def test_pushes_queued_by_an_earlier_syncd_still_run(
    world: tuple[Sandbox, runtime.Runtime],
) -> None:
    """Push rows whose payload has the shape an earlier syncd wrote (a plain status without a
    category, a count of requests made while it ran) are claimed by the push actor, read as
    typed pushes and written to their targets."""
    sb, rt = world
    client = rt.client("acme")
    for conn in client.config.connectors:
        asyncio.run(pull(rt.engine, client, conn.id))
    queued = pipeline.reconcile_and_queue(rt.engine, client)
    assert [kind for kind, _ in queued] == [JobKind.PUSH, JobKind.PUSH]
    with store.sessions(rt.engine).begin() as session:
        for _, job_id in queued:
            row = session.get(Job, job_id)
            assert row is not None
            status = {k: v for k, v in row.payload["status"].items() if k != "category"}
            row.payload = {
                "source": row.payload["source"],
                "target": row.payload["target"],
                "status": status,
                "_again": 1,
            }
    writes = tracker_writes(sb)
    for kind, job_id in queued:
        actors.execute(kind, job_id)
    states = [getattr(jobs.get(rt.engine, job_id), "state", None) for _, job_id in queued]
    assert states == [JobState.DONE, JobState.DONE]
    assert tracker_writes(sb) > writes
