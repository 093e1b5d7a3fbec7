"""A daemon imports, before its worker threads start, every module that job and web code
imports on first use: two threads importing one package at once can meet it half-initialized
(`syncd run` once died at start with an ImportError from `syncd.reports.push`)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Imported on first use for reasons of their own, never from a worker thread's job:
NOT_JOBS = {
    "syncd.plan.mpp": "the MS Project reader needs Java; plan import runs in the CLI",
    "syncd.budget_shared": "chosen by runtime.load in the main thread",
    "syncd.connectors.fake": "the test connector",
    "syncd.connectors.jira.probe": "syncd check --online",
    "syncd.connectors.trello.probe": "syncd check --online",
    "syncd.migrate": "the main thread migrates before workers start",
}
SKIP_DIRS = ("sandbox", "check", "migrations", "cli")
SKIP_FILES = ("demo.py", "__main__.py")


def lazy_imports() -> set[str]:
    """Every `syncd.*` module imported inside a function of the package's daemon-side code."""
    found: set[str] = set()
    for path in (REPO / "syncd").rglob("*.py"):
        rel = path.relative_to(REPO / "syncd")
        if rel.parts[0] in SKIP_DIRS or path.name in SKIP_FILES:
            continue
        for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("syncd"):
                    assert node.module is not None
                    found.add(node.module)
                    found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if (REPO / (m.replace(".", "/") + ".py")).exists()} - set(NOT_JOBS)


def test_preload_imports_every_module_jobs_import_on_first_use() -> None:
    """After `daemon.preload()`, importing every module job code imports lazily brings in no
    syncd module the main thread has not already imported."""
    script = (
        "import importlib, json, sys\n"
        "import syncd.daemon\n"
        "syncd.daemon.preload()\n"
        "before = {m for m in sys.modules if m.startswith('syncd')}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    importlib.import_module(name)\n"
        "after = {m for m in sys.modules if m.startswith('syncd')}\n"
        "print(json.dumps(sorted(after - before)))\n"
    )
    wanted = sorted(lazy_imports())
    assert "syncd.reports.push" in wanted and "syncd.pipeline" in wanted
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(wanted)],
        capture_output=True, text=True, check=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert json.loads(done.stdout) == []
