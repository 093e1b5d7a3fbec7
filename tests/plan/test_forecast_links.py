"""The CPM re-forecast respects every link of the network, whatever the evidence says.

Links are FS/SS/FF/SF with lags in working days on the plan calendar. A done task keeps its
actual dates (history is not re-planned); a started task keeps its actual start, and its
remaining work obeys every link ("retained logic"); a task not started obeys them all.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.mapping import MappingConfig
from syncd.model import StatusCategory, StatusChange, WorkItem
from syncd.plan.baseline import Baseline, Dependency, LinkType, PlanTask, build_baseline
from syncd.plan.calendar import WorkCalendar, span
from syncd.plan.forecast import Actuals, forecast, network_links
from syncd.plan.reconcile import calendar_for, reconcile
from syncd.plan.toml_csv import parse_toml

from .conftest import at, item

ORIGIN = date(2026, 3, 2)  # a Monday
EPS = 1e-6
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _day(cal: WorkCalendar, index: int) -> date:
    return cal.day_at(ORIGIN, index)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    holidays = draw(st.sets(st.integers(0, 80), max_size=6))
    return WorkCalendar(holidays=frozenset(ORIGIN + timedelta(days=d) for d in holidays))


@st.composite
def plans(draw: st.DrawFn, *, cal: WorkCalendar, whole_lags: bool = False) -> Baseline:
    """A random network of 2–9 leaves; task 0 starts on the origin; links point forward."""
    n = draw(st.integers(2, 9))
    lags = st.integers(-3, 4) if whole_lags else st.sampled_from([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    tasks = []
    for j in range(n):
        first = 0 if j == 0 else draw(st.integers(0, 30))
        milestone = j > 0 and draw(st.integers(0, 4)) == 0
        length = 0 if milestone else draw(st.integers(1, 8))
        start, finish = _day(cal, first), _day(cal, first + max(length - 1, 0))
        deps = tuple(
            Dependency(f"T{i}", draw(st.sampled_from(list(LinkType))), float(draw(lags)))
            for i in range(j)
            if draw(st.integers(0, 2)) == 0
        )
        tasks.append(
            PlanTask(
                key=f"T{j}",
                name=f"Task {j}",
                start=start,
                finish=finish,
                wbs=str(j + 1),
                budget=0.0 if milestone else 8.0 * length,
                milestone=milestone,
                dependencies=deps,
            )
        )
    return build_baseline("random", tasks, holidays=tuple(sorted(cal.holidays)))


@st.composite
def evidence(draw: st.DrawFn, plan: Baseline, cal: WorkCalendar, as_of: date) -> dict[str, Actuals]:
    """Per task: nothing, started (some percent, maybe a remaining estimate), or done."""
    found: dict[str, Actuals] = {}
    last = cal.finish_position(ORIGIN, as_of)
    for task in plan.leaves:
        kind = draw(st.sampled_from(["none", "started", "done"]))
        if kind == "none" or last <= 0:
            continue
        first = draw(st.integers(0, last - 1))
        begun = _day(cal, first)
        if kind == "started":
            found[task.key] = Actuals(
                percent=draw(st.floats(0, 1)),
                actual_start=begun,
                remaining_days=draw(st.one_of(st.none(), st.floats(0, 12))),
            )
        else:
            ended = _day(cal, draw(st.integers(first, last - 1)))
            found[task.key] = Actuals(percent=1.0, actual_start=begun, actual_finish=ended)
    return found


def _remaining(task: PlanTask, known: Actuals, cal: WorkCalendar) -> float:
    first, last = span(cal, ORIGIN, task.start, task.finish, milestone=task.milestone)
    if known.remaining_days is not None:
        return known.remaining_days
    return (last - first) * (1.0 - min(max(known.percent, 0.0), 1.0))


def _bound(kind: LinkType, pred_start: float, pred_finish: float, lag: float) -> float:
    """What `kind` demands of the successor's start (FS, SS) or finish (FF, SF)."""
    return (pred_finish if kind in (LinkType.FS, LinkType.FF) else pred_start) + lag


@given(st.data())
@SETTINGS
def test_every_forecast_respects_every_link_for_any_evidence(data: st.DataObject) -> None:
    """FS/SS/FF/SF with lags hold for every successor that is not done; started tasks'
    remaining work obeys them too, and nothing open is forecast before the data date."""
    cal = data.draw(calendars())
    plan = data.draw(plans(cal=cal))
    as_of = ORIGIN + timedelta(days=data.draw(st.integers(-5, 60)))
    known = data.draw(evidence(plan, cal, as_of))
    fc = forecast(plan, known, cal=cal, as_of=as_of)
    tasks = {t.key: t for t in plan.leaves}
    now = cal.finish_position(ORIGIN, as_of)
    for link in network_links(plan):
        succ, pred = fc.scheduled[link.succ], fc.scheduled[link.pred]
        evidence_of = known.get(link.succ)
        if evidence_of is not None and evidence_of.actual_finish is not None:
            continue  # done: its dates are history
        start = succ.early_start
        if evidence_of is not None:  # started: the link binds the work left
            start = succ.early_finish - _remaining(tasks[link.succ], evidence_of, cal)
        finish = succ.early_finish
        bound = _bound(link.type, pred.early_start, pred.early_finish, link.lag)
        bounded = start if link.type in (LinkType.FS, LinkType.SS) else finish
        assert bounded >= bound - EPS, (link, fc.scheduled)
        assert start >= now - EPS
        if evidence_of is None:
            assert start >= span(cal, ORIGIN, tasks[link.succ].start, tasks[link.succ].finish)[0]


@given(st.data())
@SETTINGS
def test_forecast_dates_keep_finish_links_on_the_calendar(data: st.DataObject) -> None:
    """In dates: a successor not yet done starts no earlier than its FS predecessor's finish
    day plus the lag in working days, and finishes no earlier than its FF one's."""
    cal = data.draw(calendars())
    plan = data.draw(plans(cal=cal, whole_lags=True))
    as_of = ORIGIN + timedelta(days=data.draw(st.integers(0, 60)))
    known = data.draw(evidence(plan, cal, as_of))
    fc = forecast(plan, known, cal=cal, as_of=as_of)
    for link in network_links(plan):
        if link.succ in known or link.type not in (LinkType.FS, LinkType.FF):
            continue
        pred, succ = fc.tasks[link.pred], fc.tasks[link.succ]
        later = succ.start if link.type is LinkType.FS else succ.finish
        gap = cal.offset(pred.finish, later)
        assert gap >= link.lag, (link, pred, succ)


@st.composite
def tracker_items(draw: st.DrawFn, plan: Baseline, as_of: date) -> list[WorkItem]:
    """Items on tasks or on none; todo (some with a tool start date), doing, done; epics."""
    days = max((as_of - ORIGIN).days, 1)
    found: list[WorkItem] = []
    for n in range(draw(st.integers(0, 14))):
        task = draw(st.sampled_from([t.key for t in plan.leaves] + [None]))
        status = draw(st.sampled_from(list(StatusCategory)))
        began = ORIGIN + timedelta(days=draw(st.integers(-70, days - 1)))
        ended = began + timedelta(days=draw(st.integers(0, max((as_of - began).days - 1, 0))))
        history = []
        if status is not StatusCategory.TODO:
            history.append(StatusChange(at(began.isoformat()), "To Do", "Doing", _DOING))
        if status is StatusCategory.DONE:
            history.append(StatusChange(at(ended.isoformat()), "Doing", "Done", _DONE))
        planned = draw(st.one_of(st.none(), st.just(at(began.isoformat()))))
        parent = draw(st.sampled_from([None, *(f"I-{i}" for i in range(n))]))
        found.append(
            WorkItem(
                source="acme",
                external_id=f"I-{n}",
                key=f"I-{n}",
                title=f"item {n}",
                category=status,
                labels=(task,) if task else (),
                history=tuple(history),
                start=planned,
                parent=parent,
                story_points=draw(st.one_of(st.none(), st.floats(0, 8))),
                spent_hours=draw(st.one_of(st.none(), st.floats(0, 30))),
                remaining_hours=draw(st.one_of(st.none(), st.floats(0, 30))),
            )
        )
    return found


_DOING, _DONE = StatusCategory.IN_PROGRESS, StatusCategory.DONE


@pytest.mark.parametrize("technique", ["story_points", "status", "time_tracking", "50/50"])
@given(st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reconciled_tasks_and_milestones_respect_their_links(
    technique: str, data: st.DataObject
) -> None:
    """Through reconcile: a task not started starts on or after its FS predecessor's finish
    day (plus lag), a started one finishes on or after it, and milestones follow their work."""
    cal = data.draw(calendars())
    plan = data.draw(plans(cal=cal, whole_lags=True))
    as_of = ORIGIN + timedelta(days=data.draw(st.integers(0, 60)))
    items = data.draw(tracker_items(plan, as_of))
    config = MappingConfig.model_validate(
        {"links": [{"by": "label"}], "progress": {"default": technique}}
    )
    rec = reconcile(plan, items, as_of=as_of, config=config)
    cal = calendar_for(plan, config)
    rows = {t.key: t for t in rec.tasks}
    for task in plan.leaves:
        row = rows[task.key]
        for dep in task.dependencies:
            if row.status == "done" or dep.type is not LinkType.FS:
                continue
            pred = rows[dep.predecessor]
            later = row.forecast_start if row.status == "todo" else row.forecast_finish
            assert cal.offset(pred.forecast_finish, later) >= dep.lag_days, (task, row, pred)
    by_key = {t.key: t for t in plan.tasks}
    for stone in rec.milestones:
        for dep in by_key[stone.key].dependencies:
            if dep.type is LinkType.FS and dep.lag_days >= 0 and rows[stone.key].status != "done":
                assert stone.forecast_finish >= rows[dep.predecessor].forecast_finish


REPORTED = """
[plan]
name = "Release"
[[tasks]]
key = "A"
name = "Build"
start = 2026-03-02
finish = 2026-03-13
[[tasks]]
key = "B"
name = "Test"
start = 2026-03-16
finish = 2026-03-27
predecessors = "A"
[[tasks]]
key = "M"
name = "Go-live"
start = 2026-03-27
finish = 2026-03-27
milestone = true
predecessors = "B"
"""


def test_the_reported_early_milestone_and_early_bar_are_gone() -> None:
    """The reported case: Build (A) half done, Test (B) carries a todo card whose tool start
    date is 2026-01-05, the Go-live milestone (M) carries a started release ticket. Before,
    B's bar began on 2026-01-05 (two months before A's baseline start) and M was forecast on
    2026-03-09, ahead of both A and B. Now B waits for A and M for B.

    By hand, Mon–Fri from 2026-03-02, status date Fri 2026-03-06 (position 5): A is 10 days,
    started on day 0, 50 % by status → 5 days left from 5: finish 10 = Fri 03-13. B has not
    started (the card is still todo): 10 days from 10 → 20 = Fri 03-27. M (0 days, started)
    resumes after B: 20 = Fri 03-27, no slip.
    """
    plan = parse_toml(REPORTED, source="release.toml")
    items = [
        item("J-1", task="A", status=_DOING, started="2026-03-02"),
        WorkItem(
            source="acme-trello",
            external_id="c1",
            key="c1",
            title="Test card",
            labels=("B",),
            start=at("2026-01-05"),
        ),
        item("J-3", task="M", status=_DOING, started="2026-03-03"),
    ]
    config = MappingConfig.model_validate(
        {"links": [{"by": "label"}], "progress": {"default": "status"}}
    )
    rec = reconcile(plan, items, as_of=date(2026, 3, 6), config=config)
    rows = {t.key: t for t in rec.tasks}
    assert (rows["A"].forecast_start, rows["A"].forecast_finish) == (
        date(2026, 3, 2),
        date(2026, 3, 13),
    )
    assert rows["B"].status == "todo"
    assert (rows["B"].forecast_start, rows["B"].forecast_finish) == (
        date(2026, 3, 16),
        date(2026, 3, 27),
    )
    (stone,) = rec.milestones
    assert stone.forecast_finish == date(2026, 3, 27)
    assert stone.slip_days == 0.0
    assert stone.driving_path == ("A", "B")
