"""The command as a whole: `syncd db upgrade` + `syncd sync` as processes, beside the floor.

What a user waits for is the process, not the pull inside it: start-up (imports, settings,
migrations), the pull, normalizing and storing, and exit. Against one sandbox process (its own
process, loopback, 50 ms added to every request) holding N Jira Cloud issues, each round runs,
one after another (interleaved, so a slow minute of the machine falls on all three alike;
each round starts with the next client, as the place in a round moved a run by up to 0.4 s):

* syncd: a first `syncd db upgrade`, then `syncd sync bench` of a client with one Jira
  connector (`project in (ACME, BETA)`, 10 connections), a fresh data directory each round;
* floor: `python -m bench.floor`, a minimal httpx + asyncio client that lists the same ids and
  bulk-fetches the same issues at the same concurrency, decoding every answer and nothing more;
* jira: `python -m bench.jira_lib`, the `jira` library's `enhanced_search_issues`.

Wall time is the median of `--repeat` rounds (every round's time beside it); peak resident
memory is each process's own (GNU `time`'s `%M`), the largest of the rounds; requests
are what the sandbox served for the run. Then `syncd --help` and `syncd check` (the same
config directory) are timed as processes, the median of `--repeat-small` runs.

    .venv/bin/python -m bench.command [--issues 10000 [100000 ...]] [--repeat 3]
        [--clients syncd floor jira] [--json out.json]

Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.pull import EMAIL, JQL, TOKEN, SandboxProcess

ROOT = Path(__file__).resolve().parents[1]
TIME = Path("/usr/bin/time")  # GNU time: a process's own peak RSS (%M)
FIELDS = (  # the fields syncd asks for (syncd.connectors.jira.pull.FIELDS)
    "summary,status,issuetype,project,assignee,created,updated,duedate,resolutiondate,"
    "resolution,labels,components,timetracking,subtasks,parent,worklog"
)
CLIENTS = ("syncd", "floor", "jira")
CLIENT_FILE = """\
name = "Bench"
timezone = "UTC"
poll_minutes = 60

[[connectors]]
kind = "jira"
id = "bench-jira"
url = "{url}/cloud"
email = "{email}"
token_env = "BENCH_JIRA_TOKEN"
jql = "{jql}"
concurrency = {concurrency}
"""


@dataclass
class Proc:
    """One finished process: wall seconds, its own peak RSS in MiB, exit code, output, and
    its CPU seconds (user + system)."""

    seconds: float
    rss_mib: float
    code: int
    stdout: str
    stderr: str
    cpu_s: float = 0.0


def run(command: list[str], env: dict[str, str], timeout: float = 1800) -> Proc:
    """Run `command` to its end, under `/usr/bin/time` for its own peak resident memory.

    (The `ru_maxrss` a parent reads for its child starts from the parent's own size at the
    fork, so this benchmark's 90 MiB would hide a smaller child: `time` forks at 2 MiB.)
    """
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = Path(tmp) / "rss"
        timer = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(rss_file)] if TIME.exists() else []
        started = time.perf_counter()
        done = subprocess.run([*timer, *command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)  # fmt: skip
        seconds = time.perf_counter() - started
        last = rss_file.read_text().splitlines()[-1:] if timer and rss_file.exists() else []
        figures = last[0].split() if last else []
        rss_kib, cpu = 0, 0.0
        if len(figures) == 3:
            rss_kib, cpu = int(figures[0]), float(figures[1]) + float(figures[2])
    return Proc(round(seconds, 3), round(rss_kib / 1024, 1), done.returncode, done.stdout,
                done.stderr, round(cpu, 2))  # fmt: skip


def syncd_command() -> list[str]:
    """The `syncd` console script of this interpreter's environment, as a user runs it."""
    script = Path(sys.executable).parent / "syncd"
    return [str(script)] if script.exists() else [sys.executable, "-m", "syncd"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any SYNCD_* setting of the caller's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    return {**env, **extra}


@dataclass
class Setup:
    """A config directory with one client, `bench`, pulling the sandbox's issues."""

    sandbox: SandboxProcess
    root: Path
    concurrency: int = 10
    rounds: int = field(default=0)

    def __post_init__(self) -> None:
        clients = self.root / "config" / "clients"
        clients.mkdir(parents=True)
        text = CLIENT_FILE.format(
            url=self.sandbox.url, email=EMAIL, jql=JQL, concurrency=self.concurrency
        )
        (clients / "bench.toml").write_text(text, encoding="utf-8")

    def env(self, data_dir: Path, tree: Path | None = None) -> dict[str, str]:
        extra = {"PYTHONPATH": str(tree)} if tree is not None else {}
        return clean_env(
            SYNCD_CONFIG_DIR=str(self.root / "config"),
            SYNCD_DATA_DIR=str(data_dir),
            BENCH_JIRA_TOKEN=TOKEN,
            **extra,
        )

    def requests(self) -> int:
        return sum(self.sandbox.stats()["requests"].values())


def stored_items(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "syncd.db") as conn:
        (count,) = conn.execute("SELECT count(*) FROM items WHERE client = 'bench'").fetchone()
    return int(count)


def run_syncd(setup: Setup, tree: Path | None = None) -> dict[str, Any]:
    """A first `syncd db upgrade`, then `syncd sync bench`, in a fresh data directory; with
    `tree`, the `syncd` package of that source tree (an older commit, to compare) instead."""
    setup.rounds += 1
    data_dir = setup.root / f"data{setup.rounds}"
    env = setup.env(data_dir, tree)
    before = setup.requests()
    upgrade = run([*syncd_command(), "db", "upgrade"], env)
    if upgrade.code:
        raise RuntimeError(f"syncd db upgrade exited {upgrade.code}: {upgrade.stderr[-500:]}")
    sync = run([*syncd_command(), "sync", "bench"], env)
    if sync.code:
        raise RuntimeError(f"syncd sync exited {sync.code}: {sync.stderr[-500:]}")
    return {
        "seconds": round(upgrade.seconds + sync.seconds, 3),
        "upgrade_s": upgrade.seconds,
        "sync_s": sync.seconds,
        "rss_mib": max(upgrade.rss_mib, sync.rss_mib),
        "cpu_s": round(upgrade.cpu_s + sync.cpu_s, 2),
        "upgrade_rss_mib": upgrade.rss_mib,
        "requests": setup.requests() - before,
        "items": stored_items(data_dir),
    }


def fetcher(module: str) -> Callable[[Setup], dict[str, Any]]:
    def run_it(setup: Setup) -> dict[str, Any]:
        before = setup.requests()
        site = f"{setup.sandbox.url}/cloud"
        command = [sys.executable, "-m", f"bench.{module}", site, "--email", EMAIL,
                   "--token", TOKEN, "--jql", JQL, "--fields", FIELDS]  # fmt: skip
        if module == "floor":
            command += ["--concurrency", str(setup.concurrency)]
        done = run(command, clean_env())
        if done.code:
            raise RuntimeError(f"bench.{module} exited {done.code}: {done.stderr[-500:]}")
        counted = json.loads(done.stdout.strip().splitlines()[-1])
        return {
            "seconds": done.seconds,
            "rss_mib": done.rss_mib,
            "cpu_s": done.cpu_s,
            "requests": setup.requests() - before,
            "items": counted["issues"],
        }

    return run_it


RUNNERS: dict[str, Callable[[Setup], dict[str, Any]]] = {
    "syncd": run_syncd,
    "floor": fetcher("floor"),
    "jira": fetcher("jira_lib"),
}


def pulls(
    issues: int, clients: list[str], repeat: int, compare: list[Path] | None = None
) -> list[dict[str, Any]]:
    """`repeat` rounds of every client against one sandbox of `issues` issues, interleaved;
    each tree of `compare` runs as one more syncd client, `syncd@<tree>`."""
    sandbox = SandboxProcess(issues)
    runners = {c: RUNNERS[c] for c in clients}
    for tree in compare or []:
        runners[f"syncd@{tree}"] = lambda setup, tree=tree: run_syncd(setup, tree.resolve())
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in runners}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            setup = Setup(sandbox, Path(tmp))
            order = list(runners)
            for round_ in range(repeat):  # each round starts one client later: no client
                turn = order[round_ % len(order) :] + order[: round_ % len(order)]  # always
                for client in turn:  # runs just after the same neighbour
                    runs[client].append(runners[client](setup))
    finally:
        sandbox.stop()
    rows = []
    for client, done in runs.items():
        done.sort(key=lambda r: r["seconds"])
        row = {"issues": issues, "client": client, **done[len(done) // 2]}
        row["runs"] = [r["seconds"] for r in done]
        row["rss_mib"] = max(r["rss_mib"] for r in done)
        row["cpu_s"] = statistics.median(r["cpu_s"] for r in done)
        rows.append(row)
    return rows


def small_commands(repeat: int, compare: list[Path] | None = None) -> list[dict[str, Any]]:
    """`syncd --help` and `syncd check` (one valid client file) as processes, interleaved;
    also from each tree of `compare`."""
    sandbox_url = "http://127.0.0.1:9"  # `check` does not reach it
    with tempfile.TemporaryDirectory() as tmp:
        clients = Path(tmp) / "config" / "clients"
        clients.mkdir(parents=True)
        text = CLIENT_FILE.format(url=sandbox_url, email=EMAIL, jql=JQL, concurrency=10)
        (clients / "bench.toml").write_text(text, encoding="utf-8")
        env = clean_env(SYNCD_CONFIG_DIR=str(Path(tmp) / "config"),
                        SYNCD_DATA_DIR=str(Path(tmp) / "data"), BENCH_JIRA_TOKEN=TOKEN)  # fmt: skip
        trees: dict[str, Path | None] = {"": None}
        trees.update({f"@{tree}": tree.resolve() for tree in compare or []})
        commands = {
            f"syncd{label} {' '.join(args)}": (args, tree)
            for label, tree in trees.items()
            for args in (["--help"], ["check"])
        }
        times: dict[str, list[Proc]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, (args, tree) in commands.items():
                extra = {"PYTHONPATH": str(tree)} if tree is not None else {}
                done = run([*syncd_command(), *args], {**env, **extra})
                if done.code:
                    raise RuntimeError(f"{name} exited {done.code}: {done.stderr[-500:]}")
                times[name].append(done)
    rows = []
    for name, done in times.items():
        seconds = sorted(p.seconds for p in done)
        rows.append({"command": name, "seconds": statistics.median(seconds), "runs": seconds,
                     "rss_mib": max(p.rss_mib for p in done)})  # fmt: skip
    return rows


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def print_pull(row: dict[str, Any]) -> None:
    extra = ""
    if row["client"].startswith("syncd"):
        extra = f"; upgrade {row['upgrade_s']} s + sync {row['sync_s']} s"
    print(f"| {row['issues']:,} | {row['client']} | {row['seconds']} | {row['cpu_s']} "
          f"| {row['rss_mib']} | {row['requests']} | {row['items']:,} "
          f"| median of {row['runs']} s{extra} |",
          flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.command", description=__doc__)
    parser.add_argument("--issues", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each pull")
    parser.add_argument("--repeat-small", type=int, default=5, help="runs of --help and check")
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    parser.add_argument("--no-small", action="store_true", help="skip --help and check")
    parser.add_argument(
        "--compare",
        type=Path,
        nargs="*",
        default=[],
        help="source trees holding another syncd/ (e.g. `git archive` of an older commit),"
        " each run as one more client in the same rounds",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"machine_before": machine(), "pulls": [], "commands": []}
    print(f"machine: {result['machine_before']}", flush=True)
    print("| issues | client | wall s | CPU s | peak RSS MiB | requests | items | runs |")
    print("|---|---|---|---|---|---|---|---|", flush=True)
    for issues in args.issues:
        rows = pulls(issues, args.clients, args.repeat, args.compare)
        for row in rows:
            print_pull(row)
        by = {r["client"]: r for r in rows}
        if "syncd" in by and "floor" in by:
            ratio = by["syncd"]["seconds"] / by["floor"]["seconds"]
            print(f"syncd / floor at {issues:,} issues: {ratio:.2f}x", flush=True)
        result["pulls"] += rows
    if not args.no_small:
        print("| command | wall s | peak RSS MiB | runs |")
        print("|---|---|---|---|")
        for row in small_commands(args.repeat_small, args.compare):
            print(f"| {row['command']} | {row['seconds']} | {row['rss_mib']} | {row['runs']} |")
            result["commands"].append(row)
    result["machine_after"] = machine()
    print(f"machine after: {result['machine_after']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
