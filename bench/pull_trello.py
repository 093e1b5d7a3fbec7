"""Pulling a Trello board: syncd's connector against py-trello, over the sandbox at 50 ms latency.

Part 1, a full pull of one board (5,000 and 10,000 cards) with Trello's limits on, the sandbox
in its own process: wall time, requests, bytes received, peak Python memory of the client
(tracemalloc, in a second run so it does not slow the timed one) and items received. syncd
reads lists, labels, members, custom fields, every card with checklists and custom field
values, and the list-move history; py-trello reads the board, its lists and `all_cards()` (no
history), and in a second row also pages the board's list-move actions with `fetch_actions`,
the history syncd needs for real start and finish dates.

Part 2, trouble: 5% 5xx, 2% dropped connections and the per-token budget (100 / 10 s), while
each client reads 60 cards one by one. py-trello raises at the first bad answer; syncd paces,
retries and finishes.

    .venv/bin/python -m bench.pull_trello [--sizes 5000 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from trello import TrelloClient  # type: ignore[import-untyped]

from bench.pull import SandboxProcess
from syncd.connectors.trello.connector import TrelloConnector
from syncd.sandbox import Faults, Sandbox, SandboxConfig
from tests.connectors.harness_trello import trello_config, trello_secrets

TRELLO = "https://api.trello.com/1"
LATENCY_MS = 50
BURST = 60


class Redirect:
    """py-trello's `http_service`: sends its api.trello.com URLs to the sandbox, and counts."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.requests = 0
        self.bytes_in = 0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.requests += 1
        response = self.session.request(method, url.replace(TRELLO, self.base), **kwargs)
        self.bytes_in += len(response.content)
        return response


def syncd_pull(sb: Sandbox) -> dict[str, Any]:
    """One full pull through the connector."""
    conn = TrelloConnector(trello_config(sb), trello_secrets(sb))

    async def go() -> int:
        try:
            return sum([len(p.items) async for p in conn.pull(None)])
        finally:
            await conn.aclose()

    items = asyncio.run(go())
    counters = conn.remote.counters
    return {"requests": counters.requests, "bytes": counters.bytes_in, "items": items,
            "retries": counters.retries}  # fmt: skip


def pytrello_pull(sb: Sandbox) -> dict[str, Any]:
    """The board, its lists and every card, as py-trello users do it."""
    service = Redirect(sb.trello_url)
    client = TrelloClient(sb.creds.trello_key, token=sb.creds.trello_token, http_service=service)
    board = client.get_board(sb.board_ids[0])
    board.all_lists()
    cards = board.all_cards()
    return {"requests": service.requests, "bytes": service.bytes_in, "items": len(cards),
            "retries": 0}  # fmt: skip


def pytrello_with_history(sb: Sandbox) -> dict[str, Any]:
    """The same, plus the list-move history syncd reads: the board's actions, 1,000 a page."""
    service = Redirect(sb.trello_url)
    client = TrelloClient(sb.creds.trello_key, token=sb.creds.trello_token, http_service=service)
    board = client.get_board(sb.board_ids[0])
    board.all_lists()
    cards = board.all_cards()
    before = None
    while True:
        page = board.fetch_actions("createCard,updateCard:idList", action_limit=1000, before=before)
        if len(page) < 1000:
            break
        before = page[-1]["id"]
    return {"requests": service.requests, "bytes": service.bytes_in, "items": len(cards),
            "retries": 0}  # fmt: skip


def measure(run: Callable[[Sandbox], dict[str, Any]], sb: Sandbox) -> dict[str, Any]:
    """Wall time of one run, then peak Python memory of another."""
    started = time.perf_counter()
    result = run(sb)
    result["seconds"] = round(time.perf_counter() - started, 2)
    tracemalloc.start()
    run(sb)
    result["peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    return result


def full_pulls(sizes: list[int]) -> list[dict[str, Any]]:
    """The sandbox in its own process, so peak memory is the client's alone."""
    rows = []
    for size in sizes:
        sb = SandboxProcess(0, cards=size, trello_limits=True)
        try:
            clients = (
                ("syncd", syncd_pull),
                ("py-trello", pytrello_pull),
                ("py-trello + history", pytrello_with_history),
            )
            for name, run in clients:
                rows.append({"cards": size, "client": name, **measure(run, sb)})
        finally:
            sb.stop()
    return rows


def burst_syncd(sb: Sandbox, ids: list[str]) -> dict[str, Any]:
    conn = TrelloConnector(trello_config(sb), trello_secrets(sb))

    async def go() -> int:
        try:
            return len(await conn.read_cards(ids))
        finally:
            await conn.aclose()

    try:
        got, outcome = asyncio.run(go()), "ok"
    except Exception as exc:
        got, outcome = 0, f"raised {type(exc).__name__}"
    c = conn.remote.counters
    return {"client": "syncd", "cards": got, "requests": c.requests, "outcome": outcome,
            "retries": c.retries, "throttled": c.throttled}  # fmt: skip


def burst_pytrello(sb: Sandbox, ids: list[str]) -> dict[str, Any]:
    service = Redirect(sb.trello_url)
    client = TrelloClient(sb.creds.trello_key, token=sb.creds.trello_token, http_service=service)
    got, outcome = 0, "ok"
    try:
        for ident in ids:  # py-trello's own transport; `get_card` would also read its list
            client.fetch_json(f"/cards/{ident}", query_params={"checklists": "all"})
            client.fetch_json(f"/cards/{ident}/actions", query_params={"filter": "updateCard"})
            got += 1
    except Exception as exc:
        outcome = f"raised {type(exc).__name__}: {str(exc).split(' at ')[0][:48]}"
    return {"client": "py-trello", "cards": got, "requests": service.requests,
            "outcome": outcome, "retries": 0, "throttled": 0}  # fmt: skip


def trouble() -> list[dict[str, Any]]:
    rows = []
    scenarios = (("5xx+drops+limit", Faults(error_rate=0.05, drop_rate=0.02, seed=5)),
                 ("limit only", Faults()))  # fmt: skip
    for label, faults in scenarios:
        config = SandboxConfig(seed=2, jira_issues=0, trello_cards=500, latency_ms=LATENCY_MS,
                               trello_limits=True, faults=faults)  # fmt: skip
        for run in (burst_pytrello, burst_syncd):
            with Sandbox(config) as sb:
                ids = sorted(sb.state.boards[sb.board_ids[0]].cards)[:BURST]
                started = time.perf_counter()
                row = {"trouble": label, **run(sb, ids)}
                row["seconds"] = round(time.perf_counter() - started, 2)
                stats = sb.stats()["faults"]
                row["sandbox_429"] = stats.get("trello-429", 0)
                row["faults_met"] = sum(v for k, v in stats.items() if k != "trello-429")
                rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=True))
              for r in rows]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    pulls = full_pulls(args.sizes)
    print(f"Full pull, {LATENCY_MS} ms latency, Trello limits on")
    print(
        table(
            pulls,
            ["cards", "client", "seconds", "requests", "bytes", "peak_mib", "items", "retries"],
        )
    )
    bursts = trouble()
    print(f"\n{BURST} cards one by one (card + its actions), Trello's 100 req / 10 s per token")
    columns = ["trouble", "client", "cards", "requests", "seconds", "retries", "throttled"]
    print(table(bursts, [*columns, "faults_met", "sandbox_429", "outcome"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"pulls": pulls, "trouble": bursts}, indent=2))


if __name__ == "__main__":
    main()
