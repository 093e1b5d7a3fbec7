"""`push.transitions` and `push.epics` act, end to end: `syncd sync` and `syncd push` run as
commands against the sandbox's Jira over HTTP, and the API shows the links they rest on."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from syncd.db import make_engine
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.data import make_issue
from syncd.sandbox.state import STATUSES, Issue
from syncd.settings import Settings
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.daemon.harness import PLAN
from tests.web.conftest import free_port, serve

CLIENT = """\
name = "Acme"
timezone = "Europe/Berlin"

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "{sandbox}/cloud"
email = "bot@example.com"
token_env = "F_JIRA_TOKEN"
jql = "project = ACME"

[connectors.push]
issues = ["{status}"]
epics = true
transitions = true

[plan]
file = "../plans/plan.toml"

[[links]]
by = "epic"

[[links]]
by = "wbs_in_title"
"""


@dataclass
class Site:
    sandbox: Sandbox
    root: Path
    status_issue: str

    def syncd(self, *args: str) -> str:
        """Run one command to its end; its output, or a failure that shows it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")} | {
            "F_JIRA_TOKEN": self.sandbox.creds.jira_token,
            "SYNCD_CONFIG_DIR": str(self.root / "config"),
            "SYNCD_DATA_DIR": str(self.root / "data"),
            "SYNCD_DATABASE_URL": self.db_url,
        }
        done = subprocess.run(
            [sys.executable, "-m", "syncd", *args],
            capture_output=True, text=True, env=env, check=False, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'data' / 'syncd.db'}"

    def issue(self, key: str) -> Issue:
        return self.sandbox.state.issues[key]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The sandbox's demo Jira (WBS-coded epics) plus a status issue in To Do, and a client
    that asks for transitions and epic comments."""
    sandbox = Sandbox(SandboxConfig(demo=True, seed=7, trello_cards=0)).start()
    state = sandbox.state
    number = 1 + max(int(key.split("-")[1]) for key in state.issues)
    status = make_issue(
        state, random.Random(1), "ACME", number, "Task", None,
        summary="Project status", status_name="To Do",
    )  # fmt: skip
    (tmp_path / "config" / "clients").mkdir(parents=True)
    (tmp_path / "config" / "plans").mkdir()
    (tmp_path / "config" / "plans" / "plan.toml").write_text(PLAN.read_text())
    body = CLIENT.format(sandbox=sandbox.url, status=status.key)
    (tmp_path / "config" / "clients" / "acme.toml").write_text(body)
    try:
        yield Site(sandbox, tmp_path, status.key)
    finally:
        sandbox.stop()


def category(issue: Issue) -> str:
    return next(s.category for s in STATUSES if s.id == issue.status_id)


def marked_comments(issue: Issue) -> list[tuple[str, str]]:
    """(id, body text) of the comments that carry syncd's marker property."""
    return [(str(c.id), str(c.body)) for c in issue.comments if c.properties]


def epics(sandbox: Sandbox) -> list[Issue]:
    return [i for i in sandbox.state.issues.values() if i.issuetype == "Epic"]


def test_a_configured_transition_moves_the_status_issue(site: Site) -> None:
    """The project is under way (an epic done, two in progress): `syncd push` moves the status
    issue from To Do to a status of the in-progress category; the next push moves nothing."""
    assert category(site.issue(site.status_issue)) == "new"
    site.syncd("sync", "acme")
    site.syncd("push", "acme")
    assert category(site.issue(site.status_issue)) == "indeterminate"
    moves = len(site.issue(site.status_issue).changelog)
    site.syncd("push", "acme")
    assert len(site.issue(site.status_issue).changelog) == moves
    assert all(category(e) == s for e, s in zip(epics(site.sandbox), EPIC_CATEGORIES, strict=True))


EPIC_CATEGORIES = ("done", "indeterminate", "new", "indeterminate", "new")  # untouched by syncd


def test_epic_comments_land_once_on_linked_epics_and_are_edited_in_place(site: Site) -> None:
    """After a sync, the API lists each item's plan task; `syncd push` comments once on every
    epic linked to a plan task, and after a change the next push edits those same comments."""
    site.syncd("sync", "acme")
    engine = make_engine(site.db_url)
    settings = Settings(config_dir=site.root / "config", data_dir=site.root / "data")
    server, thread = serve(create_app(engine=engine, settings=settings), port := free_port())
    token = create_token(engine, name="admin")
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
        ) as http:
            listed = http.get("/api/clients/acme/items", params={"limit": 500}).json()["items"]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        engine.dispose()
    tasks = {row["key"]: row["plan_task"] for row in listed}
    wbs = {e.key: e.summary.split(" ", 1)[0] for e in epics(site.sandbox)}
    assert {key: tasks[key] for key in wbs} == wbs  # plan tasks are keyed by WBS code here
    children = [i for i in site.sandbox.state.issues.values() if i.parent in wbs]
    assert children and all(tasks[c.key] == wbs[str(c.parent)] for c in children)
    assert tasks[site.status_issue] is None

    site.syncd("push", "acme")
    first = {e.key: marked_comments(e) for e in epics(site.sandbox)}
    assert all(len(comments) == 1 for comments in first.values()), first

    migration = next(e for e in epics(site.sandbox) if e.summary.startswith("1.3 "))
    story = next(i for i in site.sandbox.state.issues.values() if i.parent == migration.key)
    done = next(s for s in STATUSES if s.category == "done")
    creds = site.sandbox.creds
    httpx.post(
        f"{site.sandbox.jira_cloud_url}/rest/api/3/issue/{story.key}/transitions",
        json={"transition": {"id": done.transition_id}},
        auth=(creds.jira_email, creds.jira_token),
    ).raise_for_status()
    site.syncd("sync", "acme")
    site.syncd("push", "acme")
    second = {e.key: marked_comments(e) for e in epics(site.sandbox)}
    assert {k: [c[0] for c in v] for k, v in second.items()} == {
        k: [c[0] for c in v] for k, v in first.items()
    }
    assert all(second[k][0][1] != first[k][0][1] for k in first)
