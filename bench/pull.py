"""Pulling Jira Cloud: syncd's connector against the `jira` library, over the sandbox at 50 ms.

The sandbox runs in its own process (so its CPU and memory are not the client's), on loopback,
with 50 ms added to every request. Each client pulls every issue of the same JQL, asking for the
same fields with the changelog expanded:

* syncd: `JiraConnector.pull`, every page committed into a fresh SQLite store as `sync` does;
* jira: `JIRA.enhanced_search_issues(jql, maxResults=0, fields=..., expand="changelog")`.

Three sections: a clean full pull; the same with 5 % of requests answered 500/502/503; and a
429 regime (50 requests per 10 s per credential, Retry-After on each 429), where syncd is also
run with one connection as the sequential client to compare with. Wall time, requests, bytes
received and items come from the timed run with the median wall time (of three for the clean
pull, `--repeat`); peak memory (tracemalloc, the same for both clients) from one more, untimed
run. Every syncd run starts cold (no cached field catalogue), and the process freezes its
start-up heap first, as every syncd process does (`syncd.runtime.freeze_startup_heap`).

    .venv/bin/python -m bench.pull [--issues 10000] [--skip-429] [--json out.json]

A Trello section lives in `bench/pull_trello.py`; `main` here only runs the Jira sections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from jira import JIRA
from pydantic import SecretStr

from syncd.connectors.config import Secrets
from syncd.connectors.jira import oauth
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.connector import _META_CACHE as jira_meta_cache
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.jira.pull import FIELDS
from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.runtime import freeze_startup_heap
from syncd.sandbox.config import Creds
from syncd.store.items import count_items
from syncd.store.pulls import PageSink

LATENCY_MS = 50
JQL = "project in (ACME, BETA)"
ORDERED = f"{JQL} ORDER BY updated ASC, key ASC"
EMAIL, TOKEN = "bot@example.com", "sandbox-jira-token"  # the sandbox's fixed credentials
APP = "bench-oauth-app"  # an OAuth app registered on the sandbox (id and secret alike)
Row = dict[str, Any]


class SandboxProcess:
    """`python -m syncd.sandbox` in a child process, steered through `/_admin`: its CPU and
    memory are not the client's. It answers to `trello_url`, `creds` and `board_ids` as a
    `Sandbox` object does, so the same client code runs against either."""

    def __init__(self, issues: int, *, cards: int = 0, trello_limits: bool = False) -> None:
        command = [sys.executable, "-m", "syncd.sandbox", "--port", "0", "--issues", str(issues),
                   "--cards", str(cards), "--latency-ms", str(LATENCY_MS), "--seed", "1",
                   *(["--trello-limits"] if trello_limits else [])]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if "listening on" not in first:
            self.process.kill()
            raise RuntimeError(f"the sandbox did not start: {first!r}")
        self.url = first.rsplit(" ", 1)[1].strip()
        self.trello_url = f"{self.url}/trello/1"
        self.creds = Creds()
        banner = []  # every line up to the banner's last ("admin: ..."), however many come before
        while True:
            line = self.process.stdout.readline()
            banner.append(line)
            if not line or line.strip().startswith("admin:"):
                break
        boards = next((line for line in banner if line.strip().startswith("boards:")), "")
        self.board_ids = boards.split(":", 1)[1].replace(",", " ").split() if boards else []
        self.admin = httpx.Client(base_url=f"{self.url}/_admin", timeout=60)

    def faults(self, **settings: Any) -> None:
        self.admin.post("/faults", json=settings).raise_for_status()

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.admin.get("/stats").json()
        return stats

    def stop(self) -> None:
        self.admin.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def oauth_connector(url: str) -> JiraConnector:
    """A connector that reaches the sandbox as an OAuth 2.0 app through its gateway, with a
    new grant and nothing cached: it pays for the token and the site lookup itself."""
    oauth.forget_cached()
    answer = httpx.post(f"{url}/_admin/oauth/apps", json={"client_id": APP, "client_secret": APP})
    answer.raise_for_status()
    config = JiraConfig(kind="jira", id="bench-jira", url=f"{url}/cloud", auth="oauth", jql=JQL,
                        client_id_env="APP", client_secret_env="APP", refresh_token_env="R",
                        api_url=f"{url}/api", auth_url=f"{url}/auth")  # fmt: skip
    secrets = Secrets(client_id=SecretStr(APP), client_secret=SecretStr(APP),
                      refresh_token=SecretStr(answer.json()["refresh_token"]))  # fmt: skip
    return JiraConnector(config, secrets)


def syncd_pull(url: str, *, concurrency: int = 10, keep: bool = True, as_app: bool = False) -> Row:
    """A full pull through the connector, each page committed into a fresh SQLite store."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        config = JiraConfig(kind="jira", id="bench-jira", url=f"{url}/cloud", email=EMAIL,
                            token_env="JIRA_TOKEN", jql=JQL, concurrency=concurrency)  # fmt: skip
        connector = (
            oauth_connector(url)
            if as_app
            else JiraConnector(config, Secrets(token=SecretStr(TOKEN)))
        )
        seen: Counter[str] = Counter()

        async def pull() -> None:
            newest = None
            sink = PageSink(engine, "bench", connector.id)  # as syncd.sync.pull stores
            try:
                async for page in connector.pull(None):
                    if keep:
                        sink.add(page)
                    seen.update(item.external_id for item in page.items)
                    newest = page.cursor or newest
                sink.close(newest)
            finally:
                await connector.aclose()

        error = ""
        try:
            asyncio.run(pull())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:80]
        stored = count_items(engine, "bench", connector.id) if keep else None
        engine.dispose()
    counters = connector.remote.counters
    auth = connector.client.auth
    app_requests = auth.requests if isinstance(auth, oauth.AtlassianOAuth) else 0
    return {
        "requests": counters.requests + app_requests,
        "bytes": counters.bytes_in,
        "items": sum(seen.values()),
        "stored": stored,
        "twice": sum(1 for n in seen.values() if n > 1),
        "retries": counters.retries,
        "error": error,
    }


def jira_lib_pull(url: str) -> Row:
    """The same pull as a `jira` library user writes it."""
    counted = {"requests": 0, "bytes": 0}

    def count(response: Any, *args: Any, **kwargs: Any) -> None:
        counted["requests"] += 1
        counted["bytes"] += len(response.content)

    items, error = 0, ""
    try:
        client = JIRA(server=f"{url}/cloud", basic_auth=(EMAIL, TOKEN), max_retries=3,
                      options={"check_update": False})  # fmt: skip
        client._session.hooks["response"].append(count)
        found = client.enhanced_search_issues(
            ORDERED, maxResults=0, fields=",".join((*FIELDS, "worklog")), expand="changelog"
        )
        items = len(found or [])
    except Exception as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:60]}"
    return {**counted, "items": items, "stored": None, "twice": 0, "retries": None,
            "error": error}  # fmt: skip


def timed(run: Callable[[], Row], repeat: int = 1) -> Row:
    """The row of the run with the median wall time of `repeat` runs, the others' times beside."""
    runs = []
    for _ in range(repeat):
        jira_meta_cache.clear()  # every syncd run starts cold: field catalogue, account
        started = time.perf_counter()
        row = run()
        row["wall_s"] = round(time.perf_counter() - started, 2)
        runs.append(row)
    runs.sort(key=lambda r: r["wall_s"])
    median = runs[len(runs) // 2]
    median["wall_runs"] = [r["wall_s"] for r in runs]
    return median


def peak_mib(run: Callable[[], Row]) -> float:
    tracemalloc.start()
    try:
        run()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def section(sb: SandboxProcess, name: str, clients: dict[str, Callable[[], Row]],
            faults: dict[str, Any], *, memory: bool = True,
            repeat: int = 1) -> list[Row]:  # fmt: skip
    """Each client timed `repeat` times (the median kept) and once under tracemalloc, faults
    fresh for every run."""
    rows = []
    for client, run in clients.items():
        sb.faults(**faults)
        row = {"section": name, "client": client, **timed(run, repeat)}
        row["faults"] = sb.stats().get("faults", {})
        if memory:
            sb.faults(**faults)
            row["peak_mib"] = peak_mib(run)
        rows.append(row)
        print_row(row)
    return rows


def jira_sections(sb: SandboxProcess, issues: int, *, skip_429: bool, repeat: int) -> list[Row]:
    """The Jira Cloud rows: clean, 5 % failing requests, and the 429 regime."""
    both = {"syncd": lambda: syncd_pull(sb.url), "jira": lambda: jira_lib_pull(sb.url)}
    full = {**both, "syncd, no store": lambda: syncd_pull(sb.url, keep=False),
            "syncd, OAuth app": lambda: syncd_pull(sb.url, as_app=True)}  # fmt: skip
    rows = section(sb, f"full pull, {issues:,} issues", full, {}, repeat=repeat)
    failing = {"error_rate": 0.05, "seed": 11}
    rows += section(sb, "5 % of requests fail", both, failing, memory=False)
    if not skip_429:
        limited = {"jira_limit": 50, "jira_window_s": 10.0}
        three = {**both, "syncd, 1 connection": lambda: syncd_pull(sb.url, concurrency=1)}
        rows += section(sb, "429 regime, 50 req / 10 s", three, limited, memory=False)
    return rows


HEADER = "| section | client | wall s | requests | bytes in | peak MiB | items | stored | outcome |"


def print_row(row: Row) -> None:
    outcome = row["error"] or f"ok, {row['retries'] or 0} retries"
    if len(row.get("wall_runs") or ()) > 1:
        outcome += f"; median of {len(row['wall_runs'])} runs: {row['wall_runs']} s"
    stored = "" if row["stored"] is None else f"{row['stored']:,}"
    print(f"| {row['section']} | {row['client']} | {row['wall_s']} | {row['requests']} "
          f"| {row['bytes'] / 1e6:.1f} MB | {row.get('peak_mib', '')} | {row['items']:,} "
          f"| {stored} | {outcome} |", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pull", description=__doc__)
    parser.add_argument("--issues", type=int, default=10000)
    parser.add_argument("--skip-429", action="store_true", help="skip the 429 regime (slow)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each clean full pull (the median is kept)"
    )
    args = parser.parse_args(argv)
    freeze_startup_heap()  # as every syncd process does once it has started
    print(HEADER)
    print("|" + "---|" * 9)
    sb = SandboxProcess(args.issues)
    try:
        rows = jira_sections(sb, args.issues, skip_429=args.skip_429, repeat=args.repeat)
    finally:
        sb.stop()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
