"""Find what the items cannot tell a reconciliation, as data-quality warnings (`quality`).

Pure: the measured leaves, the items linked to them and the client's mapping in, warnings out.
Each check names the figure it makes doubtful, so the renderings can say so next to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime

from syncd.mapping.config import MappingConfig
from syncd.mapping.linking import unused_keys
from syncd.model import StatusCategory, WorkItem
from syncd.plan.baseline import Baseline, PlanTask
from syncd.plan.quality import DataWarning, warning
from syncd.plan.rollup import Leaf

# What a technique reads on an item; when no item of a task has it, the task's EV counts its
# finished items instead. (Sub-items and checklists count an item without any as one unit by
# design, docs/plan-math.md §3.4, so those two always measure.)
_READS: dict[str, tuple[str, Callable[[WorkItem], bool]]] = {
    "story_points": ("story points", lambda i: bool(i.story_points)),
    "time_tracking": (
        "logged or estimated time",
        lambda i: bool(i.spent_hours or i.remaining_hours or i.estimate_hours),
    ),
}
MOST = 0.5  # AC is incomplete when more than this share of started items has none
COVERED = 0.5  # AC is partial when the items' effort is under this share of their tasks' budget


def technique_gaps(
    leaves: Mapping[str, Leaf], grouped: Mapping[str, Sequence[WorkItem]]
) -> list[DataWarning]:
    """Open tasks with a budget whose technique finds nothing to weigh on any of their items
    (a milestone or a task of no budget earns nothing however it is measured).

    When every story-points task lacks points, the field itself is missing (one warning);
    otherwise each such task gets its own.
    """
    weighed = {k: leaf for k, leaf in leaves.items() if leaf.task.budget}  # a milestone earns 0
    blind: list[tuple[Leaf, int]] = []
    for key, leaf in weighed.items():
        reads = _READS.get(leaf.progress.technique)
        items = grouped.get(key, ())
        if reads and items and not any(reads[1](i) for i in items):
            blind.append((leaf, len(items)))
    pointed = [
        key
        for key, leaf in weighed.items()
        if leaf.progress.technique == "story_points" and grouped.get(key)
    ]
    open_ = [(leaf, n) for leaf, n in blind if leaf.progress.status is not StatusCategory.DONE]
    without = {leaf.task.key for leaf, _ in blind if leaf.progress.technique == "story_points"}
    found: list[DataWarning | None] = []
    if pointed and without == set(pointed):
        found.append(_points_missing(open_, sum(len(grouped[k]) for k in pointed)))
        open_ = [(leaf, n) for leaf, n in open_ if leaf.task.key not in without]
    found += [_unmeasured(leaf, n) for leaf, n in open_]
    return [w for w in found if w is not None]


def _points_missing(open_: list[tuple[Leaf, int]], items: int) -> DataWarning | None:
    tasks = tuple(leaf.task.key for leaf, _ in open_ if leaf.progress.technique == "story_points")
    if not tasks:
        return None  # every such task is done: no figure depends on the points
    names = ", ".join(leaf.task.label for leaf, _ in open_ if leaf.task.key in tasks)
    return warning(
        "points_missing",
        f"story points missing: none of the {items} item(s) linked to tasks measured by story "
        f"points has any (is the story-points field configured for the connector?); EV of "
        f"{names} counts finished items (or sub-items) instead",
        tasks=tasks,
    )


def _unmeasured(leaf: Leaf, items: int) -> DataWarning:
    technique = leaf.progress.technique
    what = _READS[technique][0]
    return warning(
        "unmeasured",
        f"task {leaf.task.label}: none of its {items} linked item(s) has {what}, so technique "
        f"{technique!r} cannot measure it; its EV counts finished items (or sub-items) instead",
        tasks=(leaf.task.key,),
    )


def unused_links(
    config: MappingConfig, items: Sequence[WorkItem], codes: Mapping[str, str]
) -> list[DataWarning]:
    """A link-map label, list, component or field value that no item carries."""
    found = []
    for number, rule in enumerate(config.links, start=1):
        keys = unused_keys(rule, items)
        if not keys:
            continue
        tasks = tuple(dict.fromkeys(t for k in keys if (t := codes.get(rule.map[k].strip()))))
        values = ", ".join(repr(k) for k in keys)
        where = f"[[links]] rule {number} (by = {rule.by!r})"
        found.append(
            warning(
                "link_unused",
                f"{where}: no item carries {values}, so the task(s) they map to get no items "
                "from it (a mistyped name?)",
                tasks=tasks,
            )
        )
    return found


def missing_ac(grouped: Mapping[str, Sequence[WorkItem]], ac: float | None) -> list[DataWarning]:
    """AC logged for too few of the started items for CPI to mean anything. A parent linked
    with its own children logs its time on them, so only the others are counted."""
    started = [
        i
        for items in grouped.values()
        for i in _childless(items)
        if i.category is not StatusCategory.TODO
    ]
    lacking = sum(not i.spent_hours for i in started)
    if ac is None or not started or lacking <= MOST * len(started):
        return []
    return [
        warning(
            "ac_missing",
            f"AC missing for {lacking} of {len(started)} started item(s): no time logged on "
            "them, so AC is too low and CPI is not meaningful (not shown)",
            note=f"AC missing for {lacking} of {len(started)} items",
        )
    ]


def partial_ac(
    grouped: Mapping[str, Sequence[WorkItem]],
    baseline: Baseline,
    rate: float | None,
    ac: float | None,
) -> list[DataWarning]:
    """AC that can only be part of the cost: on the tasks where time is logged, the items'
    whole effort (estimate, or logged plus remaining) is under half the tasks' budget, so the
    rest of the work is done and paid for outside the trackers and CPI (EV over AC) comes out
    several times too high. Nothing is judged without a rate or without any estimate."""
    if ac is None or not ac or not rate:
        return []
    budgets = {t.key: t.budget for t in baseline.leaves}
    effort = budget = 0.0
    for key, items in grouped.items():
        own = _childless(items)
        if key not in budgets or not any(i.spent_hours for i in own):
            continue
        effort += sum(_effort(i) for i in own) * rate
        budget += budgets[key]
    if not effort or not budget or effort >= COVERED * budget:
        return []
    share = effort / budget
    return [
        warning(
            "ac_scope",
            f"the tracked items of the tasks with logged time add up to {share:.0%} of those"
            " tasks' budget: the rest of the work is not tracked, so AC is only part of the cost"
            " and CPI is not meaningful (not shown)",
            note=f"items cover {share:.0%} of the budget",
        )
    ]


def _effort(item: WorkItem) -> float:
    logged = (item.spent_hours or 0.0) + (item.remaining_hours or 0.0)
    return max(item.estimate_hours or 0.0, logged)


def _childless(items: Sequence[WorkItem]) -> list[WorkItem]:
    parents = {(i.source, i.parent) for i in items if i.parent}
    return [i for i in items if (i.source, i.key) not in parents]


def before_evidence(items: Iterable[WorkItem], as_of: date, moment: datetime) -> list[DataWarning]:
    """The status date is earlier than what the trackers already say happened after it."""
    later = [when for i in items if (when := _last_evidence(i)) is not None and when > moment]
    if not later:
        return []
    latest = max(later).astimezone(moment.tzinfo).date()
    return [
        warning(
            "before_evidence",
            f"status date {as_of} is before the latest evidence ({latest}): {len(later)} "
            "item(s) were updated or done after it; they count as they stood on the status "
            "date, as far as their status history tells",
        )
    ]


def _last_evidence(item: WorkItem) -> datetime | None:
    dates = [d for d in (item.updated, item.resolved) if d is not None]
    dates += [c.at for c in item.history]
    return max(dates) if dates else None


def summary_links(task: PlanTask) -> DataWarning:
    return warning(
        "summary_link",
        f"items linked to summary task {task.label} are not measured; link leaves",
        tasks=(task.key,),
    )
