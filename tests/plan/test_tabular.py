"""TOML and CSV plans: columns, aliases, derived structure and the promised error messages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from syncd.errors import PlanError
from syncd.plan import Baseline, Dependency, LinkType, load_plan
from syncd.plan.tabular import parse_predecessors
from syncd.plan.toml_csv import parse_csv, parse_toml

from .conftest import DATA

DEMO = Path(__file__).resolve().parents[2] / "syncd" / "plan" / "demo_plan.toml"


def test_toml_and_csv_of_the_same_plan_give_the_same_tasks(worked: Baseline) -> None:
    """The worked example written as TOML and as CSV imports into identical tasks."""
    from_csv = load_plan(DATA / "worked_example.csv")
    assert from_csv.tasks == worked.tasks
    assert (worked.format, from_csv.format) == ("toml", "csv")


def test_worked_example_imports_with_budget_links_and_milestone(worked: Baseline) -> None:
    """Budgets sum to BAC 180, D depends on B and C, M is a zero-budget milestone."""
    tasks = worked.task_map()
    assert worked.bac == 180
    assert [d.predecessor for d in tasks["D"].dependencies] == ["B", "C"]
    assert tasks["M"].milestone and tasks["M"].budget == 0
    assert not tasks["B"].milestone


def test_baseline_round_trips_through_json(worked: Baseline) -> None:
    """to_dict/from_dict give back an equal baseline with the same digest."""
    import json

    again = Baseline.from_dict(json.loads(json.dumps(worked.to_dict())))
    assert again == worked
    assert again.digest() == worked.digest()


def test_demo_plan_has_wbs_outline_and_summaries() -> None:
    """The demo plan derives parents from WBS codes and excludes summaries from BAC."""
    demo = load_plan(DEMO)
    tasks = demo.task_map()
    assert tasks["1.2"].parent == "1" and tasks["1"].summary
    assert tasks["1"].start == date(2026, 10, 1) and tasks["1"].finish == tasks["1.3"].finish
    assert tasks["3"].milestone and tasks["3"].deadline == date(2027, 1, 29)
    assert demo.bac == sum(t.budget for t in demo.tasks if not t.summary) == 1440


def test_predecessor_notation_reads_types_lags_and_dotted_keys() -> None:
    """``1.1FS+2d; 3SS-1d; 4FF+4h; A-1`` reads as four links with lags in working days."""
    deps = parse_predecessors("1.1FS+2d; 3SS-1d, 4FF+4h; A-1", "x")
    assert deps == (
        Dependency("1.1", LinkType.FS, 2.0),
        Dependency("3", LinkType.SS, -1.0),
        Dependency("4", LinkType.FF, 0.5),
        Dependency("A-1", LinkType.FS, 0.0),
    )


CSV_HEAD = "key,name,start,finish,budget,predecessors\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A,Design,2026-03-02,2026-03-01,5,\n", "row 2 (task A): finish 2026-03-01 is before"),
        (
            "A,Design,2026-13-02,2026-03-05,5,\n",
            "row 2 (task A): start: '2026-13-02' is not a date",
        ),
        (
            "A,Design,2026-03-02,2026-03-05,lots,\n",
            "row 2 (task A): budget: 'lots' is not a number",
        ),
        (
            "A,Design,2026-03-02,2026-03-05,5,Z\n",
            "task A (Design): predecessor Z is not in the plan",
        ),
        ("A,,2026-03-02,2026-03-05,5,\n", "row 2 (task A): name is empty"),
        ("A,Design,2026-03-02,2026-03-05,5,B\nB,Build,2026-03-02,2026-03-05,5,A\n", "loop: A → B"),
        ("A,D,2026-03-02,2026-03-05,5,\nA,E,2026-03-02,2026-03-05,5,\n", "task A: duplicate key"),
        ("A,Design,2026-03-02,2026-03-05,5,B%+2\n", "cannot read"),
        (
            "A,Design,2026-03-02,2026-03-05,5,\nB,Build,2026-03-09,2026-03-10,5,AFS+2ed\n",
            "lag unit 'ed'",
        ),
        ("A,Design,,2026-03-05,5,\n", "row 2 (task A): needs start and finish dates"),
    ],
)
def test_malformed_csv_rows_fail_naming_file_row_and_problem(body: str, message: str) -> None:
    """Each malformed CSV fails with a PlanError naming the file, the row or task, the problem."""
    with pytest.raises(PlanError) as err:
        parse_csv(CSV_HEAD + body, source="plan.csv")
    assert str(err.value).startswith("plan.csv: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[tasks]]\nkey = 'A'\nname = 'x'\nstart = 2026-03-02\nbudgt = 1\n",
            "tasks[0]: unknown key 'budgt'",
        ),
        ("[plan]\nunit = 'euros'\n[[tasks]]\nkey='A'\n", "unit must be 'hours' or 'money'"),
        (
            "[plan]\nunit = 'money'\n[[tasks]]\nkey='A'\nname='x'\nstart=2026-03-02\n"
            "finish=2026-03-02\nbudget=3\n",
            "no currency is stated",
        ),
        ("[plan]\nname = 'x'\n", "no [[tasks]]"),
        ("tasks = [", "not valid TOML"),
        ("[project]\n", "unknown top-level keys ['project']"),
    ],
)
def test_malformed_toml_fails_with_the_promised_message(text: str, message: str) -> None:
    """Each malformed TOML plan fails with a PlanError naming the file and the problem."""
    with pytest.raises(PlanError, match=r"^plan\.toml: ") as err:
        parse_toml(text, source="plan.toml")
    assert message in str(err.value)


def test_unknown_extension_and_missing_file_are_plan_errors(tmp_path: Path) -> None:
    """load_plan refuses unknown extensions and missing files with a PlanError."""
    with pytest.raises(PlanError, match=r"unknown plan format '\.docx'"):
        load_plan(tmp_path / "plan.docx")
    with pytest.raises(PlanError, match="no such file"):
        load_plan(tmp_path / "plan.csv")


def test_csv_with_cost_column_is_money_and_unknown_columns_are_noted() -> None:
    """A ``cost`` column makes the plan money in the stated currency; extra columns are noted."""
    text = "key,name,start,finish,cost,currency,owner\nA,Design,2026-03-02,2026-03-05,900,EUR,Ann\n"
    plan = parse_csv(text, source="p.csv")
    assert (plan.unit, plan.currency, plan.bac) == ("money", "EUR", 900.0)
    assert any("'owner' ignored" in n for n in plan.notes)
