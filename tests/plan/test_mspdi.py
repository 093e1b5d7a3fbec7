"""MS Project XML: the real sample files, baseline choice, §3.8 golden facts and safe parsing."""

from __future__ import annotations

from datetime import date

import pytest

from syncd.errors import PlanError
from syncd.plan import Baseline, LinkType, WorkCalendar, load_plan
from syncd.plan.forecast import forecast, recorded_actuals
from syncd.plan.mspdi import CURRENT_SCHEDULE, parse_mspdi

from .conftest import PLANS

GOLDEN = PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml"
NAMES = {"Subtask 1": "2", "Subtask 2": "3", "Subtask 3": "4", "Subtask 4": "7", "Subtask 5": "6"}


@pytest.fixture(scope="module")
def golden() -> Baseline:
    return load_plan(GOLDEN)


def test_golden_file_imports_baseline_zero_by_uid_with_outline(golden: Baseline) -> None:
    """Keys are UIDs, baseline 0 dates and work are read, summaries are kept but not summed."""
    tasks = golden.task_map()
    assert (golden.baseline_number, golden.label) == (
        0,
        "Baseline",
    )  # MS Project names number 0 plain "Baseline"
    assert tasks["3"].name == "Subtask 2" and tasks["3"].finish == date(2006, 9, 1)
    assert tasks["3"].budget == 32.0 and tasks["3"].parent == "1"
    assert tasks["1"].summary and tasks["5"].milestone
    assert golden.bac == 192.0 == tasks["1"].budget


def test_golden_baseline_versus_current_finish_per_task(golden: Baseline) -> None:
    """Finish variance in working days: S1 0, S2 +2, S3 +2, S4 +1, S5 +1, Complete +1 (§3.8)."""
    cal = WorkCalendar()
    expected = {"2": 0, "3": 2, "4": 2, "7": 1, "6": 1, "5": 1}
    for key, slip in expected.items():
        task = golden.task_map()[key]
        assert task.progress is not None and task.progress.current_finish is not None
        assert cal.offset(task.finish, task.progress.current_finish) == slip


def test_golden_milestone_slips_one_day_driven_by_subtask_4(golden: Baseline) -> None:
    """Re-forecast from the file's progress: Complete +1 working day, driving path S4 → S5."""
    f = forecast(golden, recorded_actuals(golden), cal=WorkCalendar(), as_of=date(2006, 9, 4))
    assert f.tasks["5"].finish == date(2006, 9, 14) and f.tasks["5"].slip_days == 1.0
    assert f.driving_path("5") == ["7", "6"]
    assert f.tasks["6"].driver.predecessor == "7"  # Subtask 5 is driven by S4, not S3
    assert f.tasks["4"].slip_days == 2.0 and f.tasks["4"].total_float == 2.0
    assert f.tasks["7"].critical and f.tasks["7"].total_float == 0.0


def test_golden_baseline_network_gives_subtask_3_three_days_float(golden: Baseline) -> None:
    """As baselined, Subtask 3 had 3 days of float and Subtask 4 none."""
    f = forecast(golden, {}, cal=WorkCalendar())
    assert f.tasks["4"].total_float == 3.0
    assert f.tasks["7"].total_float == 0.0


def test_file_without_baseline_zero_names_the_ones_present() -> None:
    """Asking for a missing baseline fails and lists the baselines the file has."""
    with pytest.raises(PlanError, match=r"no baseline 0 \(baselines present: 1, 2, 3, .*10\)"):
        load_plan(PLANS / "mspdi-baselines-1-to-10.xml")
    with pytest.raises(PlanError, match=r"no baseline 0 \(baselines present: none\)"):
        load_plan(PLANS / "mspdi-sample1-outline-milestone-links.xml")


def test_choosing_baseline_three_reads_its_work_and_repairs_inverted_dates() -> None:
    """Baseline 3 has 3 h of work; its finish precedes its start, so the duration decides."""
    plan = load_plan(PLANS / "mspdi-baselines-1-to-10.xml", baseline_number=3)
    (task,) = plan.tasks
    assert (task.budget, task.start, task.finish) == (3.0, date(2001, 1, 3), date(2001, 1, 5))
    assert any("precedes its start" in note for note in plan.notes)
    with pytest.raises(PlanError, match="out of range"):
        load_plan(PLANS / "mspdi-baselines-1-to-10.xml", baseline_number=11)


def test_sample1_reads_all_link_types_lags_and_outline() -> None:
    """sample1: FS/SS/FF/SF, ±1 day lags from ±4800 tenths of a minute, WBS 3.13.1 under 3.13."""
    plan = load_plan(
        PLANS / "mspdi-sample1-outline-milestone-links.xml", baseline_number=CURRENT_SCHEDULE
    )
    tasks = plan.task_map()
    links = {
        (d.predecessor, k): (d.type, d.lag_days) for k, t in tasks.items() for d in t.dependencies
    }
    assert links[("11", "12")] == (LinkType.FS, 1.0)
    assert links[("13", "14")] == (LinkType.FS, -1.0)
    assert links[("15", "16")][0] is LinkType.SS
    assert links[("17", "18")][0] is LinkType.FF
    assert links[("20", "21")][0] is LinkType.SF
    assert tasks["23"].wbs == "3.13.1" and tasks["23"].parent == "22" and tasks["22"].summary
    assert tasks["3"].milestone
    assert plan.bac == sum(t.budget for t in plan.tasks if not t.summary)


@pytest.mark.parametrize(
    "name", ["mspdi-relations-fs-ss-ff-sf-lag.xml", "mspdi-resource-progress.xml"]
)
def test_other_real_files_import_as_current_schedule(name: str) -> None:
    """The relations and resource samples import (their current schedule) without error."""
    plan = load_plan(PLANS / name, baseline_number=CURRENT_SCHEDULE)
    assert plan.leaves and plan.bac > 0


def test_relations_file_cpm_follows_each_link_type() -> None:
    """T2 FS T1, T3 SS T2 +1 d, T4 FF T3, T5 SF T4 schedule as MS Project did."""
    plan = load_plan(
        PLANS / "mspdi-relations-fs-ss-ff-sf-lag.xml", baseline_number=CURRENT_SCHEDULE
    )
    f = forecast(plan, {}, cal=WorkCalendar())
    assert [f.tasks[k].finish for k in "1234"] == [
        date(2006, 9, 21),
        date(2006, 9, 22),
        date(2006, 9, 25),
        date(2006, 9, 25),
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol2;</Name><Tasks/></Project>"""


def test_entity_expansion_is_refused_with_a_clear_error() -> None:
    """A file declaring entities (billion laughs) is refused before anything expands."""
    with pytest.raises(PlanError, match="refused: the XML declares a DTD or entities"):
        parse_mspdi(BILLION_LAUGHS, source="evil.xml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Project><Tasks>", "not well-formed XML"),
        (b"<Plan/>", "not an MS Project XML file"),
    ],
)
def test_broken_or_foreign_xml_is_a_plan_error(data: bytes, message: str) -> None:
    """Malformed XML and XML that is not MSPDI fail naming the file."""
    with pytest.raises(PlanError, match=f"^bad.xml: {message}"):
        parse_mspdi(data, source="bad.xml")
