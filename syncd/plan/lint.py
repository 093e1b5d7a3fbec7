"""Mistakes a plan can carry that import lets through but that make figures wrong.

Import refuses what cannot be computed at all (`baseline.plan_problems`: loops, dangling
predecessors, reversed dates, duplicate keys). What is here computes, silently wrong: a
milestone that carries work (its budget is earned all at once, on one day), a deadline before
the baseline finish (the task is late by plan), a date whose year is a slip of the keyboard.
`syncd check` reports these beside the import problems; `syncd plan import` still accepts them,
as real MS Project and P6 files can hold them on purpose.
"""

from __future__ import annotations

from syncd.plan.baseline import Baseline, PlanTask, task_name

EARLIEST_YEAR, LATEST_YEAR = 1990, 2100  # outside: a typed year (2206, 0226), not a plan


def lint(baseline: Baseline) -> list[str]:
    """Every suspicious task of `baseline`, each as ``source: task … (WBS name): message``."""
    where = baseline.source or baseline.name
    return [
        f"{where}: {task_name(task)}: {problem}"
        for task in baseline.tasks
        for problem in task_lint(task, baseline.unit)
    ]


def task_lint(task: PlanTask, unit: str) -> list[str]:
    """What is suspicious about one task."""
    problems = []
    if task.milestone and not task.summary and task.budget > 0:
        amount = f"{task.budget:g} h" if unit == "hours" else f"a budget of {task.budget:g}"
        problems.append(
            f"milestone with work ({amount}): a milestone marks a moment and is earned all at"
            " once; give the work to a task before it, or set milestone = false"
        )
    if task.deadline is not None and task.deadline < task.finish:
        problems.append(
            f"deadline {task.deadline} is before its baseline finish {task.finish}:"
            " the task is late by plan"
        )
    dates = {"start": task.start, "finish": task.finish, "deadline": task.deadline}
    problems += [
        f"{column} {day}: year {day.year} looks mistyped"
        for column, day in dates.items()
        if day is not None and not EARLIEST_YEAR <= day.year <= LATEST_YEAR and not task.summary
    ]  # a summary's dates roll up from its tasks: the task with the typo is the one named
    return problems
