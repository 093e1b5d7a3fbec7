"""What `syncd check` finds without asking any tool: each client file's own problems, its plan's,
and the places where the file names a task, a connector or a status category that is not there.

Every problem is one line ``file › field: message``: the client file for what is wrong in it,
the plan file for what is wrong in the plan (naming the task by key, WBS code and name).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from syncd.clients import Client, ClientConfig, load_clients, plan_location
from syncd.errors import PlanError
from syncd.mapping.config import MappingConfig
from syncd.plan.baseline import Baseline
from syncd.plan.keys import reference_problems, task_refs
from syncd.plan.lint import lint
from syncd.plan.loader import load_plan


def check_clients(
    directory: Path, env: Mapping[str, str] | None = None
) -> tuple[list[Client], list[str]]:
    """Every valid client in `directory`, and every problem any file (or its plan) has."""
    return load_clients(directory, env, deeper=deep_problems)


def deep_problems(path: Path, config: ClientConfig) -> list[str]:
    """What one readable client file names that does not exist: connectors, tasks; its plan's."""
    plan, plan_lines = _plan(path, config)  # the plan's problems, whatever else is wrong
    try:
        mapping = MappingConfig.model_validate(config.mapping)
    except ValidationError:
        return plan_lines  # the mapping's own are reported, field by field, by its validation
    problems = [f"{path.name} › {p}" for p in connector_problems(config, mapping)]
    problems += plan_lines
    if plan is not None and config.plan is not None:
        where, _ = plan_location(path, config.plan.file)
        shown = _shown(where, path.parent.parent) if where is not None else None
        problems += [f"{path.name} › {p}" for p in task_problems(plan, mapping, shown)]
    return problems


def connector_problems(config: ClientConfig, mapping: MappingConfig) -> list[str]:
    """`[statuses.<id>]` tables and `[[links]] source` naming no connector of the client."""
    ids = [c.id for c in config.connectors]
    known = ", ".join(ids)
    problems = [
        f"statuses.{name}: a table of statuses for connector {name!r}, but the client has no"
        f" such connector (connectors: {known}); a status name maps to todo, in_progress or done"
        for name, value in mapping.statuses.items()
        if isinstance(value, dict) and name not in ids
    ]
    problems += [
        f"links[{index}].source: no connector {rule.source!r} (connectors: {known});"
        " the rule would never match"
        for index, rule in enumerate(mapping.links)
        if rule.source is not None and rule.source not in ids
    ]
    return problems


def task_problems(plan: Baseline, mapping: MappingConfig, shown: str | None = None) -> list[str]:
    """Task references (link maps, progress overrides) that name no task or two tasks."""
    refs = task_refs(plan)
    where = shown or plan.source or plan.name
    problems = reference_problems(plan, mapping)
    for ref in mapping.progress.tasks:
        if _unknown(ref, refs.codes, refs.ambiguous):
            problems.append(
                f"progress.tasks.{ref}: no task in {where} has the key or WBS code {ref!r};"
                " the override measures nothing"
            )
    for index, rule in enumerate(mapping.links):
        for value, task in rule.map.items():
            if _unknown(task, refs.codes, refs.ambiguous):
                problems.append(
                    f"links[{index}].map.{value}: no task in {where} has the key or WBS code"
                    f" {task!r}; items it matches would count as unplanned work"
                )
    return problems


def _unknown(ref: str, codes: Mapping[str, str], ambiguous: Mapping[str, str]) -> bool:
    return ref.strip() not in codes and ref.strip() not in ambiguous


def _plan(path: Path, config: ClientConfig) -> tuple[Baseline | None, list[str]]:
    """The client's plan and its problems (import refusals and lint), as plan-file lines."""
    if config.plan is None:
        return None, []
    where, _ = plan_location(path, config.plan.file)
    if where is None or not where.is_file():
        return None, []  # reported by the client file's own checks
    shown = _shown(where, path.parent.parent)
    try:
        plan = load_plan(where, baseline_number=config.plan.baseline, fmt=config.plan.format)
    except PlanError as exc:
        return None, [plan_line(where.name, p, shown) for p in exc.problems]
    return plan, [plan_line(where.name, p, shown) for p in lint(plan)]


def _shown(plan: Path, config_dir: Path) -> str:
    """The plan file as a user finds it: relative to the config directory (`plans/acme.toml`,
    never just `acme.toml`, which may be the client file's name too), else its whole path."""
    try:
        return plan.resolve().relative_to(config_dir.resolve()).as_posix()
    except ValueError:
        return str(plan)


def plan_line(name: str, problem: str, shown: str | None = None) -> str:
    """``plan.csv: row 4 (task A): …`` as ``plans/plan.csv › row 4 (task A): …``."""
    prefix = f"{name}: "
    return f"{shown or name} › {problem.removeprefix(prefix)}"
