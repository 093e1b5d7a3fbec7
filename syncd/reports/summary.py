"""The terminal summary of a reconciliation, as `syncd reconcile` and `syncd sync` print it.

Plain lines (no markup): figures, both finish forecasts with the engine's slips in working
days to one decimal, milestones with their driving path, both critical paths, and per task
its floats, critical flags and what drives its forecast, every task named by WBS code and name.
"""

from __future__ import annotations

from syncd.plan.result import Reconciliation, TaskStatus
from syncd.reports import text
from syncd.terminal import printable

MAX_TASKS = 40


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def wd(value: float | None) -> str:
    """A slip in working days to one decimal: ``+2.4 wd``, ``-1.0 wd``, ``0.0 wd``."""
    if value is None:
        return "n/a"
    return f"{0.0 if abs(value) < 0.05 else value:+.1f} wd".replace("+0.0", "0.0")


def summary_lines(client: str, rec: Reconciliation) -> list[str]:
    """Every line of the summary, in order."""
    p, es, fc = rec.project, rec.earned_schedule, rec.forecast
    unit = rec.baseline.unit

    def fig(name: str, field: str, value: float | None, digits: int = 2) -> str:
        return figure(rec, name, field, _fmt(value, digits))

    late = rec.notes("forecast")
    lines = [
        f"{client} as of {rec.as_of} · baseline v{rec.baseline.version} "
        f"{rec.baseline.label}".rstrip(),
        f"RAG {rec.rag.level.value.upper()}: " + ("; ".join(rec.rag.reasons) or "on plan"),
        f"BAC {_fmt(p.bac, 1)} {unit} · PV {_fmt(p.pv, 1)} · {fig('EV', 'ev', p.ev, 1)} · "
        f"{fig('AC', 'ac', p.ac, 1)} · {fig('SV', 'sv', p.sv, 1)} · {fig('SPI', 'spi', p.spi)} · "
        f"{fig('CPI', 'cpi', p.cpi)}",
        f"ES {_fmt(es.es, 1)} d · AT {_fmt(es.at, 1)} d · SV(t) {_fmt(es.sv_t, 1)} d · "
        f"{fig('SPI(t)', 'spi_t', es.spi_t)} · TSPI(t) {_fmt(es.tspi_t)}",
        f"Baseline finish {fc.baseline_finish} · {fc.cpm_label}: {fc.cpm_finish} "
        f"({wd(fc.cpm_slip_days)}) · {fc.es_label}: {fc.es_finish or 'n/a'}"
        + (f" ({wd(fc.es_slip_days)})" if fc.es_finish else "")
        + (f" [{late}]" if late else ""),
    ]
    for stone in rec.milestones:
        flag = "AT RISK" if stone.at_risk else "on track"
        path = " → ".join(rec.label(k) for k in stone.driving_path) or "none"
        lines.append(
            f"  ◆ {stone.name}: baseline {stone.baseline_finish}, forecast "
            f"{stone.forecast_finish} ({wd(stone.slip_days)}) {flag}; driving path {path}"
        )
    lines += _paths(rec)
    lines += _tasks(rec)
    u = rec.unplanned
    lines.append(f"Unplanned work: {u.items} item(s), {_fmt(u.points, 1)} points")
    return lines + warning_lines(rec)


def figure(rec: Reconciliation, name: str, field: str, shown: str) -> str:
    """``SPI 0.50 [points missing]``; ``CPI n/a (AC missing for 7 of 9 items)`` when withheld."""
    withheld = rec.withheld(field)
    if withheld:
        return f"{name} n/a ({withheld})"
    note = rec.notes(field)
    return f"{name} {shown} [{note}]" if note else f"{name} {shown}"


def warning_lines(rec: Reconciliation) -> list[str]:
    """The data-quality warnings, one a line, each with the figures it makes doubtful."""
    if not rec.warnings:
        return []
    lines = [f"Data warnings ({len(rec.warnings)}): figures computed from incomplete data"]
    for w in rec.warnings:
        affects = f" [affects {', '.join(w.affects)}]" if w.affects else ""
        lines.append(f"  ! {printable(text.one_line(w.message))}{affects}")
    return lines


def _paths(rec: Reconciliation) -> list[str]:
    def named(path: tuple[str, ...]) -> str:
        return " → ".join(rec.label(k) for k in path) or "none (every task is done)"

    return [
        f"Critical path, current (re-forecast): {named(rec.critical_path)}",
        f"Critical path, baseline: {named(rec.baseline_critical_path)}",
    ]


def _tasks(rec: Reconciliation) -> list[str]:
    leaves = [t for t in rec.tasks if not t.summary]
    lines = ["Tasks (float: working days on the baseline network; critical: now/baseline):"]
    lines += [_task_line(rec, t) for t in leaves[:MAX_TASKS]]
    if len(leaves) > MAX_TASKS:
        lines.append(f"  … {len(leaves) - MAX_TASKS} more task(s): see `syncd report`")
    return lines


def _task_line(rec: Reconciliation, t: TaskStatus) -> str:
    label = f"{t.wbs} {t.name}" if t.wbs else t.name
    crit = f"{'yes' if t.critical else 'no'}/{'yes' if t.baseline_critical else 'no'}"
    d = t.driver
    driven = text.DASH
    if d is not None:
        pred = None if d.predecessor is None else rec.label(d.predecessor)
        how = text.link(None if d.type is None else d.type.value, d.lag_days)
        driven = text.driver(d.kind, pred, how)
    return (
        f"  {label}: forecast {t.forecast_finish} ({wd(t.slip_days)}) · "
        f"TF {text.number(t.baseline_total_float)} · FF {text.number(t.baseline_free_float)} · "
        f"critical {crit} · driven by {driven}"
    )
