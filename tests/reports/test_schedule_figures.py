"""Reports show what a scheduler reports: floats, critical flags, drivers, both critical paths
by WBS code and name, and the engine's earned-schedule slip (never recounted from dates)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv
import pytest

from syncd.mapping import MappingConfig
from syncd.plan import load_plan
from syncd.plan.reconcile import reconcile
from syncd.plan.result import Reconciliation
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports import (
    Health,
    Status,
    build_status,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)
from syncd.reports.model import ClientInfo
from syncd.reports.schema import report_schema
from syncd.reports.summary import summary_lines, wd
from tests.plan.conftest import BY_LABEL, DATA, worked_items

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
DAY_8 = date(2026, 3, 11)
NOW = datetime(2026, 3, 11, 18, tzinfo=UTC)


def status_of(rec: Reconciliation) -> Status:
    snapshot = StatusSnapshot(rec, baseline_version=1, baseline_label="v1")
    return build_status(ClientInfo(id="globex", name="Globex"), snapshot, None, [], Health(NOW))


def worked(config: MappingConfig = BY_LABEL) -> Reconciliation:
    return reconcile(
        load_plan(DATA / "worked_example.toml"), worked_items(), as_of=DAY_8, config=config
    )


@pytest.fixture(scope="module")
def golden() -> Reconciliation:
    """The §3.8 file the day before it starts, no progress: the baseline network as planned."""
    plan = load_plan(PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml")
    return reconcile(plan, [], as_of=date(2006, 8, 23))


def test_report_uses_the_engines_earned_schedule_slip() -> None:
    """IEAC(t) 14.4578 vs PD 12: the report says +2.5 wd, not the 3 weekdays from 03-17 to 03-20."""
    status = status_of(worked())
    assert status.forecast.es_slip_days == pytest.approx(1200 / 83 - 12)
    assert "2026-03-20 (+2.5 wd)" in render_markdown(status)


def test_report_slip_skips_the_clients_holiday() -> None:
    """With 2026-03-18 a client holiday the forecast moves to Mon 03-23, the slip does not."""
    config = MappingConfig.model_validate(
        {**BY_LABEL.model_dump(), "calendar": {"holidays": ["2026-03-18"]}}
    )
    status = status_of(worked(config))
    assert status.forecast.es_finish == date(2026, 3, 23)
    assert status.forecast.es_slip_days == pytest.approx(1200 / 83 - 12)


def test_older_snapshot_slip_comes_from_ieac_not_from_weekdays() -> None:
    """A snapshot stored without es_slip_days still reads the engine's IEAC(t) − PD."""
    data = worked().to_dict()
    del data["forecast"]["es_slip_days"]
    snapshot = StatusSnapshot.from_dict({"reconciliation": data})
    status = build_status(ClientInfo(id="globex", name="Globex"), snapshot, None, [], Health(NOW))
    assert status.forecast.es_slip_days == pytest.approx(1200 / 83 - 12)


def test_markdown_names_critical_paths_and_drivers_by_wbs_and_name(
    golden: Reconciliation,
) -> None:
    """Both critical paths and every driver by WBS code and name, never by UID."""
    text = render_markdown(status_of(golden))
    assert (
        "- Critical path, baseline: 1.1 Subtask 1 → 1.4 Subtask 4 → 1.5 Subtask 5 → 1.6 Complete"
        in text
    )
    assert "- Critical path, current (re-forecast): 1.1 Subtask 1 → 1.4 Subtask 4" in text
    assert "| 1.3 Subtask 3 | 2006-09-05 | 0 wd | 3 | 3 | no / no | 1.2 Subtask 2 (FS) |" in text
    assert "| 1.2 Subtask 2 | 2006-09-01 | 0 wd | 3 | 0 | no / no | 1.1 Subtask 1 (FS) |" in text
    assert "2 → 7" not in text and "7 → 6" not in text


def test_milestone_driving_path_is_labelled(golden: Reconciliation) -> None:
    """The milestone's driving path reads 1.1 Subtask 1 → 1.4 Subtask 4 → 1.5 Subtask 5."""
    text = render_markdown(status_of(golden))
    assert "| 1.1 Subtask 1 → 1.4 Subtask 4 → 1.5 Subtask 5 |" in text
    html = render_html(status_of(golden))
    assert "1.1 Subtask 1 → 1.4 Subtask 4 → 1.5 Subtask 5" in html


def test_html_shows_floats_drivers_and_both_paths(golden: Reconciliation) -> None:
    """The variance table carries total and free float and the driver; both paths labelled."""
    html = render_html(status_of(golden))
    assert 'data-field="baseline_critical_path">1.1 Subtask 1 → 1.4 Subtask 4' in html
    index = [t.key for t in status_of(golden).tasks].index("4")
    assert f'data-field="tasks.{index}.baseline_total_float" data-value="3.0"' in html
    assert "<td>1.2 Subtask 2 (FS)</td>" in html


def test_json_and_csv_carry_the_schedule_figures(golden: Reconciliation) -> None:
    """JSON (valid against its schema) and CSV carry floats, critical flags and drivers."""
    status = status_of(golden)
    data = json.loads(render_json(status))
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    assert data["baseline_critical_path"] == ["2", "7", "6", "5"]
    s3 = next(t for t in data["tasks"] if t["key"] == "4")
    assert (s3["baseline_total_float"], s3["baseline_free_float"]) == (3.0, 3.0)
    assert s3["driver"] == {"kind": "link", "task": "3", "link": "FS", "text": "1.2 Subtask 2 (FS)"}
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(render_csv(status)))}
    assert rows["4"]["baseline_free_float"] == "3.0" and rows["4"]["driver"] == "1.2 Subtask 2 (FS)"
    assert rows["7"]["baseline_critical"] == "yes"


def test_cli_summary_slips_keep_one_decimal_and_paths_are_named() -> None:
    """+1.6 wd and +2.5 wd (not +2 wd / +3 wd); paths and drivers by name."""
    lines = summary_lines("globex", worked())
    text = "\n".join(lines)
    assert "2026-03-19 (+1.6 wd)" in text and "2026-03-20 (+2.5 wd)" in text
    assert "Critical path, current (re-forecast): Build → Deploy → Release" in lines
    assert "Critical path, baseline: Design → Build → Deploy → Release" in lines
    assert any(
        line.startswith("  Docs:") and "TF 3 · FF 3" in line and "actual dates" in line
        for line in lines
    )
    assert any(line.startswith("  Deploy:") and "driven by Build (FS)" in line for line in lines)


@pytest.mark.parametrize(
    ("value", "text"), [(2.4578, "+2.5 wd"), (2.0, "+2.0 wd"), (-1.04, "-1.0 wd"), (0.01, "0.0 wd")]
)
def test_working_day_slips_read_to_one_decimal(value: float, text: str) -> None:
    """A slip is shown to one decimal in working days, never rounded to whole days."""
    assert wd(value) == text
