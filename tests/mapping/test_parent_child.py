"""A parent item linked to a task together with its children, and todo items' start dates.

The children measure the task (the parent is not one more unit), but the parent's own logged
time is AC, the earliest start of parent or child starts the task, and a done parent makes
the task done. A todo item's tool start date (a Trello card's start) is a plan, not a start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from syncd.mapping import MappingConfig
from syncd.mapping.progress import measure_task, started_at
from syncd.model import StatusCategory, WorkItem
from syncd.plan.reconcile import reconcile
from syncd.plan.toml_csv import parse_toml

from .conftest import change, make

DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO


def epic_and_stories(epic: StatusCategory = DOING) -> list[WorkItem]:
    """Epic E (12 h of its own, started Oct 1) with stories S1 (done, 8 pt, 20 h, started
    Oct 5, done Oct 8) and S2 (in progress, 5 pt, 10 h + 6 h left, started Oct 7)."""
    epic_history = [change(1, "In Progress", DOING)]
    if epic is DONE:
        epic_history.append(change(12, "Done", DONE))
    return [
        make("E", category=epic, spent_hours=12.0, history=tuple(epic_history)),
        make(
            "S1",
            parent="E",
            category=DONE,
            story_points=8.0,
            spent_hours=20.0,
            history=(change(5, "In Progress", DOING), change(8, "Done", DONE)),
        ),
        make(
            "S2",
            parent="E",
            category=DOING,
            story_points=5.0,
            spent_hours=10.0,
            remaining_hours=6.0,
            history=(change(7, "In Progress", DOING),),
        ),
    ]


def test_the_parents_own_time_counts_in_ac_and_its_start_starts_the_task() -> None:
    """AC = 12 (epic) + 20 + 10 = 42 h; start = Oct 1 (the epic's); points 8/13 from stories."""
    p = measure_task(epic_and_stories(), "story_points", cap=0.95)
    assert p.spent_hours == 42.0
    assert p.remaining_hours == 6.0
    assert p.actual_start == datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert p.percent == pytest.approx(8 / 13)
    assert (p.status, p.items) == (DOING, 2)


def test_a_done_parent_makes_the_task_done() -> None:
    """Epic done on Oct 12 while S2 is still open: the task is done, 100 %, finished Oct 12,
    nothing left to do, and the hours already logged still count (42 h)."""
    p = measure_task(epic_and_stories(epic=DONE), "story_points", cap=0.95)
    assert (p.status, p.percent) == (DONE, 1.0)
    assert p.actual_finish == datetime(2026, 10, 12, 9, tzinfo=UTC)
    assert p.spent_hours == 42.0
    assert p.remaining_hours is None


def test_time_tracking_weighs_the_parents_own_effort() -> None:
    """Effort burned, weight spent + left: epic 12 h (nothing left, open: capped at .99),
    S1 20 h done (1.0), S2 10/16 → (12 · .99 + 20 + 10) / (12 + 20 + 16) = 41.88/48 = .8725."""
    p = measure_task(epic_and_stories(), "time_tracking", cap=0.95)
    assert p.percent == pytest.approx(0.8725)


def test_a_grandparent_that_is_done_covers_the_grandchildren() -> None:
    """Epic (done) > story (open) > sub-task (todo): every unit counts as done."""
    items = [
        make("E", category=DONE, history=(change(3, "Done", DONE),)),
        make("S", parent="E", category=DOING),
        make("T", parent="S", category=TODO),
    ]
    assert measure_task(items, "subitems", cap=0.95).status is DONE


def test_a_todo_item_with_a_tool_start_date_has_not_started() -> None:
    """A todo Trello card whose start date is set is still todo and gives no actual start;
    one that went to Doing and back keeps the day it first left todo."""
    planned = make("c", source="t", start=datetime(2026, 1, 5, tzinfo=UTC))
    assert started_at(planned) is None
    p = measure_task([planned], "status", cap=0.95)
    assert (p.status, p.actual_start) == (TODO, None)
    back = make("d", history=(change(4, "Doing", DOING), change(6, "To Do", TODO)))
    assert started_at(back) == datetime(2026, 10, 4, 9, tzinfo=UTC)
    doing = make("e", category=DOING, start=datetime(2026, 10, 2, tzinfo=UTC))
    assert started_at(doing) == datetime(2026, 10, 2, tzinfo=UTC)


PLAN = """
[plan]
name = "Parent and child"
[[tasks]]
key = "A"
name = "Build"
start = 2026-10-05
finish = 2026-10-16
budget = 80
"""


@pytest.mark.parametrize(
    ("epic", "day", "status", "start", "pv", "ev", "ac"),
    [
        # Oct 5..16 is 10 working days, 80 h. Status date Fri Oct 9: PV = 80 · 5/10 = 40.
        # Epic open: EV = 80 · 8/13 = 49.23; AC = 42; started Oct 1 (the epic), not Oct 5.
        (DOING, 9, "in_progress", date(2026, 10, 1), 40.0, 80 * 8 / 13, 42.0),
        # Epic done on Oct 12: on Fri Oct 9 it was still open, the same figures as above.
        (DONE, 9, "in_progress", date(2026, 10, 1), 40.0, 80 * 8 / 13, 42.0),
        # On Mon Oct 12 it is done: PV = 80 · 6/10 = 48, EV 80.
        (DONE, 12, "done", date(2026, 10, 1), 48.0, 80.0, 42.0),
    ],
)
def test_parent_and_children_through_reconcile(
    epic: StatusCategory, day: int, status: str, start: date, pv: float, ev: float, ac: float
) -> None:
    """Reconciled figures for a task carrying an epic and its stories, checked by hand."""
    plan = parse_toml(PLAN, source="pc.toml")
    config = MappingConfig.model_validate({"links": [{"by": "table", "map": _table()}]})
    rec = reconcile(plan, epic_and_stories(epic), as_of=date(2026, 10, day), config=config)
    (row,) = rec.tasks
    assert row.status == status
    assert row.forecast_start == start
    assert row.performance.pv == pytest.approx(pv)
    assert row.performance.ev == pytest.approx(ev)
    assert row.performance.ac == pytest.approx(ac)
    assert row.performance.cpi == pytest.approx(ev / ac)


def _table() -> dict[str, str]:
    return {"E": "A", "S1": "A", "S2": "A"}
