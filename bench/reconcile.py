"""Reconcile 100,000 synthetic tracker items against a synthetic 2,000-task plan; print the time.

    .venv/bin/python bench/reconcile.py [--items 100000] [--tasks 2000] [--repeat 3]

Target: under 2 s on one core. The data is generated here, seeded, so runs compare.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta

from syncd.mapping import MappingConfig
from syncd.model import StatusCategory, StatusChange, WorkItem
from syncd.plan import Baseline, Dependency, PlanTask, build_baseline
from syncd.plan.reconcile import reconcile

START = date(2026, 1, 5)
CATEGORIES = list(StatusCategory)


def synthetic_plan(tasks: int, rnd: random.Random) -> Baseline:
    """Phases of ten: a summary and nine leaves chained FS, each phase after the previous one."""
    found: list[PlanTask] = []
    day = START
    for phase in range(tasks // 10):
        summary = f"{phase + 1}"
        leaves = []
        for n in range(9):
            length = rnd.randint(1, 10)
            deps = (Dependency(leaves[-1].key),) if leaves else ()
            if not leaves and found:
                deps = (Dependency(found[-1].key),)
            leaves.append(
                PlanTask(
                    key=f"{summary}.{n + 1}",
                    wbs=f"{summary}.{n + 1}",
                    name=f"Task {summary}.{n + 1}",
                    start=day,
                    finish=day + timedelta(days=length),
                    parent=summary,
                    budget=float(rnd.randint(8, 200)),
                    milestone=n == 8,
                    dependencies=deps,
                )
            )
            day += timedelta(days=length if n < 8 else 0)
        first, last = leaves[0].start, max(t.finish for t in leaves)
        found += [
            PlanTask(key=summary, wbs=summary, name=f"Phase {summary}", start=first, finish=last)
        ]
        found += leaves
    return build_baseline("bench", found, version="1", label="bench")


def synthetic_items(count: int, plan: Baseline, rnd: random.Random) -> list[WorkItem]:
    leaves = [t.key for t in plan.leaves]
    items = []
    for n in range(count):
        task = rnd.choice(leaves) if rnd.random() > 0.03 else None
        category = rnd.choice(CATEGORIES)
        at = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=rnd.randint(0, 400))
        history = (StatusChange(at, "To Do", "In Progress", StatusCategory.IN_PROGRESS),)
        if category is StatusCategory.DONE:
            history += (StatusChange(at + timedelta(days=3), "In Progress", "Done", category),)
        items.append(
            WorkItem(
                source="bench-jira",
                external_id=str(n),
                key=f"B-{n}",
                title=f"{task} work item {n}" if task and n % 2 else f"item {n}",
                category=category,
                labels=(task,) if task and not n % 2 else (),
                story_points=float(rnd.choice((1, 2, 3, 5, 8))),
                spent_hours=rnd.random() * 10,
                remaining_hours=rnd.random() * 10,
                history=history if category is not StatusCategory.TODO else (),
            )
        )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rnd = random.Random(5)
    plan = synthetic_plan(args.tasks, rnd)
    items = synthetic_items(args.items, plan, rnd)
    config = MappingConfig.model_validate(
        {
            "links": [{"by": "label"}, {"by": "wbs_in_title"}],
            "progress": {"default": "story_points"},
        }
    )
    as_of = plan.start + (plan.finish - plan.start) / 2
    best = float("inf")
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = reconcile(plan, items, as_of=as_of, config=config)
        best = min(best, time.perf_counter() - began)
    print(
        f"reconcile: {len(items):,} items x {len(plan.tasks):,} tasks in {best:.3f} s "
        f"(best of {args.repeat}); unplanned {result.unplanned.items:,}, "
        f"SPI {result.project.spi:.3f}, CPM finish {result.forecast.cpm_finish}"
    )


if __name__ == "__main__":
    main()
