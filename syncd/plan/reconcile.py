"""Reconcile a baseline with tracker items on a status date: the top of the plan package.

Pure: a Baseline, WorkItems and a client's MappingConfig in, a Reconciliation out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, tzinfo

from syncd.mapping.config import LinkRule, MappingConfig, Technique
from syncd.mapping.history import items_as_of
from syncd.mapping.linking import Linker, LinkResult
from syncd.mapping.progress import measure_task
from syncd.mapping.status import apply_all
from syncd.model import StatusCategory, WorkItem
from syncd.plan import gaps
from syncd.plan.baseline import Baseline, PlanTask
from syncd.plan.calendar import WorkCalendar, span, weekday_numbers
from syncd.plan.evm import Performance, measure, planned_fraction
from syncd.plan.forecast import Actuals, Forecast, forecast
from syncd.plan.keys import KEY_PREFIX, check_references, techniques
from syncd.plan.quality import WITHHELD, DataWarning, from_text, warning
from syncd.plan.recorded import TECHNIQUE as RECORDED
from syncd.plan.recorded import Recorded, measure_recorded, remaining_days, unrecorded
from syncd.plan.result import BaselineRef, Reconciliation
from syncd.plan.rollup import Leaf, milestones, project_rag, rollup, schedule_forecast, unplanned
from syncd.plan.schedule import earned_schedule, pv_curve


def calendar_for(baseline: Baseline, config: MappingConfig) -> WorkCalendar:
    """The client's weekends, and the holidays of both the client and the plan."""
    holidays = frozenset(config.calendar.holidays) | frozenset(baseline.holidays)
    return WorkCalendar(weekday_numbers(config.calendar.weekends), holidays)


def reconcile(
    baseline: Baseline,
    items: Iterable[WorkItem],
    *,
    as_of: date,
    config: MappingConfig | None = None,
    zone: tzinfo = UTC,
    recorded: Recorded | None = None,
) -> Reconciliation:
    """EVM, earned schedule, CPM forecast, milestones, unplanned work and RAG at `as_of`.

    Items are measured as they stood at the end of `as_of` in `zone` (the client's time zone),
    rebuilt from their status history, so a past status date sees the states of that day.
    `recorded` is the progress the plan file records now, by task key, for tasks measured by
    the ``plan`` technique (None: what the baseline kept when it was imported).
    """
    config = config or MappingConfig()
    cal = calendar_for(baseline, config)
    warnings: list[DataWarning] = []
    live = _items_then(items, config, as_of, zone, warnings)
    refs = check_references(baseline, config)
    linker = Linker(
        link_rules(baseline, config), refs.codes, wbs=refs.wbs, ambiguous=refs.ambiguous
    )
    links = linker.link_all(live)
    warnings += (warning("ambiguous_ref", w) for w in linker.warnings)
    warnings += gaps.unused_links(config, live, refs.codes)
    grouped = _group(live, links, baseline, warnings)
    chosen = techniques(refs, config.progress.tasks)
    at = float(max(cal.finish_position(baseline.start, as_of), 0))
    leaves = {
        t.key: _leaf(
            t, grouped.get(t.key, []), chosen, cal, baseline, at, config, warnings, recorded
        )
        for t in baseline.leaves
    }
    if any(leaf.progress.technique == RECORDED for leaf in leaves.values()):
        missing = unrecorded(baseline, recorded)
        warnings += [warning("plan_unrecorded", missing)] if missing else []
    warnings += gaps.technique_gaps(leaves, grouped)
    cpm = forecast(baseline, _actuals(leaves, recorded), cal=cal, as_of=as_of)
    planned = forecast(baseline, {}, cal=cal)
    statuses, project = rollup(baseline, leaves, cpm, config.thresholds, planned=planned)
    periods = int(cpm.baseline_finish_position)
    curve = pv_curve([_span3(t, cal, baseline) for t in baseline.leaves], periods)
    es = earned_schedule(curve, project.ev, at)
    stones = milestones(baseline, cpm, cal, config.thresholds)
    extra = unplanned(live, links, project, _rate(baseline, config))
    warnings += gaps.missing_ac(grouped, project.ac)
    warnings += gaps.partial_ac(grouped, baseline, _rate(baseline, config), project.ac)
    judged = _without_doubtful_cpi(project, warnings)
    return Reconciliation(
        as_of=as_of,
        baseline=_ref(baseline),
        project=project,
        earned_schedule=es,
        forecast=schedule_forecast(baseline, cpm, es, cal),
        tasks=tuple(statuses[t.key] for t in baseline.tasks),
        critical_path=cpm.critical_path,
        baseline_critical_path=planned.critical_path,
        milestones=stones,
        unplanned=extra,
        links=tuple(links.values()),
        rag=project_rag(judged, es, cpm, stones, extra, config.thresholds),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _items_then(
    items: Iterable[WorkItem],
    config: MappingConfig,
    as_of: date,
    zone: tzinfo,
    warnings: list[DataWarning],
) -> list[WorkItem]:
    """The live items as they stood at the end of `as_of` in `zone`, with what that cannot
    date (and whether the status date is before the evidence) added to `warnings`."""
    moment = datetime.combine(as_of, time.max, tzinfo=zone)
    mapped = apply_all(items, config)
    then = items_as_of(mapped, moment)
    warnings += gaps.before_evidence((i for i in mapped if not i.deleted), as_of, moment)
    warnings += map(from_text, then.notes[bool(then.undated) :])
    if then.undated:
        note = f"today's logged time on {len(then.undated)} item(s)"
        warnings.append(warning("ac_undated", then.notes[0], note=note))
    return [i for i in then.items if not i.deleted]


def link_rules(baseline: Baseline, config: MappingConfig) -> list[LinkRule]:
    """The plan's own tracker refs (an explicit table, tried first), then the client's rules."""
    table = {ref: KEY_PREFIX + t.key for t in baseline.tasks for ref in t.tracker_refs}
    first = [LinkRule(by="table", map=table)] if table else []
    return first + list(config.links)


def _group(
    items: Sequence[WorkItem],
    links: dict[tuple[str, str], LinkResult],
    baseline: Baseline,
    warnings: list[DataWarning],
) -> dict[str, list[WorkItem]]:
    summaries = {t.key: t for t in baseline.tasks if t.summary}
    grouped: dict[str, list[WorkItem]] = defaultdict(list)
    for item in items:
        task = links[item.ident].task
        if task in summaries:
            warnings.append(gaps.summary_links(summaries[task]))
        elif task is not None:
            grouped[task].append(item)
    return grouped


def _leaf(
    task: PlanTask,
    items: list[WorkItem],
    chosen: dict[str, Technique],
    cal: WorkCalendar,
    baseline: Baseline,
    at: float,
    config: MappingConfig,
    warnings: list[DataWarning],
    recorded: Recorded | None,
) -> Leaf:
    technique = chosen.get(task.key, config.progress.default)
    if technique == RECORDED:
        progress = measure_recorded(task, items, recorded)
    else:
        progress = measure_task(items, technique, cap=config.progress.in_progress_cap)
    start, finish = span(cal, baseline.start, task.start, task.finish, milestone=task.milestone)
    pv = task.budget * planned_fraction(start, finish, at)
    ev = pv if progress.percent is None else task.budget * progress.percent
    ac = _in_unit(progress.spent_hours, baseline, config, warnings)
    remaining = _in_unit(progress.remaining_hours, baseline, config, warnings)
    return Leaf(task, progress, measure(task.budget, pv, ev, ac, remaining=remaining))


def _rate(baseline: Baseline, config: MappingConfig) -> float | None:
    return 1.0 if baseline.unit == "hours" else config.progress.hourly_rate


def _in_unit(
    hours: float | None, baseline: Baseline, config: MappingConfig, warnings: list[DataWarning]
) -> float | None:
    """Tracked hours in the plan's unit: as is for hours, × hourly_rate for money."""
    if hours is None or baseline.unit == "hours":
        return hours
    if config.progress.hourly_rate is None:
        text = "time is tracked but the plan is in money and no hourly_rate is set"
        warnings.append(warning("no_hourly_rate", text))
        return None
    return hours * config.progress.hourly_rate


def _without_doubtful_cpi(project: Performance, warnings: list[DataWarning]) -> Performance:
    """The figures RAG may judge: CPI left out when too little AC is logged to mean anything."""
    if any(WITHHELD.get(w.code) == "cpi" for w in warnings):
        return replace(project, cpi=None)
    return project


def _actuals(leaves: dict[str, Leaf], recorded: Recorded | None) -> dict[str, Actuals]:
    found: dict[str, Actuals] = {}
    for key, leaf in leaves.items():
        p = leaf.progress
        if p.status is StatusCategory.TODO and p.actual_start is None:
            continue
        done = p.status is StatusCategory.DONE
        finish = p.actual_finish.date() if done and p.actual_finish else None
        start = p.actual_start.date() if p.actual_start else finish
        if done and finish is None:
            finish = start or leaf.task.finish
        found[key] = Actuals(
            percent=leaf.performance.percent_complete or 0.0,
            actual_start=start,
            actual_finish=finish,
            remaining_days=(
                remaining_days(leaf.task, recorded) if p.technique == RECORDED else None
            ),
        )
    return found


def _span3(task: PlanTask, cal: WorkCalendar, baseline: Baseline) -> tuple[int, int, float]:
    start, finish = span(cal, baseline.start, task.start, task.finish, milestone=task.milestone)
    return start, finish, task.budget


def _ref(b: Baseline) -> BaselineRef:
    return BaselineRef(
        name=b.name,
        version=b.version,
        label=b.label,
        digest=b.digest(),
        source=b.source,
        baseline_number=b.baseline_number,
        unit=b.unit,
        currency=b.currency,
    )


__all__ = ["Forecast", "reconcile"]
