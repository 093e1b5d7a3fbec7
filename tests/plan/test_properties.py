"""Hypothesis properties of the reconciliation math over the §3.7 plan and random plans."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.mapping import MappingConfig
from syncd.model import StatusCategory, WorkItem
from syncd.plan import Baseline, load_plan
from syncd.plan.evm import planned_fraction
from syncd.plan.reconcile import reconcile
from syncd.plan.schedule import earned_schedule, pv_curve

from .conftest import DATA, item

PLAN: Baseline = load_plan(DATA / "worked_example.toml")
TECHNIQUES = [
    "0/100",
    "50/50",
    "20/80",
    "subitems",
    "story_points",
    "checklist",
    "time_tracking",
    "status",
]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def work_items(draw: st.DrawFn, *, all_done: bool = False) -> list[WorkItem]:
    found = []
    for n in range(draw(st.integers(0 if not all_done else 1, 12))):
        status = StatusCategory.DONE if all_done else draw(st.sampled_from(list(StatusCategory)))
        total = draw(st.integers(0, 5))
        found.append(
            item(
                f"I-{n}",
                task=draw(st.sampled_from(["A", "B", "C", "D", "M", None])),
                status=status,
                story_points=draw(st.one_of(st.none(), st.floats(0, 13))),
                subitems_total=total,
                subitems_done=draw(st.integers(0, total)),
                checklist_total=total,
                checklist_done=draw(st.integers(0, total)),
                spent_hours=draw(st.one_of(st.none(), st.floats(0, 40))),
                remaining_hours=draw(st.one_of(st.none(), st.floats(0, 40))),
            )
        )
    return found


def _config(technique: str) -> MappingConfig:
    return MappingConfig.model_validate(
        {"links": [{"by": "label"}], "progress": {"default": technique}}
    )


AS_OF = st.dates(date(2026, 2, 20), date(2026, 4, 10))


@FAST
@given(work_items(), st.sampled_from(TECHNIQUES), AS_OF)
def test_earned_value_never_exceeds_budget(
    items: list[WorkItem], technique: str, as_of: date
) -> None:
    """EV ≤ BAC for any items, technique and status date."""
    r = reconcile(PLAN, items, as_of=as_of, config=_config(technique))
    assert r.project.ev <= r.project.bac + 1e-9
    assert all(t.performance.ev <= t.performance.bac + 1e-9 for t in r.tasks)


@FAST
@given(st.sampled_from(TECHNIQUES), AS_OF, st.integers(1, 3))
def test_all_items_done_earns_the_whole_budget(technique: str, as_of: date, per_task: int) -> None:
    """When every task has items and all are done, EV = BAC whatever the technique."""
    items = [
        item(f"{task}-{n}", task=task, status=StatusCategory.DONE, story_points=None if n else 3.0)
        for task in "ABCDM"
        for n in range(per_task)
    ]
    r = reconcile(PLAN, items, as_of=as_of, config=_config(technique))
    assert r.project.ev == pytest.approx(r.project.bac)


@FAST
@given(work_items(), st.sampled_from(TECHNIQUES), AS_OF, st.randoms(use_true_random=False))
def test_reordering_items_changes_nothing(
    items: list[WorkItem], technique: str, as_of: date, rnd: object
) -> None:
    """The same items in another order give the same reconciliation."""
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    one = reconcile(PLAN, items, as_of=as_of, config=_config(technique)).to_dict()
    two = reconcile(PLAN, shuffled, as_of=as_of, config=_config(technique)).to_dict()
    for data in (one, two):
        data["links"] = sorted(data["links"], key=lambda lk: lk["item"])
    assert one == two


@FAST
@given(
    st.lists(st.tuples(st.integers(1, 30), st.floats(1, 500)), min_size=1, max_size=20),
    st.data(),
)
def test_spi_t_and_spi_agree_while_on_schedule(
    tasks: list[tuple[int, float]], data: st.DataObject
) -> None:
    """With every task exactly as planned (EV = PV), SPI = 1 and SPI(t) = 1 at any date."""
    periods = max(d for d, _ in tasks)
    curve = pv_curve([(0, d, b) for d, b in tasks], periods)
    at = data.draw(st.integers(1, periods))
    ev = sum(b * planned_fraction(0, d, at) for d, b in tasks)
    es = earned_schedule(curve, ev, float(at))
    assert es.spi_t == pytest.approx(1.0) and es.es == pytest.approx(at)
    assert ev / curve[at] == pytest.approx(1.0)
