"""reconcile(): the worked example end to end, roll-ups, unplanned work, RAG and JSON."""

from __future__ import annotations

import json
from datetime import date

from syncd.plan import Baseline
from syncd.plan.reconcile import reconcile
from syncd.plan.result import Reconciliation

from .conftest import BY_LABEL, DONE, item, worked_items

DAY_8 = date(2026, 3, 11)


def test_worked_example_reproduces_earned_value_to_four_decimals(worked: Baseline) -> None:
    """PV 130, EV 106, AC 120, SPI .8154, CPI .8833, EACs and TCPI as in §3.7."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    p = r.project
    assert (p.bac, p.pv, p.ev, p.ac) == (180.0, 130.0, 106.0, 120.0)
    assert round(p.spi or 0, 4) == 0.8154 and round(p.cpi or 0, 4) == 0.8833
    assert round(p.eac or 0, 4) == 203.7736 and round(p.etc or 0, 4) == 83.7736
    assert round(p.vac or 0, 4) == -23.7736 and p.eac_atypical == 194.0
    assert round(p.eac_cpi_spi or 0, 4) == 222.7412
    assert round(p.tcpi_bac or 0, 4) == 1.2333


def test_worked_example_reproduces_earned_schedule(worked: Baseline) -> None:
    """ES 6.64, SV(t) −1.36, SPI(t) .83, IEAC(t) 14.4578 (Fri 2026-03-20), TSPI(t) 1.34."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    es = r.earned_schedule
    assert (es.at, es.pd) == (8.0, 12.0)
    assert round(es.es, 4) == 6.64 and round(es.sv_t, 4) == -1.36
    assert round(es.spi_t or 0, 4) == 0.83
    assert round(es.ieac_t or 0, 4) == 14.4578
    assert round(es.tspi_t or 0, 4) == 1.34
    assert r.forecast.es_finish == date(2026, 3, 20)


def test_worked_example_cpm_reforecast_puts_release_at_risk(worked: Baseline) -> None:
    """B's 3.6 remaining days from day 8 push D to 13.6 and M +1.6 days, driven by B → D."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    assert round(r.forecast.cpm_slip_days, 4) == 1.6
    assert r.forecast.cpm_finish == date(2026, 3, 19)
    (m,) = r.milestones
    assert m.key == "M" and m.at_risk and round(m.slip_days, 4) == 1.6
    assert m.driving_path == ("B", "D")
    assert m.rag.level == "amber"
    assert "Milestone Release forecast +1.6 working days, driven by Build → Deploy" in m.rag.reasons
    assert r.critical_path == ("B", "D", "M")
    assert r.task("C").total_float is None  # done: actual dates, no float


def test_reconciliation_round_trips_through_json(worked: Baseline) -> None:
    """to_dict → JSON → from_dict gives back an equal Reconciliation naming its baseline."""
    r = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    again = Reconciliation.from_dict(json.loads(json.dumps(r.to_dict())))
    assert again == r
    assert (again.baseline.version, again.baseline.label) == ("1", "§3.7")
    assert again.baseline.digest == worked.digest()


def test_unplanned_items_are_scope_growth_not_budget(worked: Baseline) -> None:
    """Items linked to no task are counted and pointed, and BAC stays 180."""
    extra = [item("X-1", story_points=3.0, spent_hours=4.0), item("X-2", story_points=2.0)]
    r = reconcile(worked, worked_items() + extra, as_of=DAY_8, config=BY_LABEL)
    assert r.project.bac == 180.0
    assert (r.unplanned.items, r.unplanned.points, r.unplanned.keys) == (2, 5.0, ("X-1", "X-2"))
    assert r.unplanned.growth_items == 2 / 7
    assert round(r.unplanned.cpi_with_unplanned or 0, 4) == round(106 / 124, 4)
    assert {lk.key: lk.task for lk in r.links}["X-1"] is None
    assert r.rag.level == "red"
    assert any("scope growth" in reason for reason in r.rag.reasons)


def test_all_done_on_time_is_green_and_fully_earned(worked: Baseline) -> None:
    """Every task done by its planned finish: EV = BAC, ES = PD and no red or amber reasons."""
    done = [
        item("A-1", task="A", status=DONE, started="2026-03-02", finished="2026-03-05"),
        item("B-1", task="B", status=DONE, started="2026-03-06", finished="2026-03-13"),
        item("C-1", task="C", status=DONE, started="2026-03-06", finished="2026-03-10"),
        item("D-1", task="D", status=DONE, started="2026-03-16", finished="2026-03-17"),
        item("M-1", task="M", status=DONE, finished="2026-03-17"),
    ]
    r = reconcile(worked, done, as_of=date(2026, 3, 17), config=BY_LABEL)
    assert r.project.ev == r.project.bac == 180.0
    assert r.earned_schedule.es == 12.0 and r.earned_schedule.spi_t == 1.0
    assert r.rag.level == "green" and r.rag.reasons == ()
    assert r.forecast.cpm_slip_days == 0


def test_summary_tasks_roll_up_their_leaves() -> None:
    """A WBS summary's PV/EV/BAC are the sums of its leaves and never count twice."""
    from syncd.plan import load_plan

    from .conftest import DATA

    demo = load_plan(DATA.parents[2] / "syncd" / "plan" / "demo_plan.toml")
    items = [
        item(
            "ACME-1",
            title="1.1 Discovery",
            status=DONE,
            started="2026-10-01",
            finished="2026-10-14",
        )
    ]
    config = BY_LABEL.model_validate({"links": [{"by": "wbs_in_title"}]})
    r = reconcile(demo, items, as_of=date(2026, 10, 14), config=config)
    summary = r.task("1")
    assert summary.summary and summary.performance.bac == 120 + 200 + 240
    assert summary.performance.ev == r.task("1.1").performance.ev == 120.0
    assert r.project.bac == 1440.0
