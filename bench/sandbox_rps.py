"""Requests per second the sandbox serves on loopback, latency off.

    .venv/bin/python bench/sandbox_rps.py [--issues 10000] [--cards 5000] [--requests 2000]

Starts a sandbox with 10,000 Jira issues and 5,000 Trello cards, then drives a mix of typical
syncd calls from an async httpx client (16 concurrent) and prints requests per second per
scenario. The client shares the machine (and the GIL budget) with the server, so the figures
are a floor for what a separate client process would see.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from syncd.sandbox import Sandbox, SandboxConfig  # noqa: E402

CONCURRENCY = 16


def scenarios(sb: Sandbox) -> dict[str, Callable[[int], tuple[str, str, dict[str, object]]]]:
    """name -> n -> (method, url, httpx kwargs)."""
    keys = sorted(sb.state.issues)
    board = sb.board_ids[0]
    cards = sb.state.boards[board].cards
    cloud = sb.jira_cloud_url + "/rest/api/3"
    return {
        "jira issue GET": lambda n: ("GET", f"{cloud}/issue/{keys[n % len(keys)]}", {}),
        "jira search/jql ids (1000/page)": lambda n: (
            "GET",
            f"{cloud}/search/jql",
            {"params": {"jql": "project = ACME", "maxResults": 1000, "fields": "key"}},
        ),
        "jira search/jql 50 x 6 fields": lambda n: (
            "GET",
            f"{cloud}/search/jql",
            {
                "params": {
                    "jql": "project = BETA ORDER BY updated ASC",
                    "maxResults": 50,
                    "fields": "summary,status,assignee,updated,parent,customfield_10016",
                }
            },
        ),
        "jira myself (minimal)": lambda n: ("GET", f"{cloud}/myself", {}),
        "trello card GET": lambda n: ("GET", f"{sb.trello_url}/cards/{cards[n % len(cards)]}", {}),
        "trello board actions (100)": lambda n: (
            "GET",
            f"{sb.trello_url}/boards/{board}/actions",
            {"params": {"limit": 100}},
        ),
    }


async def drive(
    sb: Sandbox, make: Callable[[int], tuple[str, str, dict[str, object]]], total: int
) -> float:
    """Send `total` requests with CONCURRENCY in flight; requests per second."""
    auth = (sb.creds.jira_email, sb.creds.jira_token)
    params = {"key": sb.creds.trello_key, "token": sb.creds.trello_token}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    counter = iter(range(total))
    async with httpx.AsyncClient(auth=auth, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for n in counter:
                method, url, kwargs = make(n)
                if "/trello/" in url:
                    query = dict(kwargs.get("params") or {})  # type: ignore[call-overload]
                    kwargs = {**kwargs, "params": {**query, **params}}
                response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
                response.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return total / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--issues", type=int, default=10_000)
    p.add_argument("--cards", type=int, default=5_000)
    p.add_argument("--requests", type=int, default=2_000)
    args = p.parse_args(argv)
    config = SandboxConfig(seed=1, jira_issues=args.issues, trello_cards=args.cards, boards=5)
    print(
        f"machine: {os.cpu_count()} cores; {args.issues} issues, {args.cards} cards, "
        f"{args.requests} requests per scenario, {CONCURRENCY} concurrent"
    )
    with Sandbox(config) as sb:
        for name, make in scenarios(sb).items():
            rps = asyncio.run(drive(sb, make, args.requests))
            print(f"{name:36s} {rps:8.0f} req/s")
        stats = sb.stats()
        print(f"total requests {sum(stats['requests'].values())}, bytes out {stats['bytes_out']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
