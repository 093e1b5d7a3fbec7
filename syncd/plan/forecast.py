"""A CPM re-forecast of the baseline network from a data date (docs/plan-math.md §3.6).

Done tasks keep their actual dates. Started tasks run their remaining work (their own
remaining estimate, else duration × (1 − pc)) from the data date. Tasks not started begin no
earlier than their baseline start nor the data date. Links on summary tasks apply to every
leaf beneath them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from syncd.plan.baseline import Baseline, PlanTask
from syncd.plan.calendar import WorkCalendar, span
from syncd.plan.cpm import Activity, Link, Scheduled, critical_path, driving_path, schedule


@dataclass(frozen=True, slots=True)
class Actuals:
    """What is known of one task at the data date."""

    percent: float = 0.0
    actual_start: date | None = None
    actual_finish: date | None = None  # only when done
    remaining_days: float | None = None


@dataclass(frozen=True, slots=True)
class TaskForecast:
    """Forecast dates of one leaf task, its slip against the baseline and its float."""

    key: str
    start: date
    finish: date
    finish_position: float
    slip_days: float
    total_float: float | None
    critical: bool
    driver: str | None


@dataclass(frozen=True, slots=True)
class Forecast:
    """The CPM re-forecast: per task, the project finish and the critical path."""

    tasks: dict[str, TaskForecast]
    finish: date
    finish_position: float
    baseline_finish_position: float
    critical_path: tuple[str, ...]
    scheduled: dict[str, Scheduled]

    def driving_path(self, key: str) -> list[str]:
        """The chain of tasks that sets `key`'s forecast start, earliest first."""
        return driving_path(self.scheduled, key)


def recorded_actuals(baseline: Baseline, hours_per_day: float = 8.0) -> dict[str, Actuals]:
    """Actuals from the progress the plan file itself records (MS Project, P6)."""
    found: dict[str, Actuals] = {}
    for task in baseline.leaves:
        p = task.progress
        if p is None or (p.actual_start is None and p.percent_complete <= 0):
            continue
        done = p.percent_complete >= 1.0 or p.actual_finish is not None
        found[task.key] = Actuals(
            percent=p.percent_complete,
            actual_start=p.actual_start or p.current_start,
            actual_finish=(p.actual_finish or p.current_finish) if done else None,
            remaining_days=p.remaining_days,
        )
    return found


def network_links(baseline: Baseline) -> list[Link]:
    """Leaf-to-leaf links; a link on a summary fans out to the leaves beneath it."""
    leaves = leaves_under(baseline)
    links: list[Link] = []
    for task in baseline.tasks:
        for dep in task.dependencies:
            for succ in leaves[task.key]:
                for pred in leaves[dep.predecessor]:
                    links.append(Link(pred, succ, dep.type, dep.lag_days))
    return links


def leaves_under(baseline: Baseline) -> dict[str, list[str]]:
    """Each task's leaf descendants (a leaf: itself)."""
    children: dict[str, list[str]] = {t.key: [] for t in baseline.tasks}
    for task in baseline.tasks:
        if task.parent is not None:
            children[task.parent].append(task.key)
    found: dict[str, list[str]] = {}

    def collect(key: str) -> list[str]:
        if key not in found:
            kids = children[key]
            found[key] = [leaf for kid in kids for leaf in collect(kid)] if kids else [key]
        return found[key]

    for task in baseline.tasks:
        collect(task.key)
    return found


def forecast(
    baseline: Baseline,
    actuals: Mapping[str, Actuals],
    *,
    cal: WorkCalendar,
    as_of: date | None = None,
) -> Forecast:
    """Re-forecast every leaf from `as_of` (None: the baseline network as planned)."""
    origin = baseline.start
    at = 0.0 if as_of is None else float(cal.finish_position(origin, as_of))
    spans = {
        t.key: span(cal, origin, t.start, t.finish, milestone=t.milestone) for t in baseline.leaves
    }
    activities = [
        _activity(t, spans[t.key], actuals.get(t.key), at, cal, origin) for t in baseline.leaves
    ]
    scheduled = schedule(activities, network_links(baseline))
    tasks = {
        t.key: _task_forecast(t, scheduled[t.key], spans[t.key], cal, origin)
        for t in baseline.leaves
    }
    finish = max(s.early_finish for s in scheduled.values())
    return Forecast(
        tasks=tasks,
        finish=cal.finish_date(origin, finish),
        finish_position=finish,
        baseline_finish_position=float(max(f for _, f in spans.values())),
        critical_path=tuple(critical_path(scheduled)),
        scheduled=scheduled,
    )


def _activity(
    task: PlanTask,
    planned: tuple[int, int],
    known: Actuals | None,
    at: float,
    cal: WorkCalendar,
    origin: date,
) -> Activity:
    duration = float(planned[1] - planned[0])
    if known is None or (known.actual_start is None and known.actual_finish is None):
        return Activity(task.key, duration, not_before=max(float(planned[0]), at))
    start = (
        None
        if known.actual_start is None
        else float(cal.start_position(origin, known.actual_start))
    )
    if known.actual_finish is not None:
        finish = float(cal.finish_position(origin, known.actual_finish))
        return Activity(task.key, duration, actual_start=start, actual_finish=finish)
    remaining = known.remaining_days
    if remaining is None:
        remaining = duration * (1.0 - min(max(known.percent, 0.0), 1.0))
    return Activity(task.key, duration, not_before=at, actual_start=start, remaining=remaining)


def _task_forecast(
    task: PlanTask, s: Scheduled, planned: tuple[int, int], cal: WorkCalendar, origin: date
) -> TaskForecast:
    zero = s.early_finish - s.early_start <= 1e-9
    return TaskForecast(
        key=task.key,
        start=cal.finish_date(origin, s.early_start)
        if zero
        else cal.start_date(origin, s.early_start),
        finish=cal.finish_date(origin, s.early_finish),
        finish_position=s.early_finish,
        slip_days=s.early_finish - planned[1],
        total_float=None if s.fixed else s.total_float,
        critical=s.critical,
        driver=s.driver,
    )
