"""A stored snapshot's reconciliation (`syncd.plan.snapshot.StatusSnapshot`) as report values.

The reconciliation arrives typed: `StatusSnapshot.from_dict` rebuilds it exactly, older
snapshots too, so nothing here guesses at field names. What a report shows differently from
the engine's values is decided here: a task's name stands in for a missing one, a leaf's
percentages come from its figures when none are stored, the earned-schedule slip of a snapshot
stored before it was recorded is IEAC(t) minus the planned duration.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from syncd.plan.evm import Performance
from syncd.plan.forecast import Driver as ForecastDriver
from syncd.plan.result import MilestoneStatus, Reconciliation, TaskStatus, Unplanned
from syncd.plan.snapshot import StatusSnapshot, curve_parts
from syncd.reports import text
from syncd.reports.model import CurvePoint, Driver, Figures, Forecast, Milestone, TaskRow


def figures(rec: Reconciliation) -> Figures:
    """Project-level figures from the reconciliation's totals and earned schedule."""
    totals, es = rec.project, rec.earned_schedule
    return Figures(
        unit=rec.baseline.unit or "hours",
        currency=rec.baseline.currency or "",
        bac=totals.bac,
        pv=totals.pv,
        ev=totals.ev,
        ac=totals.ac,
        sv=totals.sv,
        spi=totals.spi,
        cpi=totals.cpi,
        spi_t=es.spi_t,
        sv_t_days=es.sv_t,
        percent_complete=totals.percent_complete,
        percent_planned=totals.percent_planned,
    )


def forecast(rec: Reconciliation) -> Forecast:
    """Baseline finish, the earned-schedule and CPM forecast finishes, and their slips.

    Slips are the engine's, on the client's calendar: the stored figure, else (an older
    snapshot) IEAC(t) minus the planned duration; never recounted from the dates here.
    """
    fc = rec.forecast
    es_slip = fc.es_slip_days
    if es_slip is None and fc.es_duration_days is not None:
        es_slip = fc.es_duration_days - rec.earned_schedule.pd
    return Forecast(
        baseline_finish=fc.baseline_finish,
        es_finish=fc.es_finish,
        cpm_finish=fc.cpm_finish,
        es_slip_days=es_slip,
        cpm_slip_days=fc.cpm_slip_days,
    )


def driver(found: ForecastDriver | None, labels: Mapping[str, str]) -> Driver | None:
    """What drives a task's forecast, with the driving predecessor named by WBS code and name."""
    if found is None:
        return None
    key = found.predecessor
    how = text.link(None if found.type is None else found.type.value, found.lag_days)
    name = None if key is None else labels.get(key, key)
    return Driver(kind=found.kind, task=key, link=how, text=text.driver(found.kind, name, how))


def task_row(t: TaskStatus, labels: Mapping[str, str] | None = None) -> TaskRow | None:
    """One leaf task of the reconciliation as a table row; None for a summary."""
    if t.summary:
        return None
    perf = t.performance
    return TaskRow(
        key=t.key,
        wbs=t.wbs or "",
        name=t.name or t.key,
        milestone=t.milestone,
        baseline_start=t.baseline_start,
        baseline_finish=t.baseline_finish,
        forecast_start=t.forecast_start,
        forecast_finish=t.forecast_finish,
        budget=perf.bac,
        pv=perf.pv,
        ev=perf.ev,
        sv=perf.sv,
        spi=perf.spi,
        percent_complete=_fraction(perf.percent_complete, perf.ev, perf.bac),
        percent_planned=_fraction(perf.percent_planned, perf.pv, perf.bac),
        slip_days=t.slip_days,
        critical=t.critical,
        status=t.status or "",
        items=t.items,
        baseline_total_float=t.baseline_total_float,
        baseline_free_float=t.baseline_free_float,
        baseline_critical=t.baseline_critical,
        total_float=t.total_float,
        free_float=t.free_float,
        driver=driver(t.driver, labels or {}),
    )


def _fraction(stored: float | None, part: float, whole: float) -> float:
    if stored is not None:
        return stored
    return part / whole if whole else 0.0


def tasks(rec: Reconciliation) -> tuple[TaskRow, ...]:
    """The leaf tasks as table rows, in the reconciliation's order."""
    labels = {t.key: _label(t) for t in rec.tasks}
    rows = [task_row(t, labels) for t in rec.tasks]
    return tuple(r for r in rows if r is not None)


def _label(t: TaskStatus) -> str:
    name = t.name or t.key
    return f"{t.wbs} {name}" if t.wbs else name


def milestones(rec: Reconciliation, rows: tuple[TaskRow, ...]) -> tuple[Milestone, ...]:
    """The milestones as reconcile reported them, done when their task row is."""
    done = {r.key for r in rows if r.done}
    return tuple(_milestone(m, m.key in done) for m in rec.milestones)


def _milestone(m: MilestoneStatus, done: bool) -> Milestone:
    return Milestone(
        key=m.key,
        name=m.name or m.key,
        baseline=m.baseline_finish,
        forecast=m.forecast_finish,
        deadline=m.deadline,
        slip_days=m.slip_days,
        at_risk=m.at_risk,
        done=done,
        driving_path=m.driving_path,
    )


def links(rec: Reconciliation) -> dict[tuple[str, str], str | None]:
    """(source, external id) -> the plan task reconcile linked the item to (None: unplanned)."""
    return {link.item: link.task for link in rec.links}


def curve_point(snapshot: StatusSnapshot) -> CurvePoint:
    """One S-curve point from a stored snapshot."""
    rec = snapshot.reconciliation
    return _point(rec.as_of, rec.project, rec.unplanned)


def stored_curve_point(parts: Mapping[str, Any]) -> CurvePoint:
    """The S-curve point of a stored snapshot from the parts of it the store read
    (`store.snapshots.curve_parts`): the point `curve_point` gives of it read back whole."""
    return _point(*curve_parts(parts))


def _point(as_of: date, project: Performance, unplanned: Unplanned) -> CurvePoint:
    return CurvePoint(
        as_of=as_of,
        pv=project.pv,
        ev=project.ev,
        spi=project.spi,
        planned_items=unplanned.planned_items,
        unplanned_items=unplanned.items,
    )
