"""What a scheduler reports: baseline floats, critical flags, forecast drivers, both critical
paths and the earned-schedule slip, on the worked example (§3.7) and the golden file (§3.8)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.mapping import MappingConfig
from syncd.plan import Baseline, LinkType, WorkCalendar, load_plan
from syncd.plan.cpm import Activity, Link, schedule
from syncd.plan.forecast import Driver, forecast, network_links
from syncd.plan.reconcile import reconcile
from syncd.plan.result import Reconciliation
from syncd.plan.rollup import schedule_forecast

from .conftest import BY_LABEL, PLANS, worked_items
from .test_forecast_links import EPS, ORIGIN, SETTINGS, calendars, evidence, plans

DAY_8 = date(2026, 3, 11)


def test_worked_example_baseline_floats_and_critical_flags(worked: Baseline) -> None:
    """As planned: C has 3 days of total and free float, A, B, D and M none (§3.7 table)."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    floats = {
        t.key: (t.baseline_total_float, t.baseline_free_float, t.baseline_critical) for t in r.tasks
    }
    assert floats == {
        "A": (0.0, 0.0, True),
        "B": (0.0, 0.0, True),
        "C": (3.0, 3.0, False),
        "D": (0.0, 0.0, True),
        "M": (0.0, 0.0, True),
    }
    assert r.baseline_critical_path == ("A", "B", "D", "M")
    assert r.critical_path == ("B", "D", "M")  # current: A and C are done


def test_worked_example_drivers_of_each_forecast(worked: Baseline) -> None:
    """A and C are done (actuals), B runs its remaining work from the status date, D waits
    for B and M for D (finish-to-start)."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    drivers = {t.key: t.driver for t in r.tasks}
    assert drivers == {
        "A": Driver("actual"),
        "B": Driver("in_progress"),
        "C": Driver("actual"),
        "D": Driver("link", "B", LinkType.FS, 0.0),
        "M": Driver("link", "D", LinkType.FS, 0.0),
    }
    d = r.task("D")
    assert (d.total_float, d.free_float, d.critical) == (0.0, 0.0, True)


def test_not_started_task_is_driven_by_its_baseline_start_or_the_status_date(
    worked: Baseline,
) -> None:
    """Before anything starts, A starts as baselined; after its baseline start has passed
    with no progress, the status date sets it."""
    early = reconcile(worked, [], as_of=date(2026, 2, 27), config=BY_LABEL)
    late = reconcile(worked, [], as_of=date(2026, 3, 4), config=BY_LABEL)
    assert early.task("A").driver == Driver("baseline_start")
    assert late.task("A").driver == Driver("status_date")
    assert late.task("B").driver == Driver("link", "A", LinkType.FS, 0.0)


def test_earned_schedule_slip_is_ieac_minus_planned_duration(worked: Baseline) -> None:
    """IEAC(t) 14.4578 against PD 12: the engine's slip is +2.4578 working days, not the
    3 calendar weekdays between the baseline finish and the forecast date."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    assert r.forecast.es_slip_days == pytest.approx(1200 / 83 - 12)


def test_earned_schedule_slip_counts_the_clients_holidays(worked: Baseline) -> None:
    """A client holiday inside the plan is a day off: it is not counted as slip."""
    holiday = MappingConfig.model_validate(
        {
            "links": [{"by": "label"}],
            "progress": {"default": "subitems"},
            "calendar": {"holidays": ["2026-03-18"]},
        }
    )
    plain = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    off = reconcile(worked, worked_items(), as_of=DAY_8, config=holiday)
    assert plain.forecast.es_slip_days == pytest.approx(off.forecast.es_slip_days)
    assert off.forecast.es_finish == date(2026, 3, 23)  # one day later: the 18th is off


def test_new_figures_round_trip_through_json(worked: Baseline) -> None:
    """Floats, drivers, both critical paths and the ES slip survive to_dict/from_dict."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["baseline_critical_path"] == ["A", "B", "D", "M"]
    task_d = next(t for t in data["tasks"] if t["key"] == "D")
    assert task_d["driver"] == {"kind": "link", "predecessor": "B", "type": "FS", "lag_days": 0.0}
    assert task_d["baseline_free_float"] == 0.0 and task_d["free_float"] == 0.0
    assert Reconciliation.from_dict(data) == r


def test_older_snapshot_without_the_new_figures_still_loads(worked: Baseline) -> None:
    """A snapshot stored before floats and drivers existed loads with them empty."""
    data = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL).to_dict()
    del data["baseline_critical_path"]
    del data["forecast"]["es_slip_days"]
    for task in data["tasks"]:
        for name in ("free_float", "baseline_total_float", "baseline_free_float", "driver"):
            del task[name]
    old = Reconciliation.from_dict(data)
    assert old.baseline_critical_path == () and old.task("D").driver is None


def test_golden_file_baseline_floats() -> None:
    """§3.8 as baselined: S2 and S3 have 3 days of total float, S3 all of it free (S2 none:
    S3 starts as S2 ends); S1, S4, S5 and Complete are critical."""
    golden = load_plan(PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml")
    f = forecast(golden, {}, cal=WorkCalendar())
    floats = {k: (t.total_float, t.free_float) for k, t in f.tasks.items() if k in "234567"}
    assert floats == {
        "2": (0.0, 0.0),
        "3": (3.0, 0.0),
        "4": (3.0, 3.0),
        "7": (0.0, 0.0),
        "6": (0.0, 0.0),
        "5": (0.0, 0.0),
    }
    assert f.critical_path[-4:] == ("2", "7", "6", "5")


@pytest.mark.parametrize(
    ("kind", "lag", "expected"),
    [(LinkType.FS, 0.0, 2.0), (LinkType.FS, 1.0, 1.0), (LinkType.SS, 0.0, 5.0)],
)
def test_free_float_is_the_slack_on_the_tightest_link(
    kind: LinkType, lag: float, expected: float
) -> None:
    """P (0..4) → S (3 days, not before day 6, so the end is day 9): FS slack 2, FS+1 slack 1;
    SS leaves S 6 days but P may slip only 5 before it ends the project itself."""
    acts = [Activity("P", 4.0), Activity("S", 3.0, not_before=6.0)]
    s = schedule(acts, [Link("P", "S", kind, lag)])
    assert s["P"].free_float == expected
    assert s["S"].free_float == 0.0  # the last activity: nothing after it


@given(st.data())
@SETTINGS
def test_floats_and_drivers_agree_with_the_network_for_any_evidence(data: st.DataObject) -> None:
    """For any network and evidence: 0 ≤ free float ≤ total float (when not negative) on open
    tasks; a link driver
    names a real predecessor whose link holds the task exactly; done tasks report actuals."""
    cal = data.draw(calendars())
    plan = data.draw(plans(cal=cal))
    as_of = ORIGIN + timedelta(days=data.draw(st.integers(-5, 60)))
    known = data.draw(evidence(plan, cal, as_of))
    fc = forecast(plan, known, cal=cal, as_of=as_of)
    links = {(lk.pred, lk.succ, lk.type, lk.lag) for lk in network_links(plan)}
    for key, task in fc.tasks.items():
        done = known.get(key) is not None and known[key].actual_finish is not None
        if done:
            assert task.driver == Driver("actual") and task.total_float is None
            continue
        assert task.total_float is not None and task.free_float is not None
        assert -EPS <= task.free_float <= max(task.total_float, 0.0) + EPS
        d = task.driver
        if d.predecessor is not None:
            assert (d.predecessor, key, d.type, d.lag_days) in links
            assert d.kind == ("in_progress" if key in known else "link")
        else:
            expected = {"in_progress"} if key in known else {"baseline_start", "status_date"}
            assert d.kind in expected


def test_an_earned_schedule_pace_near_zero_forecasts_no_date(worked: Baseline) -> None:
    """EV a hair above zero makes IEAC(t) astronomical: no finish date (not a crash), and
    the slip says how far off it is."""
    r = reconcile(worked, [], as_of=DAY_8, config=BY_LABEL)
    es = replace(r.earned_schedule, ieac_t=1e12)
    plan_fc = forecast(worked, {}, cal=WorkCalendar())
    fc = schedule_forecast(worked, plan_fc, es, WorkCalendar())
    assert fc.es_finish is None and fc.es_slip_days == pytest.approx(1e12 - 12)
