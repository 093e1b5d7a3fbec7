"""Primavera XER (cp1252, target dates) and .mpp through the optional mpxj extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.errors import PlanError
from syncd.plan import load_plan
from syncd.plan.mpp import missing_requirements
from syncd.plan.xer import TARGET_NOTE, parse_xer

from .conftest import PLANS

XER = PLANS / "p6-percent-complete-types-8.4.xer"


def test_xer_sample_imports_with_target_dates_as_baseline_and_a_note() -> None:
    """Twelve activities keyed by task_code, dated by target dates, noted as not a baseline."""
    plan = load_plan(XER)
    tasks = plan.task_map()
    assert len(plan.leaves) == 12 and "A1010" in tasks
    assert TARGET_NOTE in plan.notes
    assert (plan.currency, str(plan.status_date)) == ("USD", "2015-02-24")
    assert str(tasks["A1000"].start) == "2015-02-24" and str(tasks["A1000"].finish) == "2015-07-13"


def test_xer_percent_complete_types_follow_p6() -> None:
    """Duration % from remaining duration, units % from work, physical % as entered."""
    tasks = load_plan(XER).task_map()
    pct = {k: t.progress.percent_complete for k, t in tasks.items() if t.progress}
    assert (pct["A1010"], pct["A1050"], pct["A1090"], pct["A1060"]) == (0.25, 0.25, 0.25, 0.75)


def test_xer_calendar_exceptions_become_holidays() -> None:
    """The project calendar's 24 non-working exception days are read (Excel serial dates)."""
    plan = load_plan(XER)
    assert len(plan.holidays) == 24 and str(plan.holidays[0]) == "2010-01-01"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"%T\tTASK\n", "line 1: not an XER file"),
        (b"ERMHDR\t8.4\n%T\tTASK\n%R\t1\n", "line 3: %R row before its %F"),
        (
            b"ERMHDR\t8.4\n%T\tPROJECT\n%F\tproj_id\n%R\t1\n%T\tTASK\n%F\tproj_id\n%R\t1\n",
            "TASK table lacks columns",
        ),
        (b"ERMHDR\t8.4\n\x81", "byte 11: not Windows-1252"),
    ],
)
def test_malformed_xer_fails_naming_line_or_problem(raw: bytes, message: str) -> None:
    """Broken XER exports fail with a PlanError naming the file and where it broke."""
    with pytest.raises(PlanError, match=f"^bad.xer: {message}"):
        parse_xer(raw, source="bad.xer")


MISSING = missing_requirements()


@pytest.mark.skipif(bool(MISSING), reason=f"the mpp extra needs {MISSING}")
def test_mpp_through_mpxj_equals_the_mspdi_conversion() -> None:
    """The binary .mpp read through mpxj gives the same tasks as its MSPDI twin."""
    from_mpp = load_plan(PLANS / "mpp12-baseline-progress.mpp")
    from_xml = load_plan(PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml")
    assert from_mpp.format == "mpp" and from_mpp.tasks == from_xml.tasks


def test_mpp_without_requirements_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Java the .mpp path fails with a PlanError naming what to install."""
    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PlanError, match=r"needs .*a Java runtime 11\+"):
        load_plan(PLANS / "mpp12-baseline-progress.mpp")


def test_activities_on_another_calendar_are_noted(tmp_path: Path) -> None:
    """An XER activity on a calendar other than the project's gets a note saying that syncd
    schedules it on the project calendar; the sample as given gets none."""
    assert not [n for n in load_plan(XER).notes if "calendar other than" in n]
    lines = XER.read_bytes().decode("cp1252").split("\n")
    table, fields = "", []
    for i, line in enumerate(lines):
        cells = line.rstrip("\r").split("\t")
        if cells[0] == "%T":
            table = cells[1]
        elif cells[0] == "%F":
            fields = cells[1:]
        elif (
            cells[0] == "%R" and table == "TASK" and cells[1 + fields.index("task_code")] == "A1010"
        ):
            cells[1 + fields.index("clndr_id")] = "999"
            lines[i] = "\t".join(cells) + ("\r" if line.endswith("\r") else "")
    changed = tmp_path / "other-calendar.xer"
    changed.write_bytes("\n".join(lines).encode("cp1252"))
    [note] = [n for n in load_plan(changed).notes if "calendar other than" in n]
    assert "1 activit(ies) (A1010)" in note


def test_tasks_with_their_own_calendar_are_noted(tmp_path: Path) -> None:
    """An MS Project task with a calendar of its own is named in a note; none without."""
    source = PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml"
    assert not [n for n in load_plan(source).notes if "own calendar" in n]
    text = source.read_text(encoding="utf-8")
    head, tasks = text.split("<Tasks>", 1)
    first, rest = tasks.split("</Task>", 1)  # UID 0, the project summary
    second, tail = rest.split("</Task>", 1)
    assert "<CalendarUID>-1</CalendarUID>" in second
    second = second.replace("<CalendarUID>-1</CalendarUID>", "<CalendarUID>3</CalendarUID>", 1)
    changed = tmp_path / "own-calendar.xml"
    changed.write_text(f"{head}<Tasks>{first}</Task>{second}</Task>{tail}", encoding="utf-8")
    [note] = [n for n in load_plan(changed).notes if "own calendar" in n]
    assert "1 task(s) (UID 1)" in note
