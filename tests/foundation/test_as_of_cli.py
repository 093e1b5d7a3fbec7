"""`syncd reconcile --as-of` through the real CLI on items pulled from the demo sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

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


WORK_PLAN = """
[plan]
name = "Logged work"
unit = "hours"

[[tasks]]
wbs = "1"
name = "Work"
start = 2026-06-01
finish = 2026-12-31
budget = {budget}
"""
WORK_CLIENT = """
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
by = "table"
map = {{ {table} }}
"""
AC = re.compile(r"\bAC ([\d,.]+)( \[([^\]]*)\])?")
BERLIN = ZoneInfo("Europe/Berlin")


def logged_ac(root: Path, sb: Sandbox, *args: str) -> tuple[float, str, str]:
    """(AC, its note, the whole output) of `syncd reconcile acme ARGS`."""
    done = syncd(root, sb, "reconcile", "acme", *args)
    assert done.returncode == 0, done.stderr
    found = AC.search(done.stdout)
    assert found, done.stdout
    return float(found[1].replace(",", "")), found[3] or "", done.stdout


def test_a_past_status_date_counts_the_hours_logged_up_to_it(tmp_path: Path) -> None:
    """Eight ACME issues linked to one task: as of a day amid their worklogs, AC is the hours
    their worklogs logged up to the end of that day (Berlin), plus, for the one issue whose
    time spent no worklog accounts for, today's total; the warning names exactly that issue.
    Today's AC is every hour logged."""
    with Sandbox(SandboxConfig(seed=11, jira_issues=80, trello_cards=0)) as sb:
        linked = [
            i
            for i in sorted(sb.state.issues.values(), key=lambda i: i.number)
            if i.project == "ACME" and i.issuetype in ("Story", "Task", "Bug") and i.worklogs
        ][:8]
        starts = sorted(w.started for i in linked for w in i.worklogs)
        day = starts[len(starts) // 2].astimezone(BERLIN).date()
        end = datetime.combine(day, time.max, tzinfo=BERLIN)
        undated = next(i for i in linked if i.created <= end)
        with sb.state.lock:  # two hours logged with no worklog (as an import would)
            undated.time_spent_s = (undated.time_spent_s or 0) + 7200
            undated.updated = sb.state.clock.tick()
        hours = sum(
            w.seconds for i in linked if i is not undated for w in i.worklogs if w.started <= end
        )
        expected = hours / 3600 + (undated.time_spent_s or 0) / 3600
        total = sum(i.time_spent_s or 0 for i in linked) / 3600
        (tmp_path / "config" / "clients").mkdir(parents=True)
        (tmp_path / "config" / "plans").mkdir()
        effort = sum(
            max(i.original_estimate_s or 0, (i.time_spent_s or 0) + (i.remaining_estimate_s or 0))
            for i in linked
        )  # the budget the items track, so AC covers the whole task
        plan = WORK_PLAN.format(budget=round(effort / 3600))
        (tmp_path / "config" / "plans" / "plan.toml").write_text(plan, encoding="utf-8")
        table = ", ".join(f'"{i.key}" = "1"' for i in linked)
        body = WORK_CLIENT.format(sandbox=sb.url, table=table)
        (tmp_path / "config" / "clients" / "acme.toml").write_text(body, encoding="utf-8")
        pulled = syncd(tmp_path, sb, "sync", "acme")
        assert pulled.returncode == 0, pulled.stderr
        past, note, text = logged_ac(tmp_path, sb, "--as-of", day.isoformat())
        today, today_note, _ = logged_ac(tmp_path, sb)
    assert past == round(expected, 1) and past < today
    assert note == "today's logged time on 1 item(s)"
    assert "for 1 item(s) that changed after the status date" in text
    assert f"do not add up to their time spent): {undated.key}; the other" in text
    assert today == round(total, 1) and today_note == ""
