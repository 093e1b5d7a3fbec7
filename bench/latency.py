"""Change-to-push latency: a tracker change until the new status lands back in the tracker.

Starts the sandbox (demo scenario) and `syncd run` on the embedded default, waits for the first
status, then makes N changes through Jira's REST API (a transition to Done, or back) and times
each until the status issue's `syncd.status` property shows a new status. Two paths:
webhooks (Jira admin webhook with a secret, polling every 60 min as the safety net) and polling
alone (every 3 s). Prints p50/p95 and writes JSON.

    .venv/bin/python -m bench.latency [--changes 20] [--json bench/results/latency.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from syncd.sandbox import Sandbox, SandboxConfig
from tests.daemon import harness as h

AUTH = ("bot@example.com", "sandbox-jira-token")


def status_of(sb: Sandbox, key: str) -> Any:
    issue = sb.state.issues.get(key)
    return None if issue is None else issue.properties.get("syncd.status")


def toggle(api: httpx.Client, key: str) -> None:
    """Move an issue to Done, or back to In Progress when it is done."""
    transitions = api.get(f"/rest/api/3/issue/{key}/transitions").json()["transitions"]
    current = api.get(f"/rest/api/3/issue/{key}", params={"fields": "status"}).json()
    done = current["fields"]["status"]["statusCategory"]["key"] == "done"
    want = "indeterminate" if done else "done"
    chosen = next(t for t in transitions if t["to"]["statusCategory"]["key"] == want)
    api.post(f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": chosen["id"]}})


def movable(sb: Sandbox) -> list[str]:
    """Stories whose move changes the status: an epic marked done is complete whatever its
    stories say, so moving a story of one changes nothing to wait for."""
    issues = sb.state.issues

    def open_epic(parent: str | None) -> bool:
        epic = issues.get(parent) if parent else None
        return epic is not None and epic.status.category != "done"

    return sorted(k for k, i in issues.items() if i.issuetype != "Epic" and open_epic(i.parent))


def measure(path: str, changes: int) -> list[float]:
    with Sandbox(SandboxConfig(demo=True, seed=7)) as sb, tempfile.TemporaryDirectory() as tmp:
        board = sb.board_ids[0]
        dep = h.Deployment(Path(tmp), sb, webhooks=path == "webhook")
        dep.write_clients([("acme", "ACME", board)], poll=60 if path == "webhook" else 0.05)
        dep.start("run")
        try:
            h.wait_for(lambda: status_of(sb, "ACME-1"), 120, "the first status")
            time.sleep(2)  # let the first cycle (both connectors, both targets) finish
            keys = movable(sb)
            api = httpx.Client(base_url=sb.jira_cloud_url, auth=AUTH, timeout=10)
            latencies = []
            for n in range(changes):
                before = json.dumps(status_of(sb, "ACME-1"), sort_keys=True)
                started = time.monotonic()
                toggle(api, keys[n % len(keys)])
                h.wait_for(
                    lambda b=before: json.dumps(status_of(sb, "ACME-1"), sort_keys=True) != b,
                    120,
                    "the new status",
                    every=0.01,
                )
                latencies.append(time.monotonic() - started)
            return latencies
        finally:
            dep.kill_all()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(changes: int) -> dict[str, Any]:
    results = {}
    for path in ("webhook", "polling"):
        values = measure(path, changes)
        results[path] = {
            "changes": len(values),
            "p50_s": round(statistics.median(values), 3),
            "p95_s": round(percentile(values, 0.95), 3),
            "max_s": round(max(values), 3),
        }
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    results = run(args.changes)
    print(f"{'path':10} {'changes':>8} {'p50 s':>8} {'p95 s':>8} {'max s':>8}")
    for path, row in results.items():
        print(
            f"{path:10} {row['changes']:>8} {row['p50_s']:>8} {row['p95_s']:>8} {row['max_s']:>8}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
