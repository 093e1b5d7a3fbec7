"""CPM passes: the §3.7 network, single-slip propagation, link types and loops."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.errors import PlanError
from syncd.plan import Baseline, LinkType, WorkCalendar
from syncd.plan.cpm import Activity, Link, critical_path, schedule
from syncd.plan.forecast import forecast

DURATIONS = {"A": 4.0, "B": 6.0, "C": 3.0, "D": 2.0, "M": 0.0}
LINKS = [Link("A", "B"), Link("A", "C"), Link("B", "D"), Link("C", "D"), Link("D", "M")]


def _finish(durations: dict[str, float]) -> float:
    done = schedule([Activity(k, d) for k, d in durations.items()], LINKS)
    return max(s.early_finish for s in done.values())


def test_worked_example_network_dates_floats_and_critical_path() -> None:
    """ES/EF/LS/LF and total float of §3.7: C floats 3 days, A → B → D → M is critical."""
    s = schedule([Activity(k, d) for k, d in DURATIONS.items()], LINKS)
    assert (s["C"].early_start, s["C"].early_finish, s["C"].late_finish) == (4, 7, 10)
    assert s["C"].total_float == 3 and not s["C"].critical
    assert all(s[k].total_float == 0 for k in "ABDM")
    assert (s["M"].early_finish, s["M"].driver, s["D"].driver) == (12, "D", "B")
    assert critical_path(s) == ["A", "B", "D", "M"]


@pytest.mark.parametrize(
    ("task", "slip", "moved"), [("B", 2, 2), ("C", 2, 0), ("C", 4, 1), ("D", 1, 1)]
)
def test_single_slips_propagate_as_in_the_worked_example(
    task: str, slip: float, moved: float
) -> None:
    """B +2 → +2, C +2 → 0 (float 3), C +4 → +1, D +1 → +1."""
    assert _finish({**DURATIONS, task: DURATIONS[task] + slip}) - 12 == moved


def test_worked_plan_baseline_forecast_matches_its_dates(worked: Baseline) -> None:
    """The imported §3.7 plan re-forecast with no progress keeps every baseline date."""
    f = forecast(worked, {}, cal=WorkCalendar())
    assert all(t.slip_days == 0 for t in f.tasks.values())
    assert f.tasks["C"].total_float == 3.0 and f.critical_path == ("A", "B", "D", "M")


@pytest.mark.parametrize(
    ("kind", "lag", "start"),
    [(LinkType.FS, 1, 5), (LinkType.SS, 1, 1), (LinkType.FF, 0, 1), (LinkType.SF, 6, 3)],
)
def test_each_link_type_bounds_the_successor(kind: LinkType, lag: float, start: float) -> None:
    """FS/SS/FF/SF with lag give the successor's early start of §3.6."""
    s = schedule([Activity("p", 4.0), Activity("s", 3.0)], [Link("p", "s", kind, lag)])
    assert s["s"].early_start == start


def test_a_loop_is_reported_with_its_members() -> None:
    """A dependency cycle is a PlanError naming the tasks in it."""
    acts = [Activity(k, 1.0) for k in "xyz"]
    with pytest.raises(PlanError, match="dependency loop: x → y → z"):
        schedule(acts, [Link("x", "y"), Link("y", "z"), Link("z", "x")])


def test_actuals_are_fixed_and_remaining_work_runs_from_the_data_date() -> None:
    """A done task keeps its dates; a started one finishes at data date + remaining."""
    acts = [
        Activity("a", 4.0, actual_start=0.0, actual_finish=6.0),
        Activity("b", 6.0, not_before=8.0, actual_start=6.0, remaining=3.6),
        Activity("c", 2.0, not_before=8.0),
    ]
    s = schedule(acts, [Link("a", "b"), Link("b", "c")])
    assert (s["a"].early_finish, s["b"].early_finish, s["c"].early_finish) == (6.0, 11.6, 13.6)
    assert s["a"].fixed and not s["a"].critical


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Activity], list[Link]]:
    n = draw(st.integers(2, 10))
    acts = [Activity(f"t{i}", float(draw(st.integers(0, 8)))) for i in range(n)]
    links = [
        Link(f"t{i}", f"t{j}", LinkType.FS, float(draw(st.integers(0, 3))))
        for j in range(1, n)
        for i in range(j)
        if draw(st.booleans())
    ]
    return acts, links


@given(networks(), st.data())
def test_a_slip_moves_the_finish_by_what_exceeds_total_float(
    network: tuple[list[Activity], list[Link]], data: st.DataObject
) -> None:
    """Slipping a task with total float f by δ moves the project finish by max(0, δ − f)."""
    acts, links = network
    before = schedule(acts, links)
    victim = data.draw(st.sampled_from(acts))
    slip = float(data.draw(st.integers(0, 12)))
    slipped = [Activity(a.key, a.duration + (slip if a is victim else 0.0)) for a in acts]
    after = schedule(slipped, links)
    end_before = max(s.early_finish for s in before.values())
    end_after = max(s.early_finish for s in after.values())
    assert end_after - end_before == pytest.approx(max(0.0, slip - before[victim.key].total_float))
