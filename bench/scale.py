"""A thousand clients: `syncd run` + 1, 2 and 4 `syncd worker` processes on RabbitMQ + PostgreSQL.

One sandbox at 20 ms latency holds one Jira project (200 issues) and one Trello board (50 cards)
per client; each client file pulls its project and its board against its plan (a copy of the
demo plan) and pushes a status comment and a status card. For each number of worker processes,
on a fresh database (`syncd_bench_<pid>`, made and dropped here) and a fresh sandbox:

1. the first full cycle: from spawning `syncd run` until every item is stored, every target has
   a status and no job is open (time, items/s, clients/min);
2. a no-change cycle: every client made due at once (their schedule rows), nothing changed in
   the sandbox, until every connector has pulled again and no job is open: requests per Jira
   connector and per Trello board, CPU seconds of the syncd processes per client. Its Jira
   pulls still find the status issue changed, by the comment syncd pushed in the first cycle:
   each client reconciles once more;
3. a steady cycle, the same again: now nothing changed since the last reconcile, not even
   syncd's own writes (requests per connector, CPU per client).

Sampled every `--every` seconds throughout: each process's resident memory (its peak is kept),
the jobs waiting and running in the store, and the broker's queue depth. At the end: the
database's size. Polling only (no webhooks); the deployment's queue name is its own, so other
syncd processes on the same RabbitMQ are not disturbed.

    .venv/bin/python -m bench.scale [--clients 1000] [--workers 1 2 4] [--issues 200]
        [--cards 50] [--json bench/results/scale.json] [--plot bench/scale.png]

A benchmark, run on demand: `tests/bench/test_scale_bench.py` runs it with 5 clients and checks
only that it finishes and that its output is sane.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import string
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs in the dev set
import sqlalchemy as sa
from sqlalchemy import func, select, update

from bench.throughput import dead_letters
from syncd import store
from syncd.db import Cursor, Job, Schedule, make_engine
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.config import Creds
from tests.daemon import harness as h
from tests.services import POSTGRES_URL, RABBITMQ_URL

LATENCY_MS = 20
DATABASE = f"syncd_bench_{os.getpid()}"  # its own: two runs at once must not drop each other's
TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class Load:
    clients: int = 1000
    issues: int = 200
    cards: int = 50
    one_trello_account: bool = False  # every board on one key and token (Trello's budget binds)


def project_keys(count: int) -> list[str]:
    """PAAA, PAAB, …: letters only, as many as asked (up to 17,576)."""
    letters = string.ascii_uppercase
    return [f"P{letters[n // 676]}{letters[n // 26 % 26]}{letters[n % 26]}" for n in range(count)]


def sandbox_config(load: Load) -> SandboxConfig:
    return SandboxConfig(
        seed=3,
        projects=tuple(project_keys(load.clients)),
        jira_issues=load.clients * load.issues,
        boards=load.clients,
        trello_cards=load.clients * load.cards,
        latency_ms=LATENCY_MS,
        creds=Creds(trello_accounts=1 if load.one_trello_account else load.clients),
    )


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def fresh_database() -> str:
    """`syncd_bench_<pid>`, dropped and made again: each run starts on an empty store."""
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


def drop_database() -> None:
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


class Broker:
    """The deployment's queues on RabbitMQ: their depth, and their removal at the end."""

    def __init__(self, queue: str) -> None:
        import pika

        self.queue = queue
        self.conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
        self.channel = self.conn.channel()

    def depth(self) -> int:
        total = 0
        for name in (self.queue, f"{self.queue}.DQ"):
            try:
                total += self.channel.queue_declare(queue=name, passive=True).method.message_count
            except Exception:  # not declared yet; a failed passive declare closes the channel
                self.channel = self.conn.channel()
        return total

    def close(self) -> None:
        for name in (self.queue, f"{self.queue}.DQ", f"{self.queue}.XQ"):
            try:
                self.channel.queue_delete(queue=name)
            except Exception:
                self.channel = self.conn.channel()
        self.conn.close()


@dataclass
class Sampler:
    """Per-process peak RSS and CPU, and the queue over time."""

    dep: h.Deployment
    broker: Broker
    started: float
    peaks: dict[str, int] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def names(self) -> list[tuple[str, Any]]:
        return [("run" if n == 0 else f"worker{n}", p) for n, p in enumerate(self.dep.procs)]

    def cpu(self) -> float:
        """CPU seconds (user + system) of every syncd process so far."""
        total = 0.0
        for _, proc in self.names():
            try:
                times = psutil.Process(proc.pid).cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def sample(self, engine: sa.Engine, phase: str) -> None:
        for name, proc in self.names():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{self.dep.log_tail()}")
            try:
                rss = psutil.Process(proc.pid).memory_info().rss
            except psutil.Error:
                continue
            self.peaks[name] = max(self.peaks.get(name, 0), rss)
        with store.sessions(engine)() as session:
            states = dict(
                session.execute(
                    select(Job.state, func.count())
                    .where(Job.state.in_(("pending", "leased")))
                    .group_by(Job.state)
                ).all()
            )
        self.timeline.append(
            {
                "t": round(time.monotonic() - self.started, 1),
                "phase": phase,
                "pending": int(states.get("pending", 0)),
                "running": int(states.get("leased", 0)),
                "broker": self.broker.depth(),
            }
        )


def expected(sb: Sandbox, load: Load) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """(client id, project, board) rows and the items each connector should end up with."""
    projects = project_keys(load.clients)
    boards = sb.board_ids
    issues = Counter(i.project for i in sb.state.issues.values())
    cards = Counter(c.id_board for c in sb.state.cards.values())
    rows, want = [], {}
    for n, (project, board) in enumerate(zip(projects, boards, strict=True)):
        cid = f"c{n:04d}"
        rows.append((cid, project, board))
        want[f"{cid}-jira"], want[f"{cid}-board"] = issues[project], cards[board]
    return rows, want


def cycle_done(engine: sa.Engine, want: dict[str, int], targets: int) -> bool:
    dead = dead_letters(engine)
    if dead:
        raise RuntimeError(f"{len(dead)} dead letter(s): {'; '.join(dead[:3])}")
    return (
        h.open_jobs(engine) == 0
        and len(h.pushed_targets(engine)) == targets
        and h.stored_counts(engine) == want
    )


def pulled(engine: sa.Engine, connectors: int, times: int) -> bool:
    """Whether every connector has pulled `times` times and no job is open."""
    with store.sessions(engine)() as session:
        again = session.execute(
            select(func.count()).select_from(Cursor).where(Cursor.pulls >= times)
        ).scalar_one()
    return int(again) == connectors and h.open_jobs(engine) == 0


def make_due(engine: sa.Engine) -> None:
    """Every client due at once, as if an hour had passed."""
    with store.sessions(engine).begin() as session:
        session.execute(update(Schedule).where(Schedule.name.like("client:%")).values(due_at=None))


def steady_cycle(
    engine: sa.Engine, sb: Sandbox, sampler: Sampler, clients: int, every: float
) -> dict[str, Any]:
    """One more unchanged cycle (the third pull of every connector): what a cycle costs once
    nothing changed since the last reconcile, syncd's own pushes included."""
    jira0, trello0 = requests(sb)
    cpu0, started = sampler.cpu(), time.monotonic()
    make_due(engine)
    wait(lambda: pulled(engine, 2 * clients, 3), sampler, engine, "steady", every)
    jira1, trello1 = requests(sb)
    return {
        "steady_cycle_s": round(time.monotonic() - started, 1),
        "steady_requests_per_jira": round((jira1 - jira0) / clients, 3),
        "steady_requests_per_board": round((trello1 - trello0) / clients, 3),
        "steady_cpu_ms_per_client": round((sampler.cpu() - cpu0) / clients * 1000, 1),
    }


def wait(check: Any, sampler: Sampler, engine: sa.Engine, phase: str, every: float) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        sampler.sample(engine, phase)
        if check():
            return
        time.sleep(every)
    raise RuntimeError(f"timed out in the {phase} phase")


def requests(sb: Sandbox) -> tuple[int, int]:
    """(Jira, Trello) requests the sandbox answered so far."""
    routes = sb.stats()["requests"]
    trello = sum(n for route, n in routes.items() if "trello" in route)
    return sum(routes.values()) - trello, trello


def worklog_requests(sb: Sandbox) -> int:
    """Jira requests for the worklogs of an issue with more than a search embeds (20). A pull
    re-reads the newest issue it saw last time (the cursor is inclusive); unchanged, its
    worklogs are not paged again, so an unchanged cycle should show none."""
    routes = sb.stats()["requests"]
    return sum(n for route, n in routes.items() if route.endswith("/worklog"))


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every core, every process) since boot."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def own_cpu() -> float:
    """CPU seconds of this process: the sandbox's server thread, the sampler and the checks."""
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def database_mib(engine: sa.Engine) -> float:
    with engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    return round(int(size) / 2**20, 1)


def run_workers(load: Load, workers: int, every: float) -> dict[str, Any]:
    """One deployment with `workers` worker processes: its first and its no-change cycle."""
    with Sandbox(sandbox_config(load)) as sb, tempfile.TemporaryDirectory() as tmp:
        rows, want = expected(sb, load)
        db_url = fresh_database()
        dep = h.Deployment(Path(tmp), sb, database_url=db_url, broker_url=RABBITMQ_URL)
        dep.webhooks = False
        dep.write_clients(rows, poll=60, own_trello=not load.one_trello_account)
        broker = Broker(dep.queue_name)
        engine = make_engine(db_url)
        before = load_average()
        busy0, own0 = machine_busy(), own_cpu()
        started = time.monotonic()
        sampler = Sampler(dep, broker, started)
        try:
            dep.start("run")
            startup = time.monotonic() - started
            for n in range(workers):
                dep.start("worker", log_name=f"worker{n + 1}.log")
            wait(lambda: cycle_done(engine, want, 2 * len(rows)), sampler, engine, "first", every)
            first = time.monotonic() - started
            busy, own, syncd_cpu = machine_busy() - busy0, own_cpu() - own0, sampler.cpu()
            db_first = database_mib(engine)

            jira0, trello0 = requests(sb)
            worklogs0 = worklog_requests(sb)
            routes0 = Counter(sb.stats()["requests"])
            first_routes = dict(routes0)
            cpu0, quiet = sampler.cpu(), time.monotonic()
            make_due(engine)
            wait(lambda: pulled(engine, 2 * len(rows), 2), sampler, engine, "no-change", every)
            jira1, trello1 = requests(sb)
            worklogs1 = worklog_requests(sb)
            routes = Counter(sb.stats()["requests"])
            routes.subtract(routes0)
            nochange_s, cpu = time.monotonic() - quiet, sampler.cpu() - cpu0
            steady = steady_cycle(engine, sb, sampler, len(rows), every)
            db_after = database_mib(engine)
        finally:
            dep.kill_all()
            broker.close()
            engine.dispose()
        items = sum(want.values())
        return {
            "workers": workers,
            "processes": workers + 1,
            "clients": len(rows),
            "items": items,
            "startup_s": round(startup, 2),
            "first_cycle_s": round(first, 1),
            "items_per_s": round(items / first, 1),
            "clients_per_min": round(len(rows) / first * 60, 1),
            # where the first cycle's CPU went: syncd's processes, the sandbox (with the
            # benchmark's own sampling, in this process), and the rest of the machine
            # (PostgreSQL, RabbitMQ, anything else running); busy share: of every core's time
            "first_cpu_s": {
                "syncd": round(syncd_cpu, 1),
                "sandbox": round(own, 1),
                "rest": round(busy - syncd_cpu - own, 1),
            },
            "first_busy_share": round(busy / (first * (os.cpu_count() or 1)), 2),
            "first_jira_requests": jira0,
            "first_trello_requests": trello0,
            "first_routes": {r: n for r, n in sorted(first_routes.items()) if n},
            "nochange_cycle_s": round(nochange_s, 1),
            "nochange_jira_requests": jira1 - jira0,
            "nochange_jira_worklog_requests": worklogs1 - worklogs0,
            "nochange_trello_requests": trello1 - trello0,
            "nochange_routes": {r: n for r, n in sorted(routes.items()) if n},
            "nochange_requests_per_jira": round((jira1 - jira0) / len(rows), 3),
            "nochange_requests_per_board": round((trello1 - trello0) / len(rows), 3),
            "nochange_cpu_ms_per_client": round(cpu / len(rows) * 1000, 1),
            **steady,
            "peak_rss_mib": {k: round(v / 2**20) for k, v in sampler.peaks.items()},
            "database_mib": {"first": db_first, "after_nochange": db_after},
            "load_before": before,
            "load_after": load_average(),
            "timeline": sampler.timeline,
        }


def plot(results: list[dict[str, Any]], path: Path, title: str) -> None:
    """The scaling curve (items/s against worker processes) and the queue over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in results if "items_per_s" in r]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = [r["workers"] for r in runs]
    left.plot(xs, [r["items_per_s"] for r in runs], marker="o", label="measured")
    if runs:
        left.plot(xs, [runs[0]["items_per_s"] * x / xs[0] for x in xs], ls="--", label="linear")
    left.set_xlabel("syncd worker processes (besides syncd run)")
    left.set_ylabel("items/s, first full cycle")
    left.set_xticks(xs)
    left.legend()
    left.grid(alpha=0.3)
    for r in runs:
        t = [p["t"] for p in r["timeline"]]
        right.plot(t, [p["pending"] + p["running"] for p in r["timeline"]], label=f"{r['workers']}")
    right.set_xlabel("seconds since syncd run was spawned")
    right.set_ylabel("open jobs (pending + running)")
    right.legend(title="workers")
    right.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


COLUMNS = ("workers", "clients", "items", "first_cycle_s", "items_per_s", "clients_per_min",
           "nochange_cycle_s", "nochange_requests_per_jira", "nochange_requests_per_board",
           "nochange_cpu_ms_per_client", "steady_cpu_ms_per_client")  # fmt: skip


def render(results: list[dict[str, Any]]) -> str:
    lines = [" ".join(f"{c:>12}" for c in COLUMNS)]
    for row in results:
        if "failed" in row:
            lines.append(f"{row['workers']:>12} failed: {row['failed'][:400]}")
            continue
        lines.append(" ".join(f"{row[c]!s:>12}" for c in COLUMNS))
        lines.append(
            f"{'':>12} first cycle CPU s {row['first_cpu_s']}, machine busy"
            f" {row['first_busy_share']:.0%}; peak RSS MiB {row['peak_rss_mib']},"
            f" database MiB {row['database_mib']},"
            f" load {row['load_before']} -> {row['load_after']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--issues", type=int, default=200, help="Jira issues per client")
    parser.add_argument("--cards", type=int, default=50, help="Trello cards per client")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--every", type=float, default=2.0, help="seconds between samples")
    parser.add_argument(
        "--one-trello-account",
        action="store_true",
        help="every board on one Trello key and token, whose budget (90 requests / 10 s) then "
        "bounds the whole run; by default each client has an account of its own",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)
    load = Load(args.clients, args.issues, args.cards, args.one_trello_account)
    info = machine()
    print(f"{load.clients} clients x ({load.issues} issues + {load.cards} cards), "
          f"{LATENCY_MS} ms latency; {info}")  # fmt: skip
    results = []
    try:
        for workers in args.workers:
            try:
                results.append(run_workers(load, workers, args.every))
            except (RuntimeError, AssertionError) as exc:
                results.append({"workers": workers, "failed": str(exc)})
            print(render(results[-1:]), flush=True)
    finally:
        drop_database()
    report = {"machine": info, "load": load.__dict__, "results": results}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    if args.plot:
        title = (f"{load.clients} clients, RabbitMQ + PostgreSQL, {info['cores']} cores "
                 f"({info['cpu']})")  # fmt: skip
        plot(results, args.plot, title)
    return report


if __name__ == "__main__":
    main()
