"""`syncd reconcile --as-of` through the real CLI on items pulled from the demo sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from tests.foundation.test_exit_codes import PLAN, syncd

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

[plan]
file = "../plans/plan.toml"

[[links]]
by = "epic"

[[links]]
by = "wbs_in_title"
"""
FIGURES = re.compile(r"PV ([\d,.]+) · EV ([\d,.]+)")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, Sandbox]]:
    """The demo sandbox's ACME project pulled once into a fresh store."""
    with Sandbox(SandboxConfig(demo=True, seed=7)) as sb:
        (tmp_path / "config" / "clients").mkdir(parents=True)
        (tmp_path / "config" / "plans").mkdir()
        (tmp_path / "config" / "plans" / "plan.toml").write_text(PLAN.read_text("utf-8"))
        body = CLIENT.format(sandbox=sb.url)
        (tmp_path / "config" / "clients" / "acme.toml").write_text(body, encoding="utf-8")
        pulled = syncd(tmp_path, sb, "sync", "acme")
        assert pulled.returncode == 0, pulled.stderr
        yield tmp_path, sb


def figures(root: Path, sb: Sandbox, day: str) -> tuple[float, float]:
    done = syncd(root, sb, "reconcile", "acme", "--as-of", day)
    assert done.returncode == 0, done.stderr
    found = FIGURES.search(done.stdout)
    assert found, done.stdout
    return float(found[1].replace(",", "")), float(found[2].replace(",", ""))


def test_a_status_date_before_the_plan_starts_shows_pv_0_and_ev_0(
    demo: tuple[Path, Sandbox],
) -> None:
    """The plan starts Thu 2026-10-01; as of Wed 2026-09-30 nothing is planned and nothing
    earned (it showed the EV of today's done items), while the sandbox's day has EV."""
    root, sb = demo
    assert figures(root, sb, "2026-09-30") == (0.0, 0.0)
    pv, ev = figures(root, sb, "2026-11-20")
    assert pv > 0 and ev > 0
