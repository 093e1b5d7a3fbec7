"""The ``plan`` progress technique: the progress the plan file itself records.

A team that tracks progress in MS Project or P6 (percent complete, actual start and finish,
remaining duration saved in the file) measures a task from the file, not from tracker items.
Items linked to such a task still bring their logged hours (AC) and remaining estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

from syncd.mapping.config import MappingConfig, Technique
from syncd.mapping.progress import TaskProgress, measure_task
from syncd.model import StatusCategory, WorkItem
from syncd.plan.baseline import Baseline, PlanTask, RecordedProgress
from syncd.plan.loader import load_plan

TECHNIQUE: Technique = "plan"
Recorded = Mapping[str, RecordedProgress]


def uses_recorded(config: MappingConfig) -> bool:
    """Whether any task is measured by the progress its plan file records."""
    return config.progress.default == TECHNIQUE or TECHNIQUE in config.progress.tasks.values()


def read_recorded(
    path: Path, *, baseline_number: int | None = None, fmt: str | None = None
) -> dict[str, RecordedProgress]:
    """The progress a plan file records now, by task key: read afresh on every reconcile, so a
    progress update in the file needs no new baseline version."""
    plan = load_plan(path, baseline_number=baseline_number, fmt=fmt)
    return {t.key: t.progress for t in plan.tasks if t.progress is not None}


def measure_recorded(
    task: PlanTask, items: Sequence[WorkItem], recorded: Recorded | None = None
) -> TaskProgress:
    """Progress of `task` as its plan file records it (`recorded`, else what the baseline
    kept when it was imported): % complete uncapped (the team's own figure), done at 100 % or
    with an actual finish, started with an actual start or any %."""
    tracked = measure_task(items, "status", cap=1.0)
    p = _progress(task, recorded)
    percent = 0.0 if p is None else min(max(p.percent_complete, 0.0), 1.0)
    done = p is not None and (percent >= 1.0 or p.actual_finish is not None)
    started = p is not None and (done or p.actual_start is not None or percent > 0)
    status = (
        StatusCategory.DONE
        if done
        else (StatusCategory.IN_PROGRESS if started else StatusCategory.TODO)
    )
    start = None if p is None or not started else (p.actual_start or p.current_start)
    finish = None if p is None or not done else (p.actual_finish or p.current_finish)
    return TaskProgress(
        technique=TECHNIQUE,
        percent=1.0 if done else percent,
        status=status,
        items=tracked.items,
        actual_start=_moment(start),
        actual_finish=_moment(finish),
        spent_hours=tracked.spent_hours,
        remaining_hours=tracked.remaining_hours,
    )


def remaining_days(task: PlanTask, recorded: Recorded | None = None) -> float | None:
    """The remaining duration the file records for a started task, in working days."""
    p = _progress(task, recorded)
    return None if p is None else p.remaining_days


def _progress(task: PlanTask, recorded: Recorded | None) -> RecordedProgress | None:
    if recorded is not None and task.key in recorded:
        return recorded[task.key]
    return task.progress


def unrecorded(baseline: Baseline, recorded: Recorded | None = None) -> str | None:
    """A warning when the plan file records no progress at all (a TOML or CSV plan)."""
    if recorded or any(t.progress is not None for t in baseline.leaves):
        return None
    where = baseline.source or baseline.name
    return (
        f"progress technique 'plan': {where} records no progress (percent complete, actual"
        " dates); its tasks count as not started"
    )


def _moment(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)
