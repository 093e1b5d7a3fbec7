"""Re-baselining: the CLI, every report format, the dashboard and the push body name the same
stored version, and `syncd plan diff` shows what changed between two stored versions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from syncd.db import make_engine
from syncd.reports.push import push_bodies
from syncd.settings import Settings
from syncd.status import load_status
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.web.conftest import free_port, serve

CLIENT = """
name = "Acme"
timezone = "Europe/Berlin"
[[connectors]]
kind = "jira"
id = "acme-jira"
url = "https://acme.invalid"
email = "a@b.c"
token_env = "SOME_JIRA_TOKEN"
jql = "project = ACME"
[plan]
file = "../plans/plan.toml"
"""

# The file's own version says "target" (as an XER's does) and is never bumped by the user.
PLAN = """
[plan]
name = "Rollout"
version = "target"
label = "Contract baseline"
[[tasks]]
wbs = "1"
name = "Discovery"
start = 2026-10-01
finish = 2026-10-14
budget = 120
[[tasks]]
wbs = "2"
name = "Build"
start = 2026-10-15
finish = {build_finish}
budget = {build_budget}
predecessors = "1FS"
"""


def syncd(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env |= {
        "SYNCD_CONFIG_DIR": str(root / "config"),
        "SYNCD_DATA_DIR": str(root / "data"),
        "SOME_JIRA_TOKEN": "t",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def write_plan(root: Path, *, finish: str, budget: int) -> None:
    text = PLAN.format(build_finish=finish, build_budget=budget)
    (root / "config" / "plans" / "plan.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def rebaselined(tmp_path: Path) -> Path:
    """A client whose plan was imported (v1), then changed and imported again (v2)."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    (tmp_path / "config" / "plans").mkdir()
    (tmp_path / "config" / "clients" / "acme.toml").write_text(CLIENT, encoding="utf-8")
    write_plan(tmp_path, finish="2026-10-28", budget=200)
    first = syncd(tmp_path, "plan", "import", "acme")
    assert first.returncode == 0 and "new baseline v1" in first.stdout, first.stderr
    write_plan(tmp_path, finish="2026-11-02", budget=240)
    second = syncd(tmp_path, "plan", "import", "acme")
    assert second.returncode == 0 and "new baseline v2" in second.stdout, second.stderr
    return tmp_path


def test_every_place_names_the_stored_version(rebaselined: Path) -> None:
    """After re-baselining, reconcile, plan show, the md/html/json reports, the dashboard page
    and the pushed status all say v2 with the stored label; none says v1 or "vtarget"."""
    root = rebaselined
    rec = syncd(root, "reconcile", "acme", "--as-of", "2026-10-20")
    assert rec.returncode == 0, rec.stderr
    assert "baseline v2 Contract baseline" in rec.stdout
    shown = syncd(root, "plan", "show", "acme")
    assert "acme baseline v2" in shown.stdout
    md = syncd(root, "report", "acme", "-f", "md").stdout
    assert "Measured against baseline v2 (Contract baseline)" in md
    assert "baseline v2 Contract baseline" in syncd(root, "report", "acme", "-f", "html").stdout
    meta = json.loads(syncd(root, "report", "acme", "-f", "json").stdout)["baseline"]
    assert meta == {"version": 2, "label": "Contract baseline"}
    engine = make_engine(f"sqlite:///{root / 'data' / 'syncd.db'}")
    try:
        status = load_status(engine, "acme")
        assert push_bodies(status, dashboard_url="").machine["baseline_version"] == 2
        settings = Settings(config_dir=root / "config", data_dir=root / "data")
        app = create_app(engine=engine, settings=settings, broker_check=lambda: True)
        token = create_token(engine, name="t")
        port = free_port()
        server, thread = serve(app, port)
        try:
            page = httpx.get(
                f"http://127.0.0.1:{port}/clients/acme",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        assert page.status_code == 200
        assert "baseline v2 Contract baseline" in " ".join(page.text.split())
    finally:
        engine.dispose()
    everything = rec.stdout + shown.stdout + md + page.text
    assert "vtarget" not in everything and "baseline v1" not in everything


def test_plan_diff_shows_what_changed(rebaselined: Path) -> None:
    """`syncd plan diff acme 1 2`: Build's finish +3 working days (Wed 28 Oct → Mon 2 Nov)
    and its budget 200 → 240 hours."""
    done = syncd(rebaselined, "plan", "diff", "acme", "1", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "acme: baseline v1 → v2",
        "Dates moved (1):",
        "  ~ 2 Build: finish 2026-10-28 → 2026-11-02 (+3 working days)",
        "Budgets changed (1):",
        "  ~ 2 Build: 200.0 → 240.0 hours (+40.0)",
    ]


@pytest.mark.parametrize("args", [("diff", "acme", "1", "9"), ("show", "acme", "--version", "9")])
def test_a_version_that_does_not_exist_is_exit_2(rebaselined: Path, args: tuple[str, ...]) -> None:
    """Naming a version the store does not hold is a clear error with exit 2, listing those
    that exist (plan show no longer shows the newest instead)."""
    done = syncd(rebaselined, "plan", *args)
    assert done.returncode == 2
    assert "acme › plan: no baseline v9 stored (stored: v1, v2)" in done.stderr
