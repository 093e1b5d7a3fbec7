"""How far a plan task has got, from the tracker items linked to it (docs/plan-math.md §3.4).

Fixed formulas (0/100, 20/80, 50/50) judge the task as a whole: started earns the first
share, all items done earns 100 %. Units techniques (sub-items, story points, checklist items,
time tracking, status) weigh each item: pc = Σ weight·pc / Σ weight, capped while not done.
Time tracking measures *effort burned*, not output; level of effort earns what was planned.
A done task is 100 % whatever the technique. A parent linked with its own children is measured
through them, but its own hours, its start and its being done count (docs/plan-formats.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from math import fsum

from syncd.mapping.config import Technique
from syncd.model import StatusCategory, WorkItem

FIXED_SHARE = {"0/100": 0.0, "20/80": 0.2, "50/50": 0.5}
TIME_TRACKING_CAP = 0.99
_LEFT_TODO = (StatusCategory.IN_PROGRESS, StatusCategory.DONE)
_STATUS_SHARE = {
    StatusCategory.TODO: 0.0,
    StatusCategory.IN_PROGRESS: 0.5,
    StatusCategory.DONE: 1.0,
}


@dataclass(frozen=True, slots=True)
class TaskProgress:
    """What the linked items say about one task."""

    technique: Technique
    percent: float | None  # 0..1; None for level of effort (EV = PV)
    status: StatusCategory
    items: int
    actual_start: datetime | None
    actual_finish: datetime | None
    spent_hours: float | None  # None when no item tracks time
    remaining_hours: float | None


def measure_task(items: Sequence[WorkItem], technique: Technique, *, cap: float) -> TaskProgress:
    """Progress of one task from its items (no items: not started, 0 %)."""
    family = _Family(items)
    counted = family.leaves
    status = family.status()
    done = status is StatusCategory.DONE
    if technique == "level_of_effort":
        percent: float | None = None
    elif done:
        percent = 1.0
    elif technique in FIXED_SHARE:
        percent = FIXED_SHARE[technique] if status is StatusCategory.IN_PROGRESS else 0.0
    else:
        weighed = family.seen if technique == "time_tracking" else counted
        percent = min(_units(weighed, technique), cap)
    starts = [s for s in map(started_at, family.all) if s is not None]
    finishes = [f for f in (i.actual_finish for i in family.all) if f is not None]
    return TaskProgress(
        technique=technique,
        percent=percent,
        status=status,
        items=len(counted),
        actual_start=min(starts) if starts else (min(finishes) if finishes else None),
        actual_finish=max(finishes) if done and finishes else None,
        spent_hours=_sum(i.spent_hours for i in family.all),
        remaining_hours=_sum(i.remaining_hours for i in family.all if not family.covered(i)),
    )


def started_at(item: WorkItem) -> datetime | None:
    """When the item left todo. An item still in todo that never left it has not started,
    whatever start date the tool holds (a Trello card's start is a plan, not a fact)."""
    if item.category is not StatusCategory.TODO:
        return item.actual_start
    return next((c.at for c in item.history if c.to_category in _LEFT_TODO), None)


class _Family:
    """The items linked to one task, with the parent/child relations among them.

    A parent linked together with its own children is measured through them (it is not one
    more unit), but its own logged time, its start and its being done still count: a done
    parent makes every item beneath it count as done.
    """

    def __init__(self, items: Sequence[WorkItem]) -> None:
        self.all = list(items)
        self._by_key = {(i.source, i.key): i for i in self.all}
        parents = {(i.source, i.parent) for i in self.all if i.parent}
        self.seen = [self._as_seen(i) for i in self.all]
        kept = [i for i in self.seen if (i.source, i.key) not in parents]
        self.leaves = kept or self.seen

    def covered(self, item: WorkItem) -> bool:
        """True when a linked ancestor of `item` is done."""
        seen: set[str] = set()
        parent = self._by_key.get((item.source, item.parent)) if item.parent else None
        while parent is not None and parent.key not in seen:
            if parent.category is StatusCategory.DONE:
                return True
            seen.add(parent.key)
            parent = self._by_key.get((parent.source, parent.parent)) if parent.parent else None
        return False

    def _as_seen(self, item: WorkItem) -> WorkItem:
        if item.category is StatusCategory.DONE or not self.covered(item):
            return item
        return replace(item, category=StatusCategory.DONE)

    def status(self) -> StatusCategory:
        if not self.leaves:
            return StatusCategory.TODO
        if all(i.category is StatusCategory.DONE for i in self.leaves):
            return StatusCategory.DONE
        started = any(i.category is not StatusCategory.TODO or started_at(i) for i in self.all)
        return StatusCategory.IN_PROGRESS if started else StatusCategory.TODO


def _sum(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return fsum(known) if known else None


def _units(items: Sequence[WorkItem], technique: Technique) -> float:
    if not items:
        return 0.0
    kind: str = technique
    unestimated = any(i.story_points is None for i in items)
    if technique == "story_points" and (unestimated or not any(i.story_points for i in items)):
        kind = "subitems" if any(i.subitems_total for i in items) else "count"
    weighted = [_item_share(i, kind) for i in items]
    total = fsum(w for w, _ in weighted)
    return fsum(w * pc for w, pc in weighted) / total if total > 0 else 0.0


def _item_share(item: WorkItem, technique: str) -> tuple[float, float]:
    """(weight, pc) of one item under a units technique."""
    done = item.category is StatusCategory.DONE
    if technique == "story_points":
        return float(item.story_points or 0.0), 1.0 if done else 0.0
    if technique == "status":
        return 1.0, _STATUS_SHARE[item.category]
    if technique == "subitems" and item.subitems_total > 0:
        share = 1.0 if done else item.subitems_done / item.subitems_total
        return float(item.subitems_total), share
    if technique == "checklist" and item.checklist_total > 0:
        share = 1.0 if done else item.checklist_done / item.checklist_total
        return float(item.checklist_total), share
    if technique == "time_tracking":
        return _effort_share(item, done)
    return 1.0, 1.0 if done else 0.0


def _effort_share(item: WorkItem, done: bool) -> tuple[float, float]:
    spent, remaining = item.spent_hours or 0.0, item.remaining_hours
    if remaining is None:
        remaining = max((item.estimate_hours or 0.0) - spent, 0.0)
    total = spent + remaining
    if total <= 0:
        return 1.0, 1.0 if done else 0.0
    return total, 1.0 if done else min(spent / total, TIME_TRACKING_CAP)
