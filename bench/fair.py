"""Fair scheduling: small clients' cycles while one client pulls 100,000 issues.

Two sandboxes at 20 ms latency: one holds the big client's Jira project (`--issues`, 100,000 by
default) and its board; the other a project of 200 issues and a board of 50 cards for each of
`--small` clients. `syncd run` on the embedded default (SQLite, 4 worker threads,
`SYNCD_CLIENT_JOBS` at its default) pulls them all: the big client once (poll every 60 min), the
small ones every `--poll` minutes. While the big Jira pull runs (from its run's start to its
finish in the store), every gap between two successive finished pulls of a small connector is
one cycle of it: its poll interval plus the delay it met. The big pull runs in slices
(`SYNCD_PULL_SLICE`, 10,000 issues), each a job of its own. Reported: the gaps' p50, p95 and
maximum, in seconds and in poll intervals (the target: p95 under 2 intervals).

    .venv/bin/python -m bench.fair [--issues 100000] [--small 10] [--poll 0.25]
        [--slice 10000] [--client-jobs 2] [--json bench/results/fair.json]

The short form (`--issues 5000 --small 3`) runs in `tests/bench/test_fair_bench.py`, which
checks that it runs and that its counts are sane, never its times.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import select

from syncd import store
from syncd.db import Run
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.store.pulls import get_cursor
from tests.daemon import harness as h

LATENCY_MS = 20
BIG = ("big", "big-jira")
TIMEOUT_S = 1800.0


def write_client(dep: h.Deployment, cid: str, sb: Sandbox, project: str, poll: float) -> None:
    body = h.CLIENT.format(
        name=cid.title(),
        cid=cid,
        project=project,
        board=sb.board_ids[0],
        poll=poll,
        sandbox=sb.url,
        account="",  # the sandbox's one Trello account
    )
    (dep.root / "config" / "clients" / f"{cid}.toml").write_text(body)


def small_sandboxes(count: int) -> list[SandboxConfig]:
    return [
        SandboxConfig(
            seed=10 + n, projects=("SMA",), jira_issues=200, trello_cards=50, latency_ms=LATENCY_MS
        )
        for n in range(count)
    ]


def pull_runs(dep: h.Deployment) -> list[tuple[str, str, Any, Any]]:
    engine = dep.engine()
    try:
        with store.sessions(engine)() as session:
            rows = session.execute(
                select(Run.client, Run.source, Run.started, Run.finished).where(Run.kind == "pull")
            ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def big_window(runs: list[tuple[str, str, Any, Any]]) -> tuple[Any, Any] | None:
    """From the start of the big pull's first slice to the end of its last one so far."""
    big = [(started, finished) for c, src, started, finished in runs if (c, src) == BIG]
    if not big or any(finished is None for _, finished in big):
        return None
    return min(s for s, _ in big), max(f for _, f in big)


def big_done(dep: h.Deployment) -> bool:
    """The big pull's last slice is in: its cursor moved (it stays put between slices)."""
    engine = dep.engine()
    try:
        cursor = get_cursor(engine, *BIG)
        return cursor is not None and cursor.cursor is not None
    finally:
        engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def small_finishes(runs: list[Any]) -> dict[tuple[str, str], list[Any]]:
    """When each small client's pulls finished, by (client, source)."""
    finishes: dict[tuple[str, str], list[Any]] = {}
    for client, source, _, finished in runs:
        if client != "big" and finished is not None:
            finishes.setdefault((client, source), []).append(finished)
    return finishes


def cycle_gaps(finishes: dict[tuple[str, str], list[Any]], begin: Any, end: Any) -> list[float]:
    """Seconds between a small client's successive pulls, for those ending in [begin, end]."""
    gaps = []
    for times in finishes.values():
        for a, b in itertools.pairwise(sorted(times)):
            if begin <= b <= end:
                gaps.append((b - a).total_seconds())
    return gaps


def run(issues: int, small: int, poll: float, settings: dict[str, str]) -> dict[str, Any]:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(
            seed=4, projects=("BIG",), jira_issues=issues, trello_cards=50, latency_ms=LATENCY_MS
        )
        big = stack.enter_context(Sandbox(config))
        smalls = [stack.enter_context(Sandbox(cfg)) for cfg in small_sandboxes(small)]
        dep = h.Deployment(Path(tmp), big, webhooks=False, settings=settings)
        dep.write_clients([], poll=60)  # the plan next to the client files
        write_client(dep, "big", big, "BIG", 60)
        for n, sb in enumerate(smalls):
            write_client(dep, f"small{n:02d}", sb, "SMA", poll)
        load_before = [round(x, 2) for x in os.getloadavg()]
        started = time.monotonic()
        try:
            dep.start("run")
            deadline = started + TIMEOUT_S
            while time.monotonic() < deadline:
                if big_done(dep) and big_window(pull_runs(dep)) is not None:
                    break
                if dep.procs[0].poll() is not None:
                    raise RuntimeError(f"syncd run exited:\n{dep.log_tail()}")
                time.sleep(1.0)
            else:
                raise RuntimeError("the big pull did not finish in time")
            runs = pull_runs(dep)
        finally:
            dep.kill_all()
        seconds = time.monotonic() - started
    begin, end = big_window(runs) or (None, None)
    finishes = small_finishes(runs)
    gaps = cycle_gaps(finishes, begin, end)
    interval = poll * 60
    result: dict[str, Any] = {
        "issues": issues,
        "small_clients": small,
        "settings": settings,
        "poll_s": interval,
        "big_pull_s": round((end - begin).total_seconds(), 1),
        "big_slices": sum(1 for c, src, _, _ in runs if (c, src) == BIG),
        "small_pulls_during": sum(1 for t in finishes.values() for f in t if begin <= f <= end),
        "cycles_measured": len(gaps),
        "wall_s": round(seconds, 1),
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    if gaps:
        result.update(
            p50_s=round(statistics.median(gaps), 2),
            p95_s=round(percentile(gaps, 0.95), 2),
            max_s=round(max(gaps), 2),
            p95_intervals=round(percentile(gaps, 0.95) / interval, 2),
        )
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000, help="the big client's issues")
    parser.add_argument("--small", type=int, default=10, help="small clients")
    parser.add_argument("--poll", type=float, default=0.25, help="small clients' poll, minutes")
    parser.add_argument("--slice", type=int, default=None, help="SYNCD_PULL_SLICE (10000)")
    parser.add_argument("--client-jobs", type=int, default=None, help="SYNCD_CLIENT_JOBS (2)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = {}
    if args.slice is not None:
        settings["SYNCD_PULL_SLICE"] = str(args.slice)
    if args.client_jobs is not None:
        settings["SYNCD_CLIENT_JOBS"] = str(args.client_jobs)
    result = run(args.issues, args.small, args.poll, settings)
    print(json.dumps(result, indent=2, default=str))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return result


if __name__ == "__main__":
    main()
