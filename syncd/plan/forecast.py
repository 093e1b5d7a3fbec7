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
from typing import Literal

from syncd.plan.baseline import Baseline, LinkType, PlanTask
from syncd.plan.calendar import WorkCalendar, span
from syncd.plan.cpm import Activity, Link, Scheduled, critical_path, driving_path, schedule


@dataclass(frozen=True, slots=True)
class Actuals:
    """What is known of one task at the data date."""

    percent: float = 0.0
    actual_start: date | None = None
    actual_finish: date | None = None  # only when done
    remaining_days: float | None = None


DriverKind = Literal["actual", "in_progress", "link", "baseline_start", "status_date"]


@dataclass(frozen=True, slots=True)
class Driver:
    """What sets a task's forecast dates.

    ``actual``: done, its actual dates. ``in_progress``: started, its remaining work runs from
    the status date (or, with `predecessor`, waits for that link). ``link``: not started, the
    link from `predecessor` sets its start. ``baseline_start``: not started, it starts as
    baselined. ``status_date``: not started and its baseline start has passed, so it starts
    after the status date.
    """

    kind: DriverKind
    predecessor: str | None = None
    type: LinkType | None = None
    lag_days: float = 0.0


@dataclass(frozen=True, slots=True)
class TaskForecast:
    """Forecast dates of one leaf task, its slip against the baseline, its floats and driver."""

    key: str
    start: date
    finish: date
    finish_position: float
    slip_days: float
    total_float: float | None  # None when done: its dates are actuals
    free_float: float | None
    critical: bool
    driver: Driver


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
    activities = {
        t.key: _activity(t, spans[t.key], actuals.get(t.key), at, cal, origin)
        for t in baseline.leaves
    }
    scheduled = schedule(list(activities.values()), network_links(baseline))
    tasks = {
        t.key: _task_forecast(
            t,
            scheduled[t.key],
            spans[t.key],
            cal,
            origin,
            _why(scheduled[t.key], spans, activities, at),
        )
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
    task: PlanTask,
    s: Scheduled,
    planned: tuple[int, int],
    cal: WorkCalendar,
    origin: date,
    why: Driver,
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
        free_float=None if s.fixed else s.free_float,
        critical=s.critical,
        driver=why,
    )


def _why(
    s: Scheduled,
    spans: Mapping[str, tuple[int, int]],
    activities: Mapping[str, Activity],
    at: float,
) -> Driver:
    """What sets `s` where it is (see `Driver`)."""
    if s.fixed:
        return Driver("actual")
    link = s.driving
    started = activities[s.key].actual_start is not None
    if link is not None:
        return Driver("in_progress" if started else "link", link.pred, link.type, link.lag)
    if started:
        return Driver("in_progress")
    return Driver("status_date" if at > spans[s.key][0] + 1e-9 else "baseline_start")
