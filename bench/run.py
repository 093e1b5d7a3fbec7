"""Every benchmark against the sandbox in one command: one table and `bench/results/latest.json`.

    .venv/bin/python -m bench.run [--quick] [--big] [--only SECTION ...]

Each benchmark module runs as its own process (`python -m bench.X`, under a timeout), so one
benchmark's memory and threads do not colour the next; its JSON or printed figures become rows
of the table. The incremental pulls, which no module measures yet, run here against a sandbox
process. A failing benchmark becomes a row saying so and the rest still run. `--quick` shrinks
every size for a smoke run; `--big` adds the 100,000-issue Jira pull. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil  # type: ignore[import-untyped]  # no stubs in the dev set
import requests
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from syncd.connectors.base import OVERLAP
from syncd.connectors.config import Secrets
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.trello.config import TrelloConfig
from syncd.connectors.trello.connector import TrelloConnector
from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.sandbox.config import Creds
from syncd.store.pulls import PageSink

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "bench" / "results" / "latest.json"
Row = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs."""

    issues: int = 10_000
    cards: int = 5_000
    items: int = 100_000
    tasks: int = 2_000
    repeat: int = 3
    changes: int = 20
    clients: int = 20
    client_issues: int = 500
    client_cards: int = 100
    rps_requests: int = 2_000


QUICK = Sizes(1_000, 500, 10_000, 200, 1, 3, 4, 100, 20, 200)


def bench(module: str, args: list[str], *, timeout: float, json_out: bool = True) -> Any:
    """Run `python -m bench.<module> ARGS [--json FILE]`: its JSON, or its stdout without one."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", f"bench.{module}", *args]
        command += ["--json", str(out)] if json_out else []
        print(f"  $ python {' '.join(command[1:-2] if json_out else command[1:])}", flush=True)
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
        return json.loads(out.read_text()) if json_out else done.stdout


def row(bench_: str, case: str, who: str, **values: Any) -> Row:
    """One table row; requests per 1,000 items is derived where both are known."""
    items, requests_ = values.get("items"), values.get("requests")
    per_1k = round(requests_ / items * 1000, 1) if items and requests_ is not None else None
    return {"bench": bench_, "case": case, "who": who, "per_1k": per_1k, **values}


# --- sections: each returns (table rows, raw figures for latest.json) -------------------------


def jira_pulls(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.pull: syncd and the `jira` library, clean and with 5 % of requests failing."""
    rows, raw = [], {}
    for issues in [sizes.issues, *([100_000] if big else [])]:
        args = ["--issues", str(issues), "--skip-429", "--repeat", "1" if issues > 10_000 else "3"]
        raw[issues] = data = bench("pull", args, timeout=5400 if big else 1200)
        for r in data:
            note = r["error"] or f"ok, {r['retries'] or 0} retries"
            if len(r.get("wall_runs") or ()) > 1:
                note += f"; median of {r['wall_runs']} s"
            values = {"seconds": r["wall_s"], "requests": r["requests"], "note": note}
            values.update(items=r["items"], peak_mib=r.get("peak_mib"))
            rows.append(row("jira pull", r["section"], r["client"], **values))
    return rows, raw


def trello_pulls(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.pull_trello: syncd and py-trello, a full board pull and a burst under faults."""
    data = bench("pull_trello", ["--sizes", str(sizes.cards)], timeout=900)
    rows = []
    for r in data["pulls"]:
        values = {"seconds": r["seconds"], "requests": r["requests"], "items": r["items"]}
        values.update(peak_mib=r["peak_mib"], note=f"{r['bytes'] / 1e6:.1f} MB received")
        rows.append(row("trello pull", f"full pull, {r['cards']:,} cards", r["client"], **values))
    for r in data["trouble"]:
        note = f"{r['outcome']}; {r['retries']} retries, {r['sandbox_429']} Trello 429s"
        values = {"seconds": r["seconds"], "requests": r["requests"], "note": note}
        case = f"60 cards one by one, {r.get('trouble', 'trouble')}"
        rows.append(row("trello pull", case, r["client"], items=r["cards"] or None, **values))
    return rows, data


def incremental_pulls(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """After full pulls, ten simulated minutes of team work, then each client asks what changed."""
    data = incremental(sizes.issues, sizes.cards)
    keep = ("seconds", "requests", "items", "peak_mib", "note")
    rows = [
        row(f"{r['tool']} pull", r["case"], r["client"], **{k: r[k] for k in keep}) for r in data
    ]
    return rows, data


RECONCILE = re.compile(r"reconcile: ([\d,]+) items x ([\d,]+) tasks in ([\d.]+) s \(best of (\d+)")


def reconcile(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.reconcile (no JSON: its printed line is parsed)."""
    args = ["--items", str(sizes.items), "--tasks", str(sizes.tasks), "--repeat", str(sizes.repeat)]
    out = bench("reconcile", args, timeout=900, json_out=False)
    found = RECONCILE.search(out)
    if found is None:
        raise RuntimeError(f"unexpected output: {out[-200:]}")
    case, note = f"{found[1]} items x {found[2]} tasks", f"best of {found[4]}, one process"
    return [row("reconcile", case, "syncd", seconds=float(found[3]), note=note)], out


def latency(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.latency: a Jira change until its status is pushed, webhooks and polling."""
    data = bench("latency", ["--changes", str(sizes.changes)], timeout=1200)
    rows = []
    for path, r in data.items():
        note = f"p50 {r['p50_s']} s, p95 {r['p95_s']} s, max {r['max_s']} s"
        rows.append(
            row("change-to-push", f"{path}, {r['changes']} changes", "syncd run", note=note)
        )
    return rows, data


def throughput(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.throughput: the daemon with many clients, embedded and RabbitMQ + PostgreSQL."""
    args = ["--clients", str(sizes.clients), "--issues", str(sizes.client_issues)]
    data = bench("throughput", [*args, "--cards", str(sizes.client_cards)], timeout=1800)
    rows = []
    for r in data:
        if "skipped" in r or "failed" in r:
            reason = r.get("skipped") or f"failed: {r['failed']}"
            rows.append(row("daemon throughput", r["setup"], "syncd", note=reason[:300]))
            continue
        case = f"{r['setup']}, {r['clients']} clients, {r['processes']} process(es)"
        note = f"{r['items_per_s']} items/s, {r['clients_per_min']} clients/min, "
        note += f"start-up {r['startup_s']} s; MiB = peak RSS of the syncd processes"
        values = {"seconds": r["seconds"], "requests": r["requests"], "items": r["items"]}
        values.update(peak_mib=r["peak_rss_mib"], note=note)
        rows.append(row("daemon throughput", case, "syncd", **values))
    return rows, data


def command(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.command: `syncd db upgrade` + `syncd sync` as processes beside the floor and the
    `jira` library; `syncd --help` and `syncd check`. MiB = each process's own peak RSS."""
    args = ["--issues", str(sizes.issues), "--repeat", str(sizes.repeat)]
    data = bench("command", args, timeout=1200)
    if big:  # memory at 100,000: syncd and the floor once (the library alone takes 1.6 GiB)
        args = ["--issues", "100000", "--repeat", "1", "--clients", "syncd", "floor"]
        data["pulls"] += bench("command", [*args, "--no-small"], timeout=3600)["pulls"]
    rows = []
    for r in data["pulls"]:
        note = f"median of {r['runs']} s; CPU {r['cpu_s']} s"
        if "upgrade_s" in r:
            note += f"; upgrade {r['upgrade_s']} s + sync {r['sync_s']} s"
        case = f"whole process, {r['issues']:,} issues"
        values = {"seconds": r["seconds"], "requests": r["requests"], "items": r["items"]}
        rows.append(row("command", case, r["client"], peak_mib=r["rss_mib"], note=note, **values))
    for r in data["commands"]:
        note = f"median of {r['runs']} s"
        rows.append(
            row(
                "command",
                r["command"],
                "syncd",
                seconds=r["seconds"],
                peak_mib=r["rss_mib"],
                note=note,
            )
        )
    return rows, data


RPS = re.compile(r"^(\S.*?)\s+(\d+) req/s in-process\s+(\d+) req/s separate client", re.M)


def sandbox_rps(sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """bench.sandbox_rps (no JSON: its printed lines are parsed)."""
    args = ["--requests", str(sizes.rps_requests), "--issues", str(sizes.issues)]
    out = bench("sandbox_rps", [*args, "--cards", str(sizes.cards)], timeout=900, json_out=False)
    rows = [
        row("sandbox", name, "httpx, 16 in flight", note=f"{same} req/s in-process, {apart} apart")
        for name, same, apart in RPS.findall(out)
    ]
    if not rows:
        raise RuntimeError(f"unexpected output: {out[-200:]}")
    return rows, out


# --- incremental pulls: syncd beside `jira` and py-trello, measured here ----------------------

CHANGE_HOURS = 1 / 6
CREDS = Creds()  # the sandbox's fixed credentials
JQL = "project in (ACME, BETA)"


@contextmanager
def sandbox_process(issues: int, cards: int) -> Iterator[tuple[str, httpx.Client]]:
    """`python -m syncd.sandbox` at 50 ms in a child process (as bench.pull runs it)."""
    command = [sys.executable, "-m", "syncd.sandbox", "--port", "0", "--seed", "1"]
    command += ["--issues", str(issues), "--cards", str(cards), "--latency-ms", "50"]
    proc = subprocess.Popen(
        [*command, "--trello-limits"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        if "listening on" not in first:
            raise RuntimeError(f"the sandbox did not start: {first!r}")
        url = first.rsplit(" ", 1)[1].strip()
        with httpx.Client(base_url=f"{url}/_admin", timeout=120) as admin:
            yield url, admin
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def syncd_pull(make: Callable[[], Any], since: datetime | None, engine: Engine) -> Row:
    """One pull through a fresh connector, its pages committed to the store as `sync` does."""
    conn = make()

    async def go() -> tuple[int, datetime | None]:
        items, newest = 0, None
        sink = PageSink(engine, "bench", conn.id)
        try:
            async for page in conn.pull(since):
                sink.add(page)
                items += len(page.items)
                newest = max(filter(None, (newest, page.cursor)), default=None)
            sink.close(newest)
        finally:
            await conn.aclose()
        return items, newest

    items, newest = asyncio.run(go())
    requests_ = conn.remote.counters.requests
    return {"client": "syncd", "requests": requests_, "items": items, "cursor": newest,
            "note": "since cursor - 2 min, pages committed"}  # fmt: skip


def jira_changes(url: str, since: datetime) -> Row:
    """A `jira` library user's incremental pull: JQL `updated >=` at minute precision."""
    from jira import JIRA

    from syncd.connectors.jira.pull import FIELDS

    floor = (since - OVERLAP).astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M")
    auth = (CREDS.jira_email, CREDS.jira_token)
    client = JIRA(server=f"{url}/cloud", basic_auth=auth, options={"check_update": False})
    seen: list[int] = []  # counted from here on, as bench.pull counts
    client._session.hooks["response"].append(lambda *args, **kwargs: seen.append(1))
    jql = f'{JQL} AND updated >= "{floor}" ORDER BY updated ASC, key ASC'
    found = client.enhanced_search_issues(
        jql, maxResults=0, fields=",".join((*FIELDS, "worklog")), expand="changelog"
    )
    note = "JQL updated >= cursor - 2 min"
    return {"client": "jira", "requests": len(seen), "items": len(found or []), "note": note}


class CountingService:
    """py-trello's `http_service`: its api.trello.com URLs go to the sandbox, counted."""

    def __init__(self, base: str) -> None:
        self.base, self.session, self.requests = base, requests.Session(), 0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.requests += 1
        return self.session.request(
            method, url.replace("https://api.trello.com/1", self.base), **kwargs
        )


def pytrello_changes(url: str, board_id: str, since: datetime) -> Row:
    """A py-trello user's incremental pull: board actions since the cursor, each changed card."""
    from trello import TrelloClient  # type: ignore[import-untyped]  # no stubs or py.typed

    service = CountingService(f"{url}/trello/1")
    client = TrelloClient(CREDS.trello_key, token=CREDS.trello_token, http_service=service)
    board = client.get_board(board_id)
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    kinds = "createCard,updateCard,deleteCard,commentCard"
    actions = board.fetch_actions(kinds, action_limit=1000, since=stamp)
    ids = sorted({a["data"]["card"]["id"] for a in actions if "card" in a.get("data", {})})
    for ident in ids:
        params = {"checklists": "all", "customFieldItems": "true"}
        client.fetch_json(f"/cards/{ident}", query_params=params)
    note = "actions since cursor, then each card"
    return {"client": "py-trello", "requests": service.requests, "items": len(ids), "note": note}


def measured(tool: str, case: str, run: Callable[[], Row]) -> Row:
    """Wall time of one run, then tracemalloc's peak over a second, untimed one."""
    started = time.perf_counter()
    result = {"tool": tool, "case": case, **run()}
    result["seconds"] = round(time.perf_counter() - started, 2)
    tracemalloc.start()
    try:
        run()
        result["peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()
    return result


def incremental(issues: int, cards: int) -> list[Row]:
    """Full pulls for the cursors (untimed), team work in the sandbox, then each client's delta."""
    with sandbox_process(issues, cards) as (url, admin), tempfile.TemporaryDirectory() as tmp:
        board = admin.get("/info").json()["board_ids"][0]
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        jira_config = JiraConfig(kind="jira", id="bench-jira", url=f"{url}/cloud", jql=JQL,
                                 email=CREDS.jira_email, token_env="T")  # fmt: skip
        jira = partial(JiraConnector, jira_config, Secrets(token=SecretStr(CREDS.jira_token)))
        trello_config = TrelloConfig(kind="trello", id="bench-trello", url=f"{url}/trello/1",
                                     board=board, key_env="K", token_env="T")  # fmt: skip
        keys = Secrets(key=SecretStr(CREDS.trello_key), token=SecretStr(CREDS.trello_token))
        trello = partial(TrelloConnector, trello_config, keys)
        j_since = syncd_pull(jira, None, engine)["cursor"]
        t_since = syncd_pull(trello, None, engine)["cursor"]
        moved = admin.post("/advance", json={"hours": CHANGE_HOURS}).json()["moved"]
        j_case = f"incremental, {issues:,} issues, {moved['issues']} changed in 10 min"
        t_case = f"incremental, {cards:,} cards, {moved['cards']} moved in 10 min"
        rows = [
            measured("jira", j_case, lambda: syncd_pull(jira, j_since, engine)),
            measured("jira", j_case, lambda: jira_changes(url, j_since)),
            measured("trello", t_case, lambda: syncd_pull(trello, t_since, engine)),
            measured("trello", t_case, lambda: pytrello_changes(url, board, t_since)),
        ]
        engine.dispose()
    return rows


# --- the run -----------------------------------------------------------------------------------

Section = Callable[[Sizes, bool], tuple[list[Row], Any]]
SECTIONS: dict[str, Section] = {
    "pull": jira_pulls,
    "pull_trello": trello_pulls,
    "incremental": incremental_pulls,
    "reconcile": reconcile,
    "latency": latency,
    "throughput": throughput,
    "sandbox_rps": sandbox_rps,
    "command": command,
}
COLUMNS = {"bench": "benchmark", "case": "case", "who": "client", "seconds": "wall s",
           "requests": "requests", "items": "items", "per_1k": "req / 1k items",
           "peak_mib": "peak MiB", "note": "result"}  # fmt: skip


def run_section(name: str, sizes: Sizes, big: bool) -> tuple[list[Row], Any]:
    """A section's rows, or one row saying how it failed; never raises."""
    started = time.monotonic()
    print(f"[{name}]", flush=True)
    try:
        rows, raw = SECTIONS[name](sizes, big)
    except Exception as exc:
        rows, raw = [row(name, "failed", "", note=f"{type(exc).__name__}: {exc}"[:300])], None
    print(f"  {len(rows)} row(s) in {time.monotonic() - started:.0f} s", flush=True)
    return rows, raw


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return {"cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30),
            "cpu": names[0] if names else platform.processor(), "python": platform.python_version(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_1m": round(os.getloadavg()[0], 1)}  # fmt: skip


def cell(value: Any) -> str:
    if value is None:
        return ""
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text.replace("|", "/").replace("\n", " ")


def table(rows: list[Row]) -> str:
    """A Markdown table, so it pastes into bench/README.md as it is."""
    lines = ["| " + " | ".join(COLUMNS.values()) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r.get(key)) for key in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--big", action="store_true", help="add the 100,000-issue Jira pull")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument("--json", type=Path, default=LATEST, help="where the results go")
    args = parser.parse_args(argv)
    sizes, started = (QUICK if args.quick else Sizes()), time.monotonic()
    load_before = round(os.getloadavg()[0], 1)
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    for name in args.only:
        section_rows, raw[name] = run_section(name, sizes, args.big)
        rows += section_rows
    m = {**machine(), "load_average_1m_before": load_before}
    mode = "quick" if args.quick else "full"
    report = {"machine": m, "mode": mode, "big": args.big, "sizes": asdict(sizes),
              "seconds": round(time.monotonic() - started), "rows": rows, "raw": raw}  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    load = f"load average {load_before} before, {m['load_average_1m']} after"
    print(f"\n{m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}; {m['date']}; {mode} run, "
          f"{report['seconds']} s; {load}")  # fmt: skip
    print(f"\n{table(rows)}\n\nwritten to {args.json}")
    return 1 if any(r["case"] == "failed" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
