"""`syncd sync` and `syncd push` through the real CLI against the sandbox: every connector and
every target is tried, each failure is named on stderr with its reason, and the exit code says
whether everything worked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syncd.db import Item, Job, Snapshot, make_engine
from syncd.sandbox import Faults, Sandbox, SandboxConfig
from syncd.store import sessions

PLAN = Path(__file__).resolve().parents[2] / "syncd" / "plan" / "demo_plan.toml"
UNKNOWN_LIST = "0" * 24

CLIENT = """
name = "Acme"
timezone = "Europe/Berlin"

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "{sandbox}/cloud"
email = "bot@example.com"
token_env = "X_JIRA_TOKEN"
jql = "project = ACME"
{jira_push}

[[connectors]]
kind = "trello"
id = "acme-board"
url = "{sandbox}/trello/1"
board = "{board}"
key_env = "X_TRELLO_KEY"
token_env = "X_TRELLO_TOKEN"
{trello_push}
{plan}
"""


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A small sandbox of its own: these tests change its faults and its cards."""
    with Sandbox(SandboxConfig(seed=5, jira_issues=40, trello_cards=20, projects=("ACME",))) as sb:
        yield sb


def write_client(root: Path, sb: Sandbox, *, push: bool = False) -> None:
    (root / "config" / "clients").mkdir(parents=True, exist_ok=True)
    (root / "config" / "plans").mkdir(parents=True, exist_ok=True)
    (root / "config" / "plans" / "plan.toml").write_text(PLAN.read_text(encoding="utf-8"))
    body = CLIENT.format(
        sandbox=sb.url,
        board=sb.board_ids[0],
        jira_push='[connectors.push]\nissues = ["ACME-9999", "ACME-1"]' if push else "",
        trello_push='[connectors.push]\nlist = "Status"' if push else "",
        plan='[plan]\nfile = "../plans/plan.toml"' if push else "",
    )
    (root / "config" / "clients" / "acme.toml").write_text(body, encoding="utf-8")


def syncd(
    root: Path, sb: Sandbox, *args: str, trello_token: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env |= {
        "SYNCD_CONFIG_DIR": str(root / "config"),
        "SYNCD_DATA_DIR": str(root / "data"),
        "X_JIRA_TOKEN": sb.creds.jira_token,
        "X_TRELLO_KEY": sb.creds.trello_key,
        "X_TRELLO_TOKEN": trello_token or sb.creds.trello_token,
        "COLUMNS": "400",
    }
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=180,
    )


def stored(root: Path) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{root / 'data' / 'syncd.db'}")
    try:
        with sessions(engine)() as session:
            rows = session.execute(select(Item.source, func.count()).group_by(Item.source)).all()
            return {source: int(n) for source, n in rows}
    finally:
        engine.dispose()


def test_sync_of_healthy_connectors_exits_0(tmp_path: Path, sandbox: Sandbox) -> None:
    """Both connectors pull: exit 0, nothing on stderr but the progress lines."""
    write_client(tmp_path, sandbox)
    done = syncd(tmp_path, sandbox, "sync", "acme")
    assert done.returncode == 0, done.stderr
    assert "error:" not in done.stderr
    assert set(stored(tmp_path)) == {"acme-jira", "acme-board"}


def test_sync_names_a_refused_connector_and_still_pulls_the_others(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A Trello token the sandbox refuses: exit 1, the board named with the reason (401), and
    the Jira items still stored."""
    write_client(tmp_path, sandbox)
    done = syncd(tmp_path, sandbox, "sync", "acme", trello_token="wrong-token")
    assert done.returncode == 1
    assert "error: acme-board: pull failed (AuthError)" in done.stderr
    assert "not authorized (401)" in done.stderr
    assert stored(tmp_path).get("acme-jira", 0) > 0


def test_sync_names_a_rate_limited_connector(tmp_path: Path, sandbox: Sandbox) -> None:
    """Injected fault: Jira answers every request 429 with Retry-After an hour. Exit 1 with
    the reason, and the Trello board is still pulled."""
    write_client(tmp_path, sandbox)
    sandbox.set_faults(Faults(jira_429_every=1, retry_after_s=3600))
    done = syncd(tmp_path, sandbox, "sync", "acme")
    assert done.returncode == 1
    assert "error: acme-jira: pull failed (RateLimitedError)" in done.stderr
    assert "rate limited (429)" in done.stderr
    assert stored(tmp_path).get("acme-board", 0) > 0


def test_sync_with_every_connector_failing_does_not_reconcile(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Injected fault: every answer is 401. Both connectors are named, exit 1, and no
    snapshot or push is made from data nothing refreshed."""
    write_client(tmp_path, sandbox, push=True)
    sandbox.set_faults(Faults(error_rate=1.0, statuses=(401,)))
    done = syncd(tmp_path, sandbox, "sync", "acme")
    assert done.returncode == 1
    assert "acme: no connector pulled; not reconciled" in done.stdout
    assert "error: acme-jira: pull failed (AuthError)" in done.stderr
    assert "error: acme-board: pull failed (AuthError)" in done.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'syncd.db'}")
    try:
        with sessions(engine)() as session:
            assert session.execute(select(func.count()).select_from(Snapshot)).scalar() == 0
            assert session.execute(select(func.count()).select_from(Job)).scalar() == 0
    finally:
        engine.dispose()


def test_sync_fails_when_a_connector_quarantined_everything(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Every card of the board sits in a list the board does not have: nothing is readable, so
    the sync exits 1 saying how many were quarantined and why."""
    write_client(tmp_path, sandbox)
    board = sandbox.board_ids[0]
    with sandbox.state.lock:
        for card_id in sandbox.state.boards[board].cards:
            sandbox.state.cards[card_id].id_list = UNKNOWN_LIST
    done = syncd(tmp_path, sandbox, "sync", "acme")
    assert done.returncode == 1
    assert "error: acme-board: quarantined all" in done.stderr
    assert f"is in unknown list '{UNKNOWN_LIST}'" in done.stderr
    assert "acme-jira" not in done.stderr.split("error:", 1)[1]


def test_push_tries_every_target_and_reports_each(tmp_path: Path, sandbox: Sandbox) -> None:
    """The first status issue does not exist (404, a permanent failure): the push still writes
    the second issue and the Trello status card, names each target, and exits 1; the failed
    target is a dead letter, none is left pending."""
    write_client(tmp_path, sandbox, push=True)
    done = syncd(tmp_path, sandbox, "push", "acme")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: acme-jira:ACME-9999: push failed for good" in done.stderr
    assert "not found" in done.stderr
    assert "pushed acme-jira:ACME-1" in done.stdout
    assert f"pushed acme-board:{sandbox.board_ids[0]}" in done.stdout
    assert "acme: 2 of 3 target(s) pushed" in done.stdout
    with sandbox.state.lock:
        assert sandbox.state.issues["ACME-1"].comments
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'syncd.db'}")
    try:
        with sessions(engine)() as session:
            states = dict(session.execute(select(Job.target, Job.state)).all())
    finally:
        engine.dispose()
    assert states == {
        "acme-jira:ACME-9999": "dead",
        "acme-jira:ACME-1": "done",
        f"acme-board:{sandbox.board_ids[0]}": "done",
    }
