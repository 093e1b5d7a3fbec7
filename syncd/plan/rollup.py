"""From measured leaves to the WBS roll-up, milestones, unplanned work and the client's RAG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from math import fsum

from syncd.mapping.config import Thresholds
from syncd.mapping.linking import LinkResult
from syncd.mapping.progress import TaskProgress
from syncd.model import StatusCategory, WorkItem
from syncd.plan.baseline import Baseline, PlanTask
from syncd.plan.calendar import WorkCalendar
from syncd.plan.evm import Performance, measure, ratio
from syncd.plan.forecast import Forecast, leaves_under
from syncd.plan.rag import (
    Rag,
    RagStatus,
    growth_rag,
    index_rag,
    performance_rag,
    slip_rag,
    worst,
)
from syncd.plan.result import MilestoneStatus, ScheduleForecast, TaskStatus, Unplanned
from syncd.plan.schedule import EarnedSchedule

_EPS = 1e-6
_FAR = 100 * 366.0  # working days: a forecast beyond a century is no date


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf task's measured state, before roll-up."""

    task: PlanTask
    progress: TaskProgress
    performance: Performance


def _sum(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return fsum(known) if known else None


def combine(parts: Sequence[Performance]) -> Performance:
    """EVM of a group: sums of BAC, PV, EV, AC and remaining work, ratios recomputed."""
    return measure(
        fsum(p.bac for p in parts),
        fsum(p.pv for p in parts),
        fsum(p.ev for p in parts),
        _sum([p.ac for p in parts]),
        remaining=_sum(
            [None if p.eac_bottom_up is None else p.eac_bottom_up - (p.ac or 0) for p in parts]
        ),
    )


def _status(progress: Sequence[TaskProgress]) -> str:
    states = {p.status for p in progress}
    if states == {StatusCategory.DONE}:
        return "done"
    return "todo" if states <= {StatusCategory.TODO} else "in_progress"


def rollup(
    baseline: Baseline,
    leaves: Mapping[str, Leaf],
    cpm: Forecast,
    t: Thresholds,
    *,
    planned: Forecast | None = None,
) -> tuple[dict[str, TaskStatus], Performance]:
    """A TaskStatus for every task (summaries roll their leaves up) and the project's EVM.

    `planned` is the baseline network as planned (no progress): its floats and critical flags
    are reported beside the re-forecast's.
    """
    under = leaves_under(baseline)
    statuses = {
        task.key: _task_status(task, [leaves[k] for k in under[task.key]], cpm, planned or cpm, t)
        for task in baseline.tasks
    }
    return statuses, combine([leaf.performance for leaf in leaves.values()])


def _least(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _task_status(
    task: PlanTask, group: list[Leaf], cpm: Forecast, planned: Forecast, t: Thresholds
) -> TaskStatus:
    performance = (
        group[0].performance if not task.summary else combine([g.performance for g in group])
    )
    forecasts = [cpm.tasks[g.task.key] for g in group]
    plans = [planned.tasks[g.task.key] for g in group]
    last = max(forecasts, key=lambda f: f.finish_position)
    slip = last.finish_position - max(f.finish_position - f.slip_days for f in forecasts)
    checks = performance_rag(performance.spi, performance.cpi, t)
    leaf = None if task.summary else forecasts[0]
    return TaskStatus(
        key=task.key,
        name=task.name,
        wbs=task.wbs,
        parent=task.parent,
        summary=task.summary,
        milestone=task.milestone,
        status=_status([g.progress for g in group]),
        technique=None if task.summary else group[0].progress.technique,
        items=sum(g.progress.items for g in group),
        performance=performance,
        baseline_start=task.start,
        baseline_finish=task.finish,
        forecast_start=min(f.start for f in forecasts),
        forecast_finish=last.finish,
        slip_days=slip,
        total_float=_least([f.total_float for f in forecasts]),
        critical=any(f.critical for f in forecasts),
        rag=worst([*checks, slip_rag(f"Task {task.label}", slip, t)]),
        free_float=None if leaf is None else leaf.free_float,
        baseline_total_float=_least([p.total_float for p in plans]),
        baseline_free_float=None if task.summary else plans[0].free_float,
        baseline_critical=any(p.critical for p in plans),
        driver=None if leaf is None else leaf.driver,
    )


def milestones(
    baseline: Baseline, cpm: Forecast, cal: WorkCalendar, t: Thresholds
) -> tuple[MilestoneStatus, ...]:
    """Every milestone's forecast; at risk when later than its baseline or its deadline."""
    tasks = baseline.task_map()
    found = []
    for task in baseline.leaves:
        if not task.milestone:
            continue
        f = cpm.tasks[task.key]
        late = None
        if task.deadline is not None:
            late = f.finish_position - cal.finish_position(baseline.start, task.deadline)
        path = tuple(cpm.driving_path(task.key))
        found.append(
            MilestoneStatus(
                key=task.key,
                name=task.name,
                baseline_finish=task.finish,
                forecast_finish=f.finish,
                deadline=task.deadline,
                slip_days=f.slip_days,
                deadline_slip_days=late,
                at_risk=f.slip_days > _EPS or (late or 0.0) > _EPS,
                driving_path=path,
                rag=_milestone_rag(task, f.slip_days, late, [tasks[k].label for k in path], t),
            )
        )
    return tuple(found)


def _milestone_rag(
    task: PlanTask, slip: float, late: float | None, path: list[str], t: Thresholds
) -> RagStatus:
    checks = [slip_rag(f"Milestone {task.name}", slip, t, path)]
    if late is not None and late > _EPS:
        reason = (
            f"Milestone {task.name} forecast {late:.1f} working days "
            f"past its deadline {task.deadline}"
        )
        checks.append(RagStatus(Rag.RED, (reason,)))
    return worst(checks)


def unplanned(
    items: Sequence[WorkItem],
    links: Mapping[tuple[str, str], LinkResult],
    project: Performance,
    rate: float | None,
) -> Unplanned:
    """Items linked to no task, counted and pointed as scope growth (never added to BAC)."""
    extra = [i for i in items if links[i.ident].task is None]
    planned = [i for i in items if links[i.ident].task is not None]
    points = fsum(i.story_points or 0.0 for i in extra)
    planned_points = fsum(i.story_points or 0.0 for i in planned)
    spent = fsum(i.spent_hours or 0.0 for i in extra)
    with_extra = None
    if rate is not None and (project.ac is not None or spent):
        with_extra = ratio(project.ev, (project.ac or 0.0) + spent * rate)
    return Unplanned(
        items=len(extra),
        points=points,
        estimate_hours=fsum(i.estimate_hours or 0.0 for i in extra),
        spent_hours=spent,
        planned_items=len(planned),
        growth_items=ratio(len(extra), len(planned)),
        growth_points=ratio(points, planned_points) if planned_points else None,
        cpi_with_unplanned=with_extra,
        keys=tuple(sorted(i.key for i in extra)),
    )


def schedule_forecast(
    baseline: Baseline, cpm: Forecast, es: EarnedSchedule, cal: WorkCalendar
) -> ScheduleForecast:
    """The CPM and the earned-schedule finish, side by side."""
    es_finish: date | None = None
    es_slip: float | None = None
    if es.ieac_t is not None:
        if es.ieac_t < _FAR:  # a pace near zero forecasts no date at all
            es_finish = cal.finish_date(baseline.start, es.ieac_t)
        es_slip = es.ieac_t - es.pd  # both on the plan calendar, in working days
    return ScheduleForecast(
        baseline_finish=baseline.finish,
        cpm_finish=cpm.finish,
        cpm_slip_days=cpm.finish_position - cpm.baseline_finish_position,
        es_finish=es_finish,
        es_duration_days=es.ieac_t,
        es_slip_days=es_slip,
    )


def project_rag(
    project: Performance,
    es: EarnedSchedule,
    cpm: Forecast,
    stones: Sequence[MilestoneStatus],
    extra: Unplanned,
    t: Thresholds,
) -> RagStatus:
    """The client's colour: indices, finish slip, milestones and scope growth."""
    slip = cpm.finish_position - cpm.baseline_finish_position
    return worst(
        [
            *performance_rag(project.spi, project.cpi, t),
            index_rag("SPI(t)", es.spi_t, t.spi_t_amber, t.spi_t_red),
            slip_rag("Project finish (CPM)", slip, t),
            *[m.rag for m in stones],
            growth_rag(extra.growth_items, t),
        ]
    )
