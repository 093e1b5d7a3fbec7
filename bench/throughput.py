"""Daemon throughput: many clients, from `syncd run` starting until every one is pulled and pushed.

One sandbox at 20 ms latency holds N Jira projects (500 issues each) and N Trello boards (100
cards each); N client files each pull one project and one board against a copy of the demo
plan and push a status comment to the project's first issue and a status card to the board.
The clock starts before the daemon process is spawned (its start-up and migrations count) and
stops when every item is stored, every target has a status and no job is left open. Polling
only (webhooks off, poll every 60 min), so each client runs exactly one cycle.

Two setups: the embedded default (SQLite, in-process broker, 4 worker threads) and RabbitMQ +
PostgreSQL (a scratch database, dropped after) with `syncd run` plus one `syncd worker`.

    .venv/bin/python -m bench.throughput [--clients 20] [--issues 500] [--cards 100]
        [--setups embedded rabbitmq] [--json bench/results/throughput.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import string
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs in the dev set
from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd import store
from syncd.db import Job
from syncd.sandbox import Sandbox, SandboxConfig
from tests.daemon import harness as h
from tests.services import RABBITMQ_URL, reachable

LATENCY_MS = 20
TIMEOUT_S = 600.0
SETUPS = ("embedded", "rabbitmq")


@dataclass(frozen=True)
class Load:
    """How many clients, and how much each one holds."""

    clients: int = 20
    issues: int = 500
    cards: int = 100

    @property
    def items(self) -> int:
        return self.clients * (self.issues + self.cards)


def project_keys(count: int) -> list[str]:
    """Jira project keys of letters only: PAA, PAB, … (as many as asked)."""
    letters = string.ascii_uppercase
    return [f"P{letters[n // 26]}{letters[n % 26]}" for n in range(count)]


def sandbox_config(load: Load) -> SandboxConfig:
    """Issues go round-robin over the projects, cards over the boards: equal shares."""
    return SandboxConfig(
        seed=3,
        projects=tuple(project_keys(load.clients)),
        jira_issues=load.clients * load.issues,
        boards=load.clients,
        trello_cards=load.clients * load.cards,
        latency_ms=LATENCY_MS,
    )


def clients(sb: Sandbox, load: Load) -> list[tuple[str, str, str]]:
    """(client id, project, board) for the harness's client template."""
    pairs = zip(project_keys(load.clients), sb.board_ids, strict=True)
    return [(f"client{n:02d}", project, board) for n, (project, board) in enumerate(pairs)]


def wanted(sb: Sandbox, rows: list[tuple[str, str, str]]) -> dict[str, int]:
    """Items each connector should end up with (the harness names them `<id>-jira|board`)."""
    want: dict[str, int] = {}
    for cid, project, board in rows:
        want[f"{cid}-jira"] = h.jira_count(sb, project)
        want[f"{cid}-board"] = h.trello_count(sb, board)
    return want


@contextmanager
def database(setup: str) -> Iterator[str]:
    """'' (the daemon's own SQLite file) or a scratch PostgreSQL database dropped afterwards."""
    if setup == "embedded":
        yield ""
        return
    from tests.services import scratch_postgres

    with scratch_postgres() as url:
        yield url


@contextmanager
def broker(setup: str) -> Iterator[str]:
    """`embedded`, or RabbitMQ on a scratch virtual host deleted afterwards.

    Other syncd processes on the same RabbitMQ (a test run beside the benchmark) would take
    this run's messages and send theirs, which name job ids of another database. Without
    `rabbitmqctl` the default host is used, its `syncd` queues emptied first.
    """
    if setup == "embedded":
        yield "embedded"
        return
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        flush_rabbitmq(RABBITMQ_URL)
        yield RABBITMQ_URL
        return
    vhost = f"syncd-bench-{uuid.uuid4().hex[:8]}"
    subprocess.run([ctl, "-q", "add_vhost", vhost], check=True, timeout=60)
    try:
        grant = [ctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]
        subprocess.run(grant, check=True, timeout=60)
        yield f"{RABBITMQ_URL.rstrip('/')}/{vhost}"
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", vhost], check=False, timeout=60)


def flush_rabbitmq(url: str) -> None:
    """Start from empty queues: messages of an earlier run name rows that no longer exist."""
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    for name in ("syncd", "syncd.DQ", "syncd.XQ"):
        channel.queue_delete(queue=name)
    conn.close()


def dead_letters(engine: Engine) -> list[str]:
    """Jobs that gave up: this cycle cannot finish, so the run stops at once."""
    with store.sessions(engine)() as session:
        rows = session.execute(
            select(Job.kind, Job.client, Job.last_error).where(Job.state == "dead")
        )
        return [f"{kind} {client}: {error}" for kind, client, error in rows]


class Watch:
    """Peak resident memory of the deployment's processes, sampled while waiting."""

    def __init__(self, dep: h.Deployment) -> None:
        self.dep = dep
        self.peak = 0

    def sample(self) -> None:
        total = 0
        for proc in self.dep.procs:
            try:
                total += psutil.Process(proc.pid).memory_info().rss
            except psutil.Error:
                continue
        self.peak = max(self.peak, total)


def finished(dep: h.Deployment, want: dict[str, int], targets: int, watch: Watch) -> bool:
    """Every item stored, every target pushed, nothing queued or running."""
    watch.sample()
    for proc in dep.procs:
        if proc.poll() is not None:
            raise RuntimeError(f"a syncd process exited ({proc.returncode}):\n{dep.log_tail()}")
    engine = dep.engine()
    try:
        dead = dead_letters(engine)
        if dead:
            raise RuntimeError(f"{len(dead)} dead letter(s): {'; '.join(dead[:3])}")
        return (
            h.stored_counts(engine) == want
            and len(h.pushed_targets(engine)) == targets
            and h.open_jobs(engine) == 0
        )
    finally:
        engine.dispose()


def run_setup(sb: Sandbox, load: Load, setup: str) -> dict[str, Any]:
    """One timed cycle of every client on one setup; the processes are stopped afterwards."""
    rows = clients(sb, load)
    want = wanted(sb, rows)
    requests_before = sum(sb.stats()["requests"].values())
    with tempfile.TemporaryDirectory() as tmp, database(setup) as db_url, broker(setup) as url:
        dep = h.Deployment(Path(tmp), sb, database_url=db_url, broker_url=url, webhooks=False)
        dep.write_clients(rows, poll=60)
        watch = Watch(dep)
        started = time.monotonic()
        try:
            dep.start("run")
            up = time.monotonic() - started
            if setup == "rabbitmq":
                dep.start("worker", log_name="worker.log")
            h.wait_for(
                lambda: finished(dep, want, 2 * len(rows), watch), TIMEOUT_S, "every client pushed"
            )
            seconds = time.monotonic() - started
        except (AssertionError, RuntimeError) as exc:
            return {"setup": setup, "failed": f"{exc}; log tail:\n{dep.log_tail(1500)}"}
        finally:
            dep.kill_all()
    items = sum(want.values())
    return {
        "setup": setup,
        "processes": 2 if setup == "rabbitmq" else 1,
        "clients": len(rows),
        "items": items,
        "seconds": round(seconds, 2),
        "startup_s": round(up, 2),
        "items_per_s": round(items / seconds, 1),
        "clients_per_min": round(len(rows) / seconds * 60, 1),
        "requests": sum(sb.stats()["requests"].values()) - requests_before,
        "peak_rss_mib": round(watch.peak / 2**20),
    }


def skipped(setup: str, reason: str) -> dict[str, Any]:
    return {"setup": setup, "skipped": reason}


def run(load: Load, setups: list[str]) -> list[dict[str, Any]]:
    """Each setup against a fresh sandbox of the same seeded data."""
    results = []
    for setup in setups:
        if setup == "rabbitmq" and not (reachable(5672) and reachable(5432)):
            results.append(skipped(setup, "RabbitMQ :5672 or PostgreSQL :5432 not reachable"))
            continue
        with Sandbox(sandbox_config(load)) as sb:
            results.append(run_setup(sb, load, setup))
    return results


COLUMNS = ("setup", "processes", "clients", "items", "seconds", "startup_s", "items_per_s",
           "clients_per_min", "requests", "peak_rss_mib")  # fmt: skip


def render(results: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    """One row a setup, `columns` wide; a skipped or failed setup says why."""
    lines = ["  ".join(f"{c:>15}" for c in columns)]
    for row in results:
        if "skipped" in row or "failed" in row:
            reason = row.get("skipped") or f"failed: {row['failed']}"
            lines.append(f"{row['setup']:>15}  {reason}")
        else:
            lines.append("  ".join(f"{row[c]!s:>15}" for c in columns))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--issues", type=int, default=500, help="Jira issues per client")
    parser.add_argument("--cards", type=int, default=100, help="Trello cards per client")
    parser.add_argument("--setups", nargs="+", choices=SETUPS, default=list(SETUPS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    load = Load(args.clients, args.issues, args.cards)
    print(f"{load.clients} clients x ({load.issues} issues + {load.cards} cards), "
          f"{LATENCY_MS} ms latency, polling only")  # fmt: skip
    results = run(load, args.setups)
    print(render(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
