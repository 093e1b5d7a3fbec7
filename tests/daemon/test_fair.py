"""Fair scheduling: a client with long pulls does not hold every worker (`SYNCD_CLIENT_JOBS`).

In one process on the embedded broker with two worker threads and a real store, a big client
with two long Jira pulls is queued first and three small clients after it. With one job per
client at a time, the small clients' pulls all finish while the big client's first pull is still
running; with two (as many as there are threads), the big client takes both threads and every
small client waits for one of its pulls to end. Order is compared, never a duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from syncd import actors, queue, runtime, store
from syncd.db import Run
from syncd.migrate import upgrade
from syncd.queue import dispatch
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.settings import Settings
from syncd.store.items import count_items
from syncd.sync import request_pull
from tests.daemon import harness as h

SMALL = ("small1", "small2", "small3")
CONNECTOR = """
[[connectors]]
kind = "jira"
id = "{id}"
url = "{sandbox}/cloud"
email = "bot@example.com"
token_env = "H_JIRA_TOKEN"
jql = "{jql}"
concurrency = 1
"""


def client_file(name: str, sandbox: str, connectors: list[tuple[str, str]]) -> str:
    body = f'name = "{name}"\npoll_minutes = 60\n'
    return body + "".join(CONNECTOR.format(id=i, jql=q, sandbox=sandbox) for i, q in connectors)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(seed=5, projects=("BIG", "BIH", "SMA"), jira_issues=6000, latency_ms=40)
    with Sandbox(config) as sb:
        yield sb


def write_clients(config: Path, sb: Sandbox) -> None:
    clients = config / "clients"
    clients.mkdir(parents=True)
    big = [("big-a", "project = BIG"), ("big-b", "project = BIH")]
    (clients / "big.toml").write_text(client_file("Big", sb.url, big))
    for n, cid in enumerate(SMALL):
        keys = ", ".join(f"SMA-{n * 3 + k + 1}" for k in range(3))
        small = [(f"{cid}-jira", f"project = SMA AND key in ({keys})")]
        (clients / f"{cid}.toml").write_text(client_file(cid.title(), sb.url, small))


def finished_order(rt: runtime.Runtime) -> list[str]:
    """Pull runs by the moment they finished: the client of each, first to finish first."""
    with store.sessions(rt.engine)() as session:
        rows = session.execute(
            select(Run.client, Run.finished).where(Run.kind == "pull", Run.ok.is_(True))
        ).all()
    return [client for client, _ in sorted(rows, key=lambda row: row[1])]


def deferrals() -> float:
    return REGISTRY.get_sample_value("syncd_jobs_deferred_total", {"kind": "pull"}) or 0.0


@pytest.mark.parametrize("client_jobs", [1, 2])
def test_small_clients_pull_while_a_big_client_pulls(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client_jobs: int
) -> None:
    for name, value in h.SECRETS.items():
        monkeypatch.setenv(name, value)
    write_clients(tmp_path / "config", sandbox)
    settings = Settings(
        config_dir=tmp_path / "config", data_dir=tmp_path / "data", client_jobs=client_jobs
    )
    rt = runtime.install(runtime.load(settings))
    upgrade(rt.engine)
    broker = queue.setup("embedded", f"fair-{client_jobs}", actors.declare)
    worker = queue.start_worker(broker, threads=2)
    deferred = deferrals()
    try:
        for cid, source in [("big", "big-a"), ("big", "big-b")] + [(c, f"{c}-jira") for c in SMALL]:
            dispatch("pull", request_pull(rt.engine, cid, source))
        h.wait_for(lambda: len(finished_order(rt)) == 5, 120, "every pull")
        h.wait_for(lambda: h.open_jobs(rt.engine, "pull") == 0, 60, "the pull jobs closed")
    finally:
        worker.stop()
        queue.forget()
        rt.engine.dispose()
    order = finished_order(rt)
    assert count_items(rt.engine, "big", "big-a") == h.jira_count(sandbox, "BIG")
    if client_jobs == 1:
        # the small ones ran on the thread the big client could not take
        assert sorted(order[:3]) == list(SMALL), order
        assert deferrals() > deferred  # the big client's second pull waited its turn
    else:
        # control: the big client held both threads, and the small ones waited for a big pull
        assert order[0] == "big", order


@pytest.mark.parametrize("pull_slice", [500, 0])
def test_a_long_pull_in_slices_lets_small_clients_through_on_one_thread(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pull_slice: int
) -> None:
    """One worker thread, the big client's two 2,000-issue pulls queued first: in slices of
    500, each slice goes back behind the queue and the small clients' pulls run between them;
    in one piece (0), the small ones wait for both big pulls."""
    for name, value in h.SECRETS.items():
        monkeypatch.setenv(name, value)
    write_clients(tmp_path / "config", sandbox)
    settings = Settings(
        config_dir=tmp_path / "config", data_dir=tmp_path / "data", pull_slice=pull_slice
    )
    rt = runtime.install(runtime.load(settings))
    upgrade(rt.engine)
    broker = queue.setup("embedded", f"slices-{pull_slice}", actors.declare)
    worker = queue.start_worker(broker, threads=1)
    try:
        for cid, source in [("big", "big-a"), ("big", "big-b")] + [(c, f"{c}-jira") for c in SMALL]:
            dispatch("pull", request_pull(rt.engine, cid, source))
        h.wait_for(
            lambda: h.open_jobs(rt.engine) == 0 and len(finished_order(rt)) >= 5, 180, "pulls"
        )
    finally:
        worker.stop()
        queue.forget()
    order = finished_order(rt)
    for source, project in (("big-a", "BIG"), ("big-b", "BIH")):
        assert count_items(rt.engine, "big", source) == h.jira_count(sandbox, project)
    rt.engine.dispose()
    if pull_slice:
        assert order.count("big") >= 6, order  # 2,000 issues: four slices of each pull
        assert order[-1] == "big" and set(order[: order.index("small3") + 1]) > set(SMALL), order
        assert max(order.index(c) for c in SMALL) < len(order) - 2, order
    else:
        assert order == ["big", "big", *SMALL], order
