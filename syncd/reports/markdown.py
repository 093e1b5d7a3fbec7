"""The Markdown rendering: the progress report a client reads, top to bottom.

Everything that came from a tracker passes through `text.md`, so a title is always text, and
every link target through `text.link_url`, so a URL cannot end its link or be `javascript:`.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncd.reports import text as t
from syncd.reports.model import ItemRef, Status, TaskRow

MAX_ROWS = 25
SCHEDULE_ROWS = 60


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ["_None._", ""]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _link(ref: ItemRef) -> str:
    label, url = t.md(ref.key), t.link_url(ref.url)
    return f"[{label}](<{url}>)" if url else label


def _item(ref: ItemRef) -> str:
    return f"{_link(ref)} {t.md(ref.title)} ({t.md(ref.source)})"


def noted(s: Status, field: str, shown: str) -> str:
    """A figure with the notes of the warnings that doubt it; ``n/a (why)`` when withheld."""
    withheld = s.withheld(field)
    if withheld:
        return f"n/a ({t.md(withheld)})"
    note = s.notes(field)
    return f"{shown} ⚠ {t.md(note)}" if note else shown


def standing(s: Status) -> list[str]:
    f, fc = s.figures, s.forecast
    lines = ["## Where the project stands", ""]
    lines += [f"- {t.md(r)}" for r in s.rag.reasons] or ["- No red or amber indicator."]
    lines.append("")
    done = f"{t.percent(f.percent_complete)} / {t.percent(f.percent_planned)}"
    rows = [
        ["Planned value (PV)", t.amount(f.pv, f)],
        ["Earned value (EV)", noted(s, "ev", t.amount(f.ev, f))],
        ["Schedule variance (SV)", noted(s, "sv", t.signed(f.sv, f))],
        ["SPI", noted(s, "spi", t.index(f.spi))],
        ["SPI(t), earned schedule", noted(s, "spi_t", t.index(f.spi_t))],
        ["SV(t), earned schedule", noted(s, "sv_t_days", t.slip(f.sv_t_days))],
        ["Complete / planned", noted(s, "percent_complete", done)],
        ["Budget at completion", t.amount(f.bac, f)],
    ]
    if f.ac is not None:
        rows.append(["Actual cost (AC)", noted(s, "ac", t.amount(f.ac, f))])
    if f.cpi is not None or s.withheld("cpi"):
        rows.append(["CPI", noted(s, "cpi", t.index(f.cpi))])
    es = f"{t.day(fc.es_finish)} ({t.slip(fc.es_slip_days)})"
    cpm = f"{t.day(fc.cpm_finish)} ({t.slip(fc.cpm_slip_days)})"
    rows += [
        ["Baseline finish", t.day(fc.baseline_finish)],
        ["Forecast finish (earned schedule)", noted(s, "forecast", es)],
        ["Forecast finish (CPM)", noted(s, "forecast", cpm)],
    ]
    return lines + _table(["Measure", "Value"], rows)


def warnings(s: Status) -> list[str]:
    """Every data-quality warning, with the figures it makes doubtful."""
    if not s.warnings:
        return []
    lines = ["## Data warnings", "", "Figures marked ⚠ were computed from incomplete data.", ""]
    for w in s.warnings:
        affects = f" _(affects {', '.join(w.affects)})_" if w.affects else ""
        lines.append(f"- ⚠ {t.md(t.one_line(w.message))}{affects}")
    return [*lines, ""]


def completed(s: Status) -> list[str]:
    c = s.change
    lines = [f"## Completed since {t.day(c.since)}", ""]
    if c.ev_delta is not None:
        lines += [f"Earned value {t.signed(c.ev_delta, s.figures)} since the previous report.", ""]
    done = [f"- Task {t.md(r.label)} completed" for r in c.tasks_completed]
    done += [f"- {_item(i)}" for i in c.items_completed[:MAX_ROWS]]
    return lines + (done or ["_Nothing completed._"]) + [""]


def behind(s: Status) -> list[str]:
    f = s.figures
    rows = [
        [
            t.md(r.label),
            t.day(r.baseline_finish),
            t.day(r.forecast_finish),
            t.slip(r.slip_days),
            t.signed(r.sv, f),
            t.index(r.spi),
        ]
        for r in s.behind[:MAX_ROWS]
    ]
    head = ["Task", "Baseline finish", "Forecast finish", "Slip", "SV", "SPI"]
    return ["## Behind plan", "", *_table(head, rows)]


def milestones(s: Status) -> list[str]:
    rows = [
        [
            t.md(m.name),
            t.day(m.baseline),
            t.day(m.forecast),
            t.slip(m.slip_days),
            "at risk" if m.at_risk else "on track",
            t.md(s.path(m.driving_path)) or t.DASH,
        ]
        for m in s.next_milestones
    ]
    head = ["Milestone", "Baseline", "Forecast", "Slip", "", "Driving path"]
    return ["## Next milestones", "", *_table(head, rows)]


def _critical(row: TaskRow) -> str:
    return f"{'yes' if row.critical else 'no'} / {'yes' if row.baseline_critical else 'no'}"


def schedule(s: Status) -> list[str]:
    """Both critical paths, then per task its floats, critical flags and what drives it."""
    lines = ["## Schedule", ""]
    for name, path in (
        ("Critical path, current (re-forecast)", s.critical_path),
        ("Critical path, baseline", s.baseline_critical_path),
    ):
        lines.append(f"- {name}: {t.md(s.path(path)) or t.DASH}")
    lines.append("")
    rows = [
        [
            t.md(r.label),
            t.day(r.forecast_finish),
            t.slip(r.slip_days),
            t.number(r.baseline_total_float),
            t.number(r.baseline_free_float),
            _critical(r),
            t.md(r.driver.text) if r.driver else t.DASH,
        ]
        for r in s.tasks[:SCHEDULE_ROWS]
    ]
    head = ["Task", "Forecast finish", "Slip", "Total float", "Free float"]
    head += ["Critical (now / baseline)", "Forecast driven by"]
    lines += _table(head, rows)
    if len(s.tasks) > SCHEDULE_ROWS:
        lines += [f"_{len(s.tasks) - SCHEDULE_ROWS} more task(s) in the HTML and CSV reports._", ""]
    note = "Floats in working days on the baseline network as planned; slips in working days."
    return [*lines, note, ""]


def risks(s: Status) -> list[str]:
    rows = [
        [
            r.kind,
            _item(r.item),
            t.md(r.owner or "unassigned"),
            t.day(r.item.due) + (" (**overdue**)" if r.overdue else ""),
            "" if r.age_days is None else str(r.age_days),
            f"{r.probability} × {r.impact}" if r.probability and r.impact else "",
        ]
        for r in s.risks[:MAX_ROWS]
    ]
    head = ["Kind", "Item", "Owner", "Due", "Age (days)", "P × I"]
    return ["## Risks and open issues", "", *_table(head, rows)]


def acceptance(s: Status) -> list[str]:
    if not s.acceptance:
        return []
    rows = [
        [t.md(a.name), t.md("; ".join(a.criteria)) or "none given", a.state, a.evidence or ""]
        for a in s.acceptance
    ]
    head = ["Milestone", "Acceptance criteria", "State", "Recorded by"]
    return ["## Milestone acceptance", "", *_table(head, rows)]


def unplanned(s: Status) -> list[str]:
    u = s.unplanned
    growth = f", scope growth {t.percent(u.growth)}" if u.growth is not None else ""
    lines = [
        "## Unplanned work",
        "",
        f"{u.count} item(s), {t.number(u.points)} points{growth}.",
        "",
    ]
    return lines + [f"- {_item(i)}" for i in u.items[:MAX_ROWS]] + [""]


def sources(s: Status) -> list[str]:
    rows = [
        [
            t.md(p.source),
            t.md(p.kind or t.DASH),
            f"{p.done}/{p.total} done, {p.in_progress} in progress",
            t.day(p.last_success) + (" (stale)" if p.stale else ""),
        ]
        for p in s.sources
    ]
    lines = ["## Progress by source and data freshness", ""]
    lines += _table(["Source", "Tool", "Items", "Last successful pull"], rows)
    problems = [f"- {t.md(p.kind)}: {t.md(p.message)}" for p in s.problems[:MAX_ROWS]]
    return [*lines, "### Open sync problems", "", *(problems or ["_None._"]), ""]


def render_markdown(status: Status) -> str:
    """The whole report as Markdown."""
    s = status
    version = f"baseline v{s.baseline_version}" if s.baseline_version is not None else "baseline"
    label = f" ({t.md(s.baseline_label)})" if s.baseline_label else ""
    lines = [
        f"# {t.md(s.client.name)}: status on {t.day(s.as_of)}",
        "",
        f"**{t.md(s.headline)}**. Measured against {version}{label}.",
        "",
    ]
    parts = (
        standing,
        warnings,
        completed,
        behind,
        milestones,
        acceptance,
        schedule,
        risks,
        unplanned,
    )
    for part in (*parts, sources):
        lines += part(s)
    return "\n".join(lines).rstrip() + "\n"
