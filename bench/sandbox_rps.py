"""Requests per second the sandbox serves on loopback, latency off.

    .venv/bin/python bench/sandbox_rps.py [--issues 10000] [--cards 5000] [--requests 2000]

Starts a sandbox with 10,000 Jira issues and 5,000 Trello cards, then drives typical syncd
calls from an async httpx client (16 concurrent) and prints requests per second per scenario:
once with the client in the sandbox's process (sharing its GIL, as syncd's tests do) and once
from a separate client process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from syncd.sandbox import Sandbox, SandboxConfig

CONCURRENCY = 16
Call = tuple[str, str, dict[str, Any]]


def scenarios(sb: Sandbox) -> dict[str, Callable[[int], Call]]:
    """name -> n -> (method, url, query parameters)."""
    keys = sorted(sb.state.issues)
    board = sb.board_ids[0]
    cards = sb.state.boards[board].cards
    cloud = sb.jira_cloud_url + "/rest/api/3"
    trello = {"key": sb.creds.trello_key, "token": sb.creds.trello_token}
    six = "summary,status,assignee,updated,parent,customfield_10016"
    return {
        "jira issue GET": lambda n: ("GET", f"{cloud}/issue/{keys[n % len(keys)]}", {}),
        "jira search/jql ids (1000/page)": lambda n: (
            "GET",
            f"{cloud}/search/jql",
            {"jql": "project = ACME", "maxResults": 1000, "fields": "key"},
        ),
        "jira search/jql 50 x 6 fields": lambda n: (
            "GET",
            f"{cloud}/search/jql",
            {"jql": "project = BETA ORDER BY updated ASC", "maxResults": 50, "fields": six},
        ),
        "jira myself (minimal)": lambda n: ("GET", f"{cloud}/myself", {}),
        "trello card GET": lambda n: (
            "GET",
            f"{sb.trello_url}/cards/{cards[n % len(cards)]}",
            trello,
        ),
        "trello board actions (100)": lambda n: (
            "GET",
            f"{sb.trello_url}/boards/{board}/actions",
            {**trello, "limit": 100},
        ),
    }


async def drive(plan: list[Call], auth: tuple[str, str]) -> float:
    """Send the planned requests with CONCURRENCY in flight; requests per second."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    pending = iter(plan)
    async with httpx.AsyncClient(auth=auth, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for method, url, params in pending:
                response = await client.request(method, url, params=params)
                response.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return len(plan) / (time.perf_counter() - start)


def drive_sync(plan: list[Call], auth: tuple[str, str]) -> float:
    """`drive` for a pool worker in another process."""
    return asyncio.run(drive(plan, auth))


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
    with Sandbox(config) as sb, multiprocessing.get_context("spawn").Pool(1) as pool:
        auth = (sb.creds.jira_email, sb.creds.jira_token)
        for name, make in scenarios(sb).items():
            plan = [make(n) for n in range(args.requests)]
            same = asyncio.run(drive(plan, auth))
            apart = pool.apply(drive_sync, (plan, auth))
            print(f"{name:34s} {same:6.0f} req/s in-process  {apart:6.0f} req/s separate client")
        stats = sb.stats()
        print(f"total requests {sum(stats['requests'].values())}, bytes out {stats['bytes_out']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
