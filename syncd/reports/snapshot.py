"""Reading a stored snapshot (`Reconciliation.to_dict()` and its baseline) into report values.

The snapshot is ``{"reconciliation": {...}, "baseline": {"version": n, "label": ...}}``. This is
the one module that knows the reconciliation's field names; it reads them tolerantly (a missing
figure is None, never a crash), so an older snapshot still renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from syncd.plan.quality import DataWarning, read
from syncd.reports import text
from syncd.reports.model import (
    CurvePoint,
    Driver,
    Figures,
    Forecast,
    Milestone,
    Rag,
    RagColour,
    TaskRow,
)

Data = Mapping[str, Any]
_NESTED = ("performance", "evm", "figures", "totals", "earned_value", "schedule", "earned_schedule")


def reconciliation(snapshot: Data) -> Data:
    """The reconciliation part of a snapshot (or the snapshot itself when stored bare)."""
    rec = snapshot.get("reconciliation")
    return rec if isinstance(rec, Mapping) else snapshot


def baseline_meta(snapshot: Data) -> tuple[int | None, str]:
    """(version, label) of the baseline a snapshot was measured against."""
    meta = snapshot.get("baseline")
    if not isinstance(meta, Mapping):
        return None, ""
    version = meta.get("version")
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    number = int(version) if isinstance(version, int | float) else None
    return number, str(meta.get("label") or meta.get("name") or "")


def pick(data: Data, *names: str) -> Any:
    """The first of `names` present (and not None) in `data` or one of its nested figure dicts."""
    for name in names:
        if data.get(name) is not None:
            return data[name]
    for nest in _NESTED:
        inner = data.get(nest)
        if isinstance(inner, Mapping):
            found = pick_flat(inner, *names)
            if found is not None:
                return found
    return None


def pick_flat(data: Data, *names: str) -> Any:
    for name in names:
        if data.get(name) is not None:
            return data[name]
    return None


def num(data: Data, *names: str) -> float | None:
    value = pick(data, *names)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def day(value: Any) -> date | None:
    """A date from an ISO date or datetime string (or a date); None otherwise."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def working_days_between(start: date, end: date) -> float:
    """Signed Monday-to-Friday days from `start` to `end` (a fallback when no slip is stored)."""
    sign = 1.0 if end >= start else -1.0
    lo, hi = (start, end) if end >= start else (end, start)
    count = sum(1 for n in range((hi - lo).days) if (lo + timedelta(days=n + 1)).weekday() < 5)
    return sign * count


def as_of(snapshot: Data) -> date | None:
    return day(pick(reconciliation(snapshot), "as_of", "status_date"))


def figures(rec: Data) -> Figures:
    """Project-level figures from the reconciliation's totals and earned schedule."""
    totals = _first_map(rec, "totals", "project", "performance", "evm") or rec
    es = _first_map(rec, "earned_schedule", "schedule", "es") or {}
    pv, ev = num(totals, "pv") or 0.0, num(totals, "ev") or 0.0
    return Figures(
        unit=str(pick(rec, "unit") or pick(_first_map(rec, "baseline") or {}, "unit") or "hours"),
        currency=str(
            pick(rec, "currency") or pick(_first_map(rec, "baseline") or {}, "currency") or ""
        ),
        bac=num(totals, "bac") or 0.0,
        pv=pv,
        ev=ev,
        ac=num(totals, "ac"),
        sv=_or(num(totals, "sv"), ev - pv),
        spi=num(totals, "spi"),
        cpi=num(totals, "cpi"),
        spi_t=num(es, "spi_t") if es else num(rec, "spi_t"),
        sv_t_days=num(es, "sv_t") if es else num(rec, "sv_t"),
        percent_complete=num(totals, "percent_complete"),
        percent_planned=num(totals, "percent_planned"),
    )


def _first_map(data: Data, *names: str) -> Data | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, Mapping):
            return value
    return None


def forecast(rec: Data, baseline_finish: date | None) -> Forecast:
    """Baseline finish, the earned-schedule and CPM forecast finishes, and their slips.

    Slips are the engine's, on the client's calendar: the stored figure, else (an older
    snapshot) IEAC(t) minus the planned duration; never recounted from the dates here.
    """
    fc = _first_map(rec, "forecast", "forecasts") or {}
    es = _first_map(rec, "earned_schedule", "schedule", "es") or {}
    cpm = _first_map(rec, "cpm") or {}
    base = day(pick_flat(fc, "baseline_finish")) or day(pick(rec, "baseline_finish"))
    base = base or baseline_finish
    es_finish = day(pick_flat(fc, "es_finish", "es")) or day(pick_flat(es, "forecast_finish"))
    cpm_finish = day(pick_flat(fc, "cpm_finish", "cpm")) or day(pick_flat(cpm, "forecast_finish"))
    return Forecast(
        baseline_finish=base,
        es_finish=es_finish,
        cpm_finish=cpm_finish,
        es_slip_days=_es_slip(fc, es),
        cpm_slip_days=num(fc, "cpm_slip_days"),
    )


def _es_slip(fc: Data, es: Data) -> float | None:
    stored = num(fc, "es_slip_days")
    if stored is not None:
        return stored
    ieac, pd = num(fc, "es_duration_days"), num(es, "pd")
    return None if ieac is None or pd is None else ieac - pd


def driver(t: Data, labels: Mapping[str, str]) -> Driver | None:
    """What drives a task's forecast, with the driving predecessor named by WBS code and name."""
    raw = t.get("driver")
    if not isinstance(raw, Mapping) or not raw.get("kind"):
        return None
    kind = str(raw["kind"])
    pred = raw.get("predecessor")
    key = None if pred is None else str(pred)
    lag = raw.get("lag_days")
    how = text.link(raw.get("type"), float(lag) if isinstance(lag, int | float) else None)
    name = None if key is None else labels.get(key, key)
    return Driver(kind=kind, task=key, link=how, text=text.driver(kind, name, how))


def task_row(t: Data, labels: Mapping[str, str] | None = None) -> TaskRow | None:
    """One leaf task of the reconciliation as a table row; None for a summary or a bad row."""
    start = day(pick(t, "baseline_start", "start"))
    finish = day(pick(t, "baseline_finish", "finish"))
    if start is None or finish is None or bool(t.get("summary")):
        return None
    pv, ev = num(t, "pv") or 0.0, num(t, "ev") or 0.0
    budget = num(t, "bac", "budget") or 0.0
    f_finish = day(pick(t, "forecast_finish"))
    slip = num(t, "slip_days", "finish_slip_days")
    if slip is None:
        slip = working_days_between(finish, f_finish) if f_finish else 0.0
    items = t.get("items")
    return TaskRow(
        key=str(t.get("key", "")),
        wbs=str(t.get("wbs") or ""),
        name=str(t.get("name") or t.get("key", "")),
        milestone=bool(t.get("milestone")),
        baseline_start=start,
        baseline_finish=finish,
        forecast_start=day(pick(t, "forecast_start")),
        forecast_finish=f_finish,
        budget=budget,
        pv=pv,
        ev=ev,
        sv=_or(num(t, "sv"), ev - pv),
        spi=num(t, "spi"),
        percent_complete=_fraction(num(t, "percent_complete", "pc"), ev, budget),
        percent_planned=_fraction(num(t, "percent_planned"), pv, budget),
        slip_days=slip,
        critical=bool(pick(t, "critical")),
        status=str(t.get("status") or ""),
        items=len(items) if isinstance(items, list) else int(num(t, "items", "item_count") or 0),
        baseline_total_float=num(t, "baseline_total_float"),
        baseline_free_float=num(t, "baseline_free_float"),
        baseline_critical=bool(t.get("baseline_critical")),
        total_float=num(t, "total_float"),
        free_float=num(t, "free_float"),
        driver=driver(t, labels or {}),
    )


def _fraction(stored: float | None, part: float, whole: float) -> float:
    if stored is not None:
        return stored
    return part / whole if whole else 0.0


def tasks(rec: Data) -> tuple[TaskRow, ...]:
    raw = rec.get("tasks")
    found = [t for t in raw if isinstance(t, Mapping)] if isinstance(raw, list) else []
    labels = {str(t.get("key", "")): _label(t) for t in found}
    rows = [task_row(t, labels) for t in found]
    return tuple(r for r in rows if r is not None)


def _label(t: Data) -> str:
    name = str(t.get("name") or t.get("key", ""))
    return f"{t['wbs']} {name}" if t.get("wbs") else name


def milestones(rec: Data, rows: tuple[TaskRow, ...]) -> tuple[Milestone, ...]:
    """Milestones as reconcile reported them; else the milestone rows of the task table."""
    raw = rec.get("milestones")
    if isinstance(raw, list) and raw:
        done = {r.key for r in rows if r.done}
        found = [_milestone(m, done) for m in raw if isinstance(m, Mapping)]
        return tuple(m for m in found if m is not None)
    return tuple(
        Milestone(
            key=r.key,
            name=r.name,
            baseline=r.baseline_finish,
            forecast=r.forecast_finish,
            deadline=None,
            slip_days=r.slip_days,
            at_risk=r.slip_days > 0,
            done=r.done,
        )
        for r in rows
        if r.milestone
    )


def _milestone(m: Data, done: set[str]) -> Milestone | None:
    baseline = day(pick(m, "baseline_finish", "baseline", "finish"))
    if baseline is None:
        return None
    forecast_ = day(pick(m, "forecast_finish", "forecast"))
    slip = num(m, "slip_days", "slip")
    if slip is None:
        slip = working_days_between(baseline, forecast_) if forecast_ else 0.0
    path = m.get("driving_path") or ()
    return Milestone(
        key=str(m.get("key", "")),
        name=str(m.get("name") or m.get("key", "")),
        baseline=baseline,
        forecast=forecast_,
        deadline=day(m.get("deadline")),
        slip_days=slip,
        at_risk=bool(m.get("at_risk", slip > 0)),
        done=bool(m.get("done")) or str(m.get("key", "")) in done,
        driving_path=tuple(str(k) for k in path) if isinstance(path, list | tuple) else (),
    )


def rag(rec: Data) -> Rag | None:
    """RAG and reasons as reconcile decided them; None when the snapshot has none."""
    raw = rec.get("rag")
    if isinstance(raw, str):
        raw = {"status": raw}
    if not isinstance(raw, Mapping):
        return None
    colour = str(raw.get("level") or raw.get("status") or raw.get("colour") or "").lower()
    if colour not in ("red", "amber", "green"):
        return None
    reasons = raw.get("reasons") or ()
    texts = tuple(_reason_text(r) for r in reasons) if isinstance(reasons, list | tuple) else ()
    status: RagColour = colour  # type: ignore[assignment]
    return Rag(status=status, reasons=texts)


def _reason_text(reason: Any) -> str:
    if isinstance(reason, Mapping):
        return str(reason.get("text") or reason.get("message") or reason.get("reason") or "")
    return str(reason)


def critical_path(rec: Data, *, baseline: bool = False) -> tuple[str, ...]:
    """Task keys of the current critical path (`baseline`: the baseline network's)."""
    name = "baseline_critical_path" if baseline else "critical_path"
    path = pick(rec, name)
    if path is None:
        cpm = _first_map(rec, "cpm") or {}
        path = cpm.get(name)
    return tuple(str(k) for k in path) if isinstance(path, list | tuple) else ()


def links(rec: Data) -> dict[tuple[str, str], str | None]:
    """(source, external id) -> the plan task reconcile linked the item to (None: unplanned)."""
    raw = rec.get("links")
    found: dict[tuple[str, str], str | None] = {}
    for entry in raw if isinstance(raw, list) else ():
        ident = entry.get("item") if isinstance(entry, Mapping) else None
        if isinstance(ident, list | tuple) and len(ident) == 2:
            task = entry.get("task")
            found[(str(ident[0]), str(ident[1]))] = None if task is None else str(task)
    return found


def unplanned_keys(rec: Data) -> set[str]:
    """Keys of the items reconcile counted as unplanned work."""
    raw = rec.get("unplanned")
    keys = raw.get("keys") if isinstance(raw, Mapping) else None
    return {str(k) for k in keys} if isinstance(keys, list | tuple) else set()


def curve_point(snapshot: Data) -> CurvePoint | None:
    """One S-curve point from a stored snapshot."""
    when = as_of(snapshot)
    if when is None:
        return None
    rec = reconciliation(snapshot)
    f = figures(rec)
    extra = rec.get("unplanned")
    planned = num(extra, "planned_items") if isinstance(extra, Mapping) else None
    unplanned = num(extra, "items") if isinstance(extra, Mapping) else None
    return CurvePoint(
        as_of=when,
        pv=f.pv,
        ev=f.ev,
        spi=f.spi,
        planned_items=None if planned is None else int(planned),
        unplanned_items=None if unplanned is None else int(unplanned),
    )


def warnings(rec: Data) -> tuple[DataWarning, ...]:
    """The data-quality warnings stored with the reconciliation (older bare strings too)."""
    raw = rec.get("warnings")
    found = [read(w) for w in raw] if isinstance(raw, list | tuple) else []
    return tuple(w for w in found if w is not None)
