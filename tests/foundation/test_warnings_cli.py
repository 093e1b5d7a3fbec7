"""Data warnings through the real CLI against the sandbox: `syncd sync` and `syncd reconcile`
print the warnings of the snapshot they store, each beside the figures it doubts, and the
reports written from that snapshot carry them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from tests.foundation.test_as_of_cli import CLIENT as DEMO_CLIENT
from tests.foundation.test_exit_codes import PLAN, UNKNOWN_LIST, syncd, write_client


@pytest.fixture(scope="module")
def demo() -> Iterator[Sandbox]:
    """The demo sandbox (its ACME project): these tests only read it."""
    with Sandbox(SandboxConfig(demo=True, seed=7)) as sb:
        yield sb


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A small sandbox of its own, with a Trello board: these tests change its cards."""
    with Sandbox(SandboxConfig(seed=5, jira_issues=40, trello_cards=20, projects=("ACME",))) as sb:
        yield sb


def demo_client(root: Path, sb: Sandbox, extra: str = "") -> None:
    (root / "config" / "clients").mkdir(parents=True)
    (root / "config" / "plans").mkdir()
    (root / "config" / "plans" / "plan.toml").write_text(PLAN.read_text("utf-8"))
    body = DEMO_CLIENT.format(sandbox=sb.url).replace('jql = "project = ACME"', extra)
    (root / "config" / "clients" / "acme.toml").write_text(body, encoding="utf-8")


def report(root: Path, sb: Sandbox) -> dict[str, object]:
    done = syncd(root, sb, "report", "acme", "--format", "json")
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_a_healthy_sync_warns_only_of_what_is_missing(tmp_path: Path, demo: Sandbox) -> None:
    """The demo pulled today with the default story-points field: no false alarm. The one
    warning is true of the demo's data: its issues' estimates add up to a small share of the
    plan's budgets, so the time logged on them is only part of the cost and CPI (about 8 where
    it was printed) is withheld."""
    demo_client(tmp_path, demo, 'jql = "project = ACME"')
    done = syncd(tmp_path, demo, "sync", "acme")
    assert done.returncode == 0, done.stderr
    assert "Data warnings (1)" in done.stdout and "AC is only part of the cost" in done.stdout
    data = report(tmp_path, demo)
    assert [w["code"] for w in data["warnings"]] == ["ac_scope"]  # type: ignore[attr-defined,index]
    assert data["figures"]["cpi"] is None  # type: ignore[index]


def test_a_misnamed_story_points_field_is_a_warning_beside_ev_and_spi(
    tmp_path: Path, demo: Sandbox
) -> None:
    """`story_points_field` names a field the site does not have: every item comes without
    points; `syncd sync` says so, `syncd reconcile` prints SPI with "points missing", and the
    JSON report carries the warning and the note."""
    demo_client(tmp_path, demo, 'jql = "project = ACME"\nstory_points_field = "Story Pointz"')
    done = syncd(tmp_path, demo, "sync", "acme")
    assert done.returncode == 0, done.stderr
    assert "! story points missing: none of the" in done.stdout
    again = syncd(tmp_path, demo, "reconcile", "acme")
    assert again.returncode == 0, again.stderr
    figures = next(x for x in again.stdout.splitlines() if x.startswith("BAC "))
    assert re.search(r"· SPI [\d.]+ \[points missing\] ·", figures), figures
    data = report(tmp_path, demo)
    codes = [w["code"] for w in data["warnings"]]  # type: ignore[attr-defined,index]
    assert codes == ["points_missing", "ac_scope"]
    assert data["notes"]["spi"] == "points missing"  # type: ignore[index]


def test_reconcile_before_the_evidence_says_so(tmp_path: Path, demo: Sandbox) -> None:
    """`syncd reconcile --as-of` a date before items were updated and done: the summary notes
    EV and SPI and says how many items changed after the status date."""
    demo_client(tmp_path, demo, 'jql = "project = ACME"')
    assert syncd(tmp_path, demo, "sync", "acme").returncode == 0
    done = syncd(tmp_path, demo, "reconcile", "acme", "--as-of", "2026-10-20")
    assert done.returncode == 0, done.stderr
    assert "EV 113.3 [status date before the evidence]" in done.stdout
    assert "! status date 2026-10-20 is before the latest evidence (" in done.stdout
    assert "item(s) were updated or done after it" in done.stdout


def test_sync_with_some_cards_quarantined_warns_how_many_and_why(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Three cards of the board sit in a list the board does not have: the sync succeeds (the
    rest was read), and says 3 items of acme-board are quarantined, why, and which figures
    that makes doubtful."""
    write_client(tmp_path, sandbox, push=True)
    board = sandbox.board_ids[0]
    with sandbox.state.lock:
        for card_id in sorted(sandbox.state.boards[board].cards)[:3]:
            sandbox.state.cards[card_id].id_list = UNKNOWN_LIST
    done = syncd(tmp_path, sandbox, "sync", "acme")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "quarantined (could not be read)" in x)
    assert "acme-board: 3 item(s) quarantined" in line
    assert f"is in unknown list '{UNKNOWN_LIST}'" in line and "[affects ev," in line
    assert (
        "[3 item(s) of acme-board quarantined]"
        in syncd(tmp_path, sandbox, "reconcile", "acme").stdout
    )


def test_sync_with_a_failed_connector_says_as_of_when(tmp_path: Path, sandbox: Sandbox) -> None:
    """The Trello token is refused: Jira still pulls and reconciles (exit 1), and the warnings
    say the board's last pull failed and that its items are as of its last success (never)."""
    write_client(tmp_path, sandbox, push=True)
    done = syncd(tmp_path, sandbox, "sync", "acme", trello_token="wrong-token")
    assert done.returncode == 1
    assert "! acme-board: the last pull failed (" in done.stdout
    assert "its items are as of its last successful pull, never" in done.stdout
    markdown = syncd(tmp_path, sandbox, "report", "acme", "--format", "md").stdout
    assert "⚠ acme-board: the last pull failed" in markdown
