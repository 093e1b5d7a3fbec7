"""Progress techniques: the §3.4 table for task B, caps, fall-backs and actual dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.mapping.config import Technique
from syncd.mapping.progress import measure_task
from syncd.model import StatusCategory, WorkItem

from .conftest import change, make

DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO


def task_b() -> list[WorkItem]:
    """Five stories of 8, 5, 3, 2, 2 points, the first two done; 45 h spent, 55 h left."""
    points = [8.0, 5.0, 3.0, 2.0, 2.0]
    states = [DONE, DONE, DOING, TODO, TODO]
    spent = [20.0, 15.0, 10.0, 0.0, 0.0]
    left = [0.0, 0.0, 15.0, 20.0, 20.0]
    return [
        make(f"B-{i}", category=s, story_points=p, spent_hours=h, remaining_hours=r)
        for i, (p, s, h, r) in enumerate(zip(points, states, spent, left, strict=True))
    ]


@pytest.mark.parametrize(
    ("technique", "percent"),
    [
        ("0/100", 0.0),
        ("20/80", 0.2),
        ("subitems", 0.4),
        ("time_tracking", 0.45),
        ("50/50", 0.5),
        ("story_points", 0.65),
    ],
)
def test_techniques_reproduce_the_task_b_table(technique: Technique, percent: float) -> None:
    """§3.4: task B earns 0, .2, .4, .45, .5 or .65 depending on the technique."""
    assert measure_task(task_b(), technique, cap=0.95).percent == pytest.approx(percent)


def test_done_is_one_hundred_percent_whatever_the_technique() -> None:
    """A task whose items are all done is complete even if counters lag."""
    items = [make("X-1", category=DONE, checklist_total=4, checklist_done=1)]
    assert measure_task(items, "checklist", cap=0.95).percent == 1.0


def test_story_points_fall_back_to_counts_when_an_item_is_unestimated() -> None:
    """One unpointed story makes the task count items instead of points."""
    items = [make("A", category=DONE, story_points=8.0), make("B", story_points=None)]
    assert measure_task(items, "story_points", cap=0.95).percent == 0.5


def test_units_are_capped_until_done_and_time_tracking_at_99() -> None:
    """In progress never reaches 100 %: units cap at the client's cap, effort burned at .99."""
    sub = [make("A", category=DOING, subitems_total=4, subitems_done=4)]
    assert measure_task(sub, "subitems", cap=0.95).percent == 0.95
    burnt = [make("A", category=DOING, spent_hours=50.0, remaining_hours=0.0)]
    assert measure_task(burnt, "time_tracking", cap=1.0).percent == 0.99


def test_an_epic_linked_with_its_children_is_represented_by_them() -> None:
    """The epic itself does not count as one more unit beside its stories."""
    items = [make("E"), make("S1", parent="E", category=DONE), make("S2", parent="E")]
    assert measure_task(items, "subitems", cap=0.95).percent == 0.5


def test_level_of_effort_earns_what_was_planned_and_checklists_count_items() -> None:
    """LOE leaves percent open (EV = PV); a checklist of 3/4 gives .75."""
    assert measure_task([make("A")], "level_of_effort", cap=0.95).percent is None
    card = [make("c", source="t", category=DOING, checklist_total=4, checklist_done=3)]
    assert measure_task(card, "checklist", cap=0.95).percent == 0.75


def test_actual_dates_and_tracked_hours_come_from_the_items() -> None:
    """Actual start is the earliest item start; finish the latest, once all are done."""
    items = [
        make("A", category=DONE, history=(change(2, "Doing", DOING), change(6, "Done", DONE))),
        make("B", category=DONE, history=(change(3, "Doing", DOING), change(9, "Done", DONE))),
    ]
    p = measure_task(items, "0/100", cap=0.95)
    assert p.actual_start == datetime(2026, 10, 2, 9, tzinfo=UTC)
    assert p.actual_finish == datetime(2026, 10, 9, 9, tzinfo=UTC)
    assert p.spent_hours is None and p.status is DONE
    assert measure_task(task_b(), "0/100", cap=0.95).spent_hours == 45.0
