"""The overview with many clients: how long `/` and `/api/clients` take over HTTP.

Seeds a SQLite store with N clients (1,000 by default), each with a client file and D daily
snapshots made from one real reconciliation of the demo's story (its items linked, its
warnings, ~17 KB of JSON each; figures varied per client so the colours differ), plus a few
dead letters and stale connectors; serves `create_app` under uvicorn on loopback and times the
first request of each page (cold: every snapshot parsed) and the median of the next ones (warm:
the lines cached per snapshot set, the store still asked for ids and sync state each time);
then the first request again after the lines were prepared as the daemon does at start
(`triage.warm`, in a background thread there).

    .venv/bin/python -m bench.overview [--clients 1000] [--days 8] [--repeat 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from syncd.db import Cursor, Job, Snapshot, make_engine
from syncd.migrate import upgrade
from syncd.settings import Settings
from syncd.web import triage
from syncd.web.app import create_app
from syncd.web.auth import create_token
from syncd.web.directory import known_clients
from tests.web.conftest import free_port, serve

CLIENT = """\
name = "Client {n:04d}"
owner = "{owner}"
tags = ["{tag}"]
[[connectors]]
kind = "jira"
id = "jira"
url = "https://c{n}.atlassian.net"
email = "bot@example.com"
token_env = "BENCH_TOKEN"
jql = "project = C{n}"
"""


def template() -> dict[str, Any]:
    """One real snapshot: the demo story's red client, pulled from the sandbox and reconciled."""
    from syncd.clients import load_client
    from syncd.demo import DemoOptions, prepare, start_sandbox
    from syncd.pipeline import import_plan, reconcile_client

    with tempfile.TemporaryDirectory() as tmp:
        options = DemoOptions(directory=Path(tmp) / "demo")
        sandbox, boards = start_sandbox(options)
        try:
            settings = prepare(options, sandbox.url, boards)
            engine = make_engine(settings.db_url)
            upgrade(engine)
            client = load_client(settings.clients_dir, "initech")
            import_plan(engine, client)
            import asyncio

            from syncd import sync

            for conn in client.config.connectors:
                asyncio.run(sync.pull(engine, client, conn.id))
            _, snapshot, _ = reconcile_client(engine, client)
            engine.dispose()
            return snapshot.to_dict()
        finally:
            sandbox.stop()


def seed(root: Path, clients: int, days: int) -> tuple[Settings, str]:
    base = template()
    (root / "config" / "clients").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{root / 'syncd.db'}")
    upgrade(engine)
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    snapshots: list[dict[str, Any]] = []
    for n in range(clients):
        cid = f"c{n:04d}"
        (root / "config" / "clients" / f"{cid}.toml").write_text(
            CLIENT.format(n=n, owner=("ana", "ben", "cy")[n % 3], tag=("eu", "us")[n % 2]),
            encoding="utf-8",
        )
        for d in range(days):
            as_of = today - timedelta(days=days - 1 - d)
            data = _varied(base, n, d, as_of)
            snapshots.append(
                {
                    "client": cid,
                    "as_of": as_of,
                    "baseline_version": 1,
                    "created": now,
                    "status_hash": f"{n}-{d}",
                    "data": data,
                }
            )
    with engine.begin() as conn:
        for start in range(0, len(snapshots), 2000):
            conn.execute(insert(Snapshot), snapshots[start : start + 2000])
        conn.execute(
            insert(Cursor),
            [
                {
                    "client": f"c{n:04d}",
                    "source": "jira",
                    "pulls": 1,
                    "state": {},
                    "last_success": now - timedelta(minutes=5 if n % 10 else 600),
                }
                for n in range(clients)
            ],
        )
        conn.execute(
            insert(Job),
            [
                {
                    "kind": "push",
                    "client": f"c{n:04d}",
                    "target": "jira:X-1",
                    "payload": {},
                    "state": "dead",
                    "attempts": 5,
                    "max_attempts": 5,
                    "due_at": now,
                    "last_error": "NotFoundError: not found",
                    "created": now,
                    "updated": now,
                }
                for n in range(0, clients, 7)
            ],
        )
    token = create_token(engine, name="bench")
    engine.dispose()
    settings = Settings(config_dir=root / "config", data_dir=root, public_url="http://bench")
    return settings, token


def _varied(base: dict[str, Any], n: int, d: int, as_of: date) -> dict[str, Any]:
    data = copy.deepcopy(base)
    rec = data["reconciliation"]
    rec["as_of"] = as_of.isoformat()
    scale = 0.6 + (n % 9) * 0.06 + d * 0.005
    project = rec["project"]
    project["ev"] = project["pv"] * scale
    project["spi"] = scale
    levels = ("red", "amber", "green")
    rec["rag"] = {"level": levels[n % 3], "reasons": rec["rag"]["reasons"][: n % 3 + 1]}
    return data


def timed(http: httpx.Client, path: str, repeat: int) -> dict[str, Any]:
    started = time.perf_counter()
    first = http.get(path)
    cold = time.perf_counter() - started
    first.raise_for_status()
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        http.get(path).raise_for_status()
        warm.append(time.perf_counter() - started)
    return {
        "path": path,
        "cold_s": round(cold, 3),
        "warm_median_s": round(statistics.median(warm), 3),
        "warm_max_s": round(max(warm), 3),
        "bytes": len(first.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        settings, token = seed(Path(tmp), args.clients, args.days)
        seeded = time.perf_counter() - started
        engine = make_engine(settings.db_url)
        app = create_app(engine=engine, settings=settings, broker_check=lambda: True)
        port = free_port()
        server, thread = serve(app, port)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
            ) as http:
                rows = [timed(http, path, args.repeat) for path in ("/", "/api/clients")]
                # as after a daemon start: the lines prepared in the background, then asked for
                triage.CACHE.lines.clear()
                app.state.clients.refresh()
                infos = known_clients(engine, app.state.clients, public_url=settings.public_url)
                started = time.perf_counter()
                triage.warm(engine, infos)
                warmed = time.perf_counter() - started
                after = timed(http, "/", args.repeat)
                after["path"] = "/ after warm-up"
                after["warm_up_s"] = round(warmed, 3)
                rows.append(after)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            engine.dispose()
    result = {"clients": args.clients, "days": args.days, "seed_s": round(seeded, 1), "rows": rows}
    for row in rows:
        print(
            f"{row['path']:<16} {args.clients} clients: first {row['cold_s']} s, "
            f"warm median {row['warm_median_s']} s (max {row['warm_max_s']} s), "
            f"{row['bytes']:,} bytes"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
