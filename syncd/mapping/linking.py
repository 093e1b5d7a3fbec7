"""Which plan task an item belongs to: ordered rules, first match wins, conflicts reported.

Rules read one thing each: the parent or epic (walking up the parent chain), a label, a
component, a custom field, a Trello label or list, a WBS code at the start of the title, or an
explicit table. A rule's value goes through its `pattern` (group ``task`` or group 1), then its
`map`, then is looked up among the plan's task keys and WBS codes. `epic`/`parent` without a map
inherit the link of the parent item. An item no rule places is unplanned work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from syncd.mapping.config import WBS_IN_TITLE, LinkRule
from syncd.model import WorkItem

Ident = tuple[str, str]


@dataclass(frozen=True, slots=True)
class LinkResult:
    """Where one item landed: the task key (None: unplanned), by which rule, what else matched."""

    item: Ident
    key: str
    task: str | None
    rule: int | None = None
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Rule:
    index: int
    spec: LinkRule
    regex: re.Pattern[str] | None
    table: dict[str, str]


def _compile(index: int, spec: LinkRule) -> _Rule:
    pattern = spec.pattern or (WBS_IN_TITLE if spec.by == "wbs_in_title" else None)
    regex = re.compile(pattern) if pattern else None
    return _Rule(index, spec, regex, {k.strip().lower(): v for k, v in spec.map.items()})


class Linker:
    """Links a batch of items; parents are found within the batch (by source and key)."""

    def __init__(
        self,
        rules: Sequence[LinkRule],
        tasks: Mapping[str, str],
        *,
        wbs: Mapping[str, str] | None = None,
        ambiguous: Mapping[str, str] | None = None,
    ) -> None:
        self.rules = [_compile(i, r) for i, r in enumerate(rules)]
        self.tasks = tasks
        self.wbs = tasks if wbs is None else wbs  # what a WBS code in a title may name
        self.ambiguous = ambiguous or {}  # task references that name two tasks: never used
        self.warnings: list[str] = []
        self.by_key: dict[tuple[str, str], WorkItem] = {}
        self.memo: dict[Ident, LinkResult] = {}
        self.active: set[Ident] = set()

    def link_all(self, items: Iterable[WorkItem]) -> dict[Ident, LinkResult]:
        batch = list(items)
        self.by_key = {(i.source, i.key): i for i in batch}
        return {item.ident: self.link(item) for item in batch}

    def link(self, item: WorkItem) -> LinkResult:
        """The first matching rule's task, with any different tasks later rules point to."""
        if item.ident in self.memo:
            return self.memo[item.ident]
        self.active.add(item.ident)
        hits: list[tuple[int, str]] = []
        for rule in self.rules:
            if rule.spec.source is None or rule.spec.source == item.source:
                task = self._apply(rule, item)
                if task is not None:
                    hits.append((rule.index, task))
        self.active.discard(item.ident)
        first = hits[0] if hits else (None, None)
        others = tuple(dict.fromkeys(t for _, t in hits if t != first[1]))
        result = LinkResult(item.ident, item.key, first[1], first[0], others)
        self.memo[item.ident] = result
        return result

    def _apply(self, rule: _Rule, item: WorkItem) -> str | None:
        by = rule.spec.by
        if by in ("epic", "parent"):
            return self._by_parent(rule, item, walk=by == "epic")
        if by == "table":
            return self._resolve(rule, item, [item.key, f"{item.source}:{item.external_id}"])
        if by == "wbs_in_title":
            return self._wbs(rule, item)
        return self._resolve(rule, item, _values(rule.spec, item))

    def _by_parent(self, rule: _Rule, item: WorkItem, *, walk: bool) -> str | None:
        parent = self.by_key.get((item.source, item.parent)) if item.parent else None
        if rule.table:
            chain = [item.parent] if item.parent else []
            while walk and parent is not None and parent.parent and len(chain) < 10:
                chain.append(parent.parent)
                parent = self.by_key.get((parent.source, parent.parent))
            return self._resolve(rule, item, chain)
        if parent is None or parent.ident in self.active:
            return None
        return self.link(parent).task

    def _resolve(self, rule: _Rule, item: WorkItem, values: Iterable[str]) -> str | None:
        for value in values:
            code = _extract(rule.regex, value)
            if code is None:
                continue
            if rule.table:
                code = rule.table.get(code.strip().lower())
                if code is None:
                    continue
            task = self._task(code.strip(), item)
            if task is not None:
                return task
        return None

    def _task(self, code: str, item: WorkItem) -> str | None:
        if code in self.ambiguous:
            self.warnings.append(
                f"{item.source} {item.key} is not linked: {self.ambiguous[code]}"
                " (in the rule's map)"
            )
            return None
        return self.tasks.get(code)

    def _wbs(self, rule: _Rule, item: WorkItem) -> str | None:
        """A WBS code at the start of the title names a task by its WBS code, never its key."""
        code = _extract(rule.regex, item.title)
        while code:
            mapped = rule.table.get(code.lower())
            task = self.wbs.get(code) if mapped is None else self._task(mapped, item)
            if task is not None:
                return task
            code = code.rsplit(".", 1)[0] if "." in code else ""
        return None


def _values(spec: LinkRule, item: WorkItem) -> Sequence[str]:
    if spec.by in ("label", "trello_label"):
        return item.labels
    if spec.by == "component":
        return item.components
    if spec.by in ("list", "trello_list"):
        return [item.container] if item.container else []
    fields = dict(item.fields)
    value = fields.get(spec.field or "")
    return [value] if value else []


def _extract(regex: re.Pattern[str] | None, value: str) -> str | None:
    if regex is None:
        return value
    match = regex.search(value)
    if match is None:
        return None
    if "task" in regex.groupindex:
        return match.group("task")
    return match.group(1) if regex.groups else match.group(0)


VALUE_RULES = ("label", "trello_label", "list", "trello_list", "component", "field")


def unused_keys(rule: LinkRule, items: Iterable[WorkItem]) -> list[str]:
    """The keys of a rule's `map` that no item carries (a label, list, component or field
    value rule; other rules give none): a mistyped label links nothing, silently."""
    if rule.by not in VALUE_RULES or not rule.map:
        return []
    compiled = _compile(0, rule)
    seen: set[str] = set()
    for item in items:
        if rule.source is None or rule.source == item.source:
            values = (_extract(compiled.regex, v) for v in _values(rule, item))
            seen.update(v.strip().lower() for v in values if v is not None)
    return [key for key in rule.map if key.strip().lower() not in seen]


def link_items(
    items: Iterable[WorkItem], rules: Sequence[LinkRule], tasks: Mapping[str, str]
) -> dict[Ident, LinkResult]:
    """Link every item; `tasks` maps each task reference (key, WBS code) to its task key."""
    return Linker(rules, tasks).link_all(items)
