"""Shared rate budgets: `syncd run` + 4 `syncd worker` on one Trello token, and its 429s.

One sandbox with Trello's limits on (100 requests / 10 s per token, 300 per key, as Trello has
them) and 20 ms latency holds N boards (and N small Jira projects); N client files share the
sandbox's one Trello key and token. Each client pulls its board and project once and pushes a
status card and comment (polling only, one cycle each). The clock runs from spawning
`syncd run` until every item is stored, every target has a status and no job is open.

Setups: `redis` (Redis broker, PostgreSQL store: the budget in Redis), `rabbitmq` (RabbitMQ +
PostgreSQL: the budget in PostgreSQL), and `redis-process`, the control: the same deployment
as `redis` with `SYNCD_RATE_BUDGET=process`, every process keeping its own budget as syncd did
before budgets were shared.

    .venv/bin/python -m bench.budget [--clients 40] [--workers 4]
        [--setups redis rabbitmq redis-process] [--json bench/results/budget.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.throughput import (
    Load,
    Watch,
    broker,
    clients,
    finished,
    project_keys,
    render,
    wanted,
)
from syncd.sandbox import Sandbox, SandboxConfig
from tests.daemon import harness as h
from tests.services import REDIS_URL, reachable, scratch_postgres

LATENCY_MS = 20
TIMEOUT_S = 900.0
SETUPS = ("redis", "rabbitmq", "redis-process")
NEEDS = {"redis": (6379, 5432), "rabbitmq": (5672, 5432), "redis-process": (6379, 5432)}


@dataclass
class Deployment(h.Deployment):
    """The harness's deployment with a choice of rate budget."""

    rate_budget: str = "shared"

    def env(self) -> dict[str, str]:
        return {**super().env(), "SYNCD_RATE_BUDGET": self.rate_budget}


def sandbox_config(load: Load) -> SandboxConfig:
    """Trello's real limits; every client's board answers to the one key and token."""
    return SandboxConfig(
        seed=5,
        projects=tuple(project_keys(load.clients)),
        jira_issues=load.clients * load.issues,
        boards=load.clients,
        trello_cards=load.clients * load.cards,
        latency_ms=LATENCY_MS,
        trello_limits=True,
    )


@contextmanager
def broker_url(setup: str) -> Iterator[str]:
    if setup.startswith("redis"):
        yield REDIS_URL  # the harness gives each deployment its own queue name
        return
    with broker("rabbitmq") as url:
        yield url


def trello_requests(stats: dict[str, Any]) -> int:
    return sum(n for who, n in stats["by_credential"].items() if who.startswith("trello:"))


def run_setup(sb: Sandbox, load: Load, setup: str, workers: int) -> dict[str, Any]:
    """One timed cycle of every client on `setup`; the processes are stopped afterwards."""
    rows = clients(sb, load)
    want = wanted(sb, rows)
    sb.reset_stats()
    with tempfile.TemporaryDirectory() as tmp, scratch_postgres() as db, broker_url(setup) as url:
        dep = Deployment(Path(tmp), sb, database_url=db, broker_url=url, webhooks=False)
        dep.rate_budget = "process" if setup.endswith("-process") else "shared"
        dep.write_clients(rows, poll=60)
        watch = Watch(dep)
        started = time.monotonic()
        try:
            dep.start("run")
            for n in range(workers):
                dep.start("worker", log_name=f"worker{n}.log")
            h.wait_for(
                lambda: finished(dep, want, 2 * len(rows), watch), TIMEOUT_S, "every client pushed"
            )
            seconds = time.monotonic() - started
        except (AssertionError, RuntimeError) as exc:
            return {"setup": setup, "failed": f"{exc}; log tail:\n{dep.log_tail(1500)}"}
        finally:
            dep.kill_all()
    stats = sb.stats()
    return {
        "setup": setup,
        "budget": {"redis": "Redis", "rabbitmq": "PostgreSQL"}.get(setup, "per process"),
        "processes": 1 + workers,
        "clients": len(rows),
        "seconds": round(seconds, 1),
        "trello_requests": trello_requests(stats),
        "trello_429": stats["faults"].get("trello-429", 0),
        "trello_per_10s": round(trello_requests(stats) / seconds * 10, 1),
        "peak_rss_mib": round(watch.peak / 2**20),
    }


def run(load: Load, setups: list[str], workers: int) -> list[dict[str, Any]]:
    """Each setup against a fresh sandbox of the same seeded data."""
    results = []
    for setup in setups:
        if not all(reachable(port) for port in NEEDS[setup]):
            results.append({"setup": setup, "skipped": f"needs ports {NEEDS[setup]}"})
            continue
        with Sandbox(sandbox_config(load)) as sb:
            results.append(run_setup(sb, load, setup, workers))
    return results


COLUMNS = ("setup", "budget", "processes", "clients", "seconds", "trello_requests",
           "trello_429", "trello_per_10s", "peak_rss_mib")  # fmt: skip


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--issues", type=int, default=20, help="Jira issues per client")
    parser.add_argument("--cards", type=int, default=20, help="Trello cards per client")
    parser.add_argument("--workers", type=int, default=4, help="`syncd worker` processes")
    parser.add_argument("--setups", nargs="+", choices=SETUPS, default=list(SETUPS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    load = Load(args.clients, args.issues, args.cards)
    print(f"{load.clients} clients on one Trello token, `syncd run` + {args.workers} workers, "
          f"{LATENCY_MS} ms latency, Trello's limits on")  # fmt: skip
    results = run(load, args.setups, args.workers)
    print(render(results, COLUMNS))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
