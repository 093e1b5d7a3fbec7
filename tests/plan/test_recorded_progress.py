"""Progress recorded in the plan file (technique ``plan``): the §3.8 golden facts through
`reconcile()` and end to end through `syncd check` and `syncd reconcile`."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncd.cli import app
from syncd.db import make_engine
from syncd.mapping import MappingConfig
from syncd.plan import Baseline, load_plan
from syncd.plan.forecast import Driver
from syncd.plan.mpp import missing_requirements
from syncd.plan.reconcile import reconcile
from syncd.store.baselines import load_baseline

from .conftest import DATA, PLANS, item

GOLDEN = "mpp12-baseline-progress.mspdi-via-mpxj.xml"
STATUS_DATE = date(2006, 9, 4)  # S4: 5 of its 10 days done, 5 remaining from 09-05
FROM_PLAN = MappingConfig.model_validate({"progress": {"default": "plan"}})
MISSING = missing_requirements()


@pytest.fixture(scope="module")
def golden() -> Baseline:
    return load_plan(PLANS / GOLDEN)


def test_plan_progress_reproduces_the_golden_milestone(golden: Baseline) -> None:
    """Complete: forecast Thu 2006-09-14, +1 working day, driven by Subtask 4 → Subtask 5;
    EV 24 + 32 + 72·0.5 = 92 h against PV 104 h at the end of 09-04."""
    r = reconcile(golden, [], as_of=STATUS_DATE, config=FROM_PLAN)
    (m,) = r.milestones
    assert (m.name, m.forecast_finish, m.slip_days) == ("Complete", date(2006, 9, 14), 1.0)
    assert m.driving_path == ("7", "6") and m.at_risk
    assert (r.project.ev, r.project.pv) == (92.0, 104.0)
    assert r.task("3").status == "done" and r.task("7").status == "in_progress"
    assert r.task("7").driver == Driver("in_progress")
    assert r.task("6").driver is not None and r.task("6").driver.predecessor == "7"
    assert r.warnings == ()


def test_plan_progress_per_task_beside_tracker_items(golden: Baseline) -> None:
    """`[progress.tasks]` may take one task from the file; items still bring their hours."""
    config = MappingConfig.model_validate(
        {"links": [{"by": "label"}], "progress": {"default": "0/100", "tasks": {"1.4": "plan"}}}
    )
    r = reconcile(
        golden, [item("S4-1", task="7", spent_hours=30.0)], as_of=STATUS_DATE, config=config
    )
    s4, s2 = r.task("7"), r.task("3")
    assert s4.technique == "plan" and s4.performance.ev == 36.0 and s4.performance.ac == 30.0
    assert s2.technique == "0/100" and s2.performance.ev == 0.0  # not linked: no evidence


def test_plan_progress_from_a_file_without_progress_warns(worked: Baseline) -> None:
    """A TOML plan records no progress: the reconciliation says so instead of showing 0 %."""
    r = reconcile(worked, [], as_of=date(2026, 3, 11), config=FROM_PLAN)
    assert r.project.ev == 0.0
    (w,) = [w for w in r.warnings if w.code == "plan_unrecorded"]
    assert "records no progress" in w.message and "worked_example" in w.message
    assert (DATA / "worked_example.toml").is_file()


CLIENT = """
name = "MPP progress"
timezone = "UTC"

[[connectors]]
kind = "jira"
id = "mpp-jira"
url = "https://mpp.atlassian.net"
email = "bot@mpp.example"
token_env = "MPP_JIRA_TOKEN"
jql = "project = MPP"

[plan]
file = "../plans/{plan}"

[progress]
default = "plan"                   # % complete and actual dates as saved in the plan file
"""


@pytest.mark.parametrize(
    "plan",
    [
        GOLDEN,
        pytest.param(
            "mpp12-baseline-progress.mpp",
            marks=pytest.mark.skipif(bool(MISSING), reason=f"the mpp extra needs {MISSING}"),
        ),
    ],
)
def test_syncd_reconcile_with_progress_from_the_plan_file(
    plan: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`syncd check` accepts `[progress] default = "plan"`; `syncd reconcile --as-of
    2006-09-04` prints Complete forecast 2006-09-14, +1.0 wd, driven by Subtask 4 → 5."""
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    (config / "plans").mkdir()
    shutil.copy(PLANS / plan, config / "plans" / plan)
    (config / "clients" / "mpp.toml").write_text(CLIENT.format(plan=plan), encoding="utf-8")
    monkeypatch.setenv("SYNCD_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("SYNCD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MPP_JIRA_TOKEN", "t0ken")
    runner = CliRunner()
    checked = runner.invoke(app, ["check", "--config-dir", str(config)])
    assert checked.exit_code == 0, checked.output
    result = runner.invoke(
        app, ["reconcile", "mpp", "--as-of", "2006-09-04", "--config-dir", str(config)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # lines wrap at the terminal's width
    assert (
        "◆ Complete: baseline 2006-09-13, forecast 2006-09-14 (+1.0 wd) AT RISK; "
        "driving path 1.4 Subtask 4 → 1.5 Subtask 5"
    ) in text
    assert "Critical path, current (re-forecast): 1.4 Subtask 4 → 1.5 Subtask 5 → 1.6 Complete" in (
        text
    )
    assert (
        "1.5 Subtask 5: forecast 2006-09-14 (+1.0 wd) · TF 0 · FF 0 · critical yes/yes · "
        "driven by 1.4 Subtask 4 (FS)"
    ) in text
    assert "BAC 192.0 hours · PV 104.0 · EV 92.0" in text


def test_progress_saved_later_in_the_file_needs_no_new_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The team marks Subtask 4 done on 09-04 and saves the file: the next `syncd reconcile`
    reads that progress, stays on baseline v1, and Complete is back on its baseline date:
    Subtask 3 ends 09-07 with a day to spare, so Subtask 5 starts as baselined on 09-11."""
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    (config / "plans").mkdir()
    saved = config / "plans" / GOLDEN
    shutil.copy(PLANS / GOLDEN, saved)
    (config / "clients" / "mpp.toml").write_text(CLIENT.format(plan=GOLDEN), encoding="utf-8")
    monkeypatch.setenv("SYNCD_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("SYNCD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MPP_JIRA_TOKEN", "t0ken")
    args = ["reconcile", "mpp", "--as-of", "2006-09-04", "--config-dir", str(config)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    text = saved.read_text(encoding="utf-8")
    head, task = text.split("<UID>7</UID>", 1)
    task = task.replace("<PercentComplete>50<", "<PercentComplete>100<", 1)
    task = task.replace(
        "<ActualStart>2006-08-29T08:00:00</ActualStart>",
        "<ActualStart>2006-08-29T08:00:00</ActualStart>"
        "<ActualFinish>2006-09-04T17:00:00</ActualFinish>",
        1,
    )
    saved.write_text(head + "<UID>7</UID>" + task, encoding="utf-8")
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    out = " ".join(second.stdout.split())
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    stored = load_baseline(engine, "mpp")
    engine.dispose()
    assert stored is not None and stored.version == 1  # progress is not a re-baseline
    assert (
        "◆ Complete: baseline 2006-09-13, forecast 2006-09-13 (0.0 wd) on track; "
        "driving path 1.5 Subtask 5"
    ) in out
    assert "1.5 Subtask 5: forecast 2006-09-13 (0.0 wd)" in out
    assert "critical yes/yes · driven by its baseline start" in out
    assert "1.3 Subtask 3: forecast 2006-09-07 (+2.0 wd) · TF 3 · FF 3" in out
    assert "EV 128.0" in out  # 24 + 32 + 72
