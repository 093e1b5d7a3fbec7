"""How a client file names a plan task: by its key (MS Project UID, P6 task code) or WBS code.

A reference is looked up among task keys and WBS codes together. When one reference is the key
of one task and the WBS code of another (MS Project: UID 3 and WBS "3" are often different
tasks), or the WBS code of two tasks, it is **ambiguous** and refused, naming both tasks; the
client writes ``key:3`` or ``wbs:3`` to say which it means. A reference that is the key and the
WBS code of the same task is fine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncd.errors import ConfigError
from syncd.mapping.config import MappingConfig, Technique
from syncd.plan.baseline import Baseline, PlanTask

KEY_PREFIX = "key:"
WBS_PREFIX = "wbs:"


@dataclass(frozen=True, slots=True)
class TaskRefs:
    """Every way to name a task, the references that name two tasks, and the WBS codes alone."""

    codes: dict[str, str]  # reference (key, WBS code, key:…, wbs:…) → task key
    ambiguous: dict[str, str]  # reference → why: the tasks it names
    wbs: dict[str, str]  # WBS code (a key where the task has none) → task key

    def resolve(self, ref: str, *, where: str) -> str | None:
        """The task key `ref` names (None: no task); ConfigError ``where: …`` if ambiguous."""
        ref = ref.strip()
        if ref in self.ambiguous:
            raise ConfigError(f"{where}: {self.ambiguous[ref]}")
        return self.codes.get(ref)


def task_refs(baseline: Baseline) -> TaskRefs:
    """Index the baseline's keys and WBS codes; find the ambiguous ones."""
    tasks = baseline.tasks
    codes = {KEY_PREFIX + t.key: t.key for t in tasks}
    wbs: dict[str, list[PlanTask]] = {}
    for task in tasks:
        if task.wbs:
            wbs.setdefault(task.wbs, []).append(task)
    codes |= {WBS_PREFIX + c: named[0].key for c, named in wbs.items() if len(named) == 1}
    by_key = {t.key: t for t in tasks}
    ambiguous: dict[str, str] = {}
    for ref in sorted(set(wbs) | set(by_key)):
        named = _distinct([by_key[ref]] if ref in by_key else [], wbs.get(ref, []))
        if len(named) == 1:
            codes.setdefault(ref, named[0].key)
        else:
            ambiguous[ref] = _why(ref, by_key.get(ref), wbs.get(ref, []))
    single = {c: named[0].key for c, named in wbs.items() if len(named) == 1}
    alone = {t.key: t.key for t in tasks if not t.wbs and t.key not in single}
    return TaskRefs(codes=codes, ambiguous=ambiguous, wbs=single | alone)


def _distinct(*groups: Sequence[PlanTask]) -> list[PlanTask]:
    found: dict[str, PlanTask] = {}
    for group in groups:
        for task in group:
            found.setdefault(task.key, task)
    return list(found.values())


def _why(ref: str, keyed: PlanTask | None, coded: Sequence[PlanTask]) -> str:
    named = [f"the key (UID) of {_name(keyed)}"] if keyed is not None else []
    named += [f"the WBS code of {_name(t)}" for t in coded if t is not keyed]
    return (
        f"{ref!r} names two tasks: it is {' and '.join(named)}; "
        f"write {KEY_PREFIX}{ref} or {WBS_PREFIX}{ref} to say which"
    )


def _name(task: PlanTask) -> str:
    wbs = f", WBS {task.wbs}" if task.wbs else ""
    return f"task {task.name!r} (key {task.key}{wbs})"


def reference_problems(baseline: Baseline, config: MappingConfig) -> list[str]:
    """Each task reference of a client's mapping that names two tasks, as ``field: message``.

    Link `map` values and `[progress.tasks]` keys are checked; an ambiguous one is an error
    even if no item uses it today.
    """
    refs = task_refs(baseline)
    found = [(f"progress.tasks.{ref}", ref) for ref in config.progress.tasks]
    for index, rule in enumerate(config.links):
        found += [(f"links[{index}].map.{value}", task) for value, task in rule.map.items()]
    return [
        f"{where}: {refs.ambiguous[ref.strip()]}"
        for where, ref in found
        if ref.strip() in refs.ambiguous
    ]


def check_references(baseline: Baseline, config: MappingConfig) -> TaskRefs:
    """The baseline's references; ConfigError listing every ambiguous one the mapping uses."""
    problems = reference_problems(baseline, config)
    if problems:
        raise ConfigError(problems)
    return task_refs(baseline)


def techniques(refs: TaskRefs, overrides: Mapping[str, Technique]) -> dict[str, Technique]:
    """Per-task technique overrides by task key; one naming the key itself beats one naming
    the WBS code. References naming no task are skipped."""
    found: dict[str, Technique] = {}
    for ref, technique in overrides.items():
        key = refs.resolve(ref, where=f"progress.tasks.{ref}")
        if key is not None and (ref.strip() == key or key not in found):
            found[key] = technique
    return found
