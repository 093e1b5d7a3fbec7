"""The issue log, risk register, decisions, actions and lessons, from tracker items.

Which item is which comes from the client's `[registers]` (types, labels, Trello lists); owner,
probability and impact from the custom fields it names. Pure: items in, entries out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from syncd.mapping.config import AcceptanceConfig, Registers
from syncd.model import StatusCategory, WorkItem
from syncd.reports.model import Acceptance, ItemRef, Milestone, Risk

LEVELS = {"very low": 1, "low": 2, "medium": 3, "med": 3, "high": 4, "very high": 5}
OPEN_KINDS = ("risk", "issue")


def level(text: str | None) -> int | None:
    """A 1-5 probability or impact from a field's text (``"4"``, ``"High"``); None otherwise."""
    if not text:
        return None
    word = " ".join(text.strip().casefold().replace("_", " ").replace("-", " ").split())
    if word in LEVELS:
        return LEVELS[word]
    try:
        number = round(float(word))
    except ValueError:
        return None
    return number if 1 <= number <= 5 else None


def entry(item: WorkItem, ref: ItemRef, kind: str, rules: Registers, as_of: date) -> Risk:
    """One register entry: owner, probability, impact, age and whether it is overdue."""
    values = dict(item.fields)
    owner = values.get(rules.owner_field) if rules.owner_field else None
    opened = item.created.astimezone(ZoneInfo("UTC")).date() if item.created else None
    done = item.category is StatusCategory.DONE
    return Risk(
        kind=kind,  # type: ignore[arg-type]
        item=ref,
        overdue=not done and ref.due is not None and ref.due < as_of,
        owner=owner or ref.assignee,
        probability=level(values.get(rules.probability_field or "")),
        impact=level(values.get(rules.impact_field or "")),
        opened=opened,
        age_days=None if opened is None else max(0, (as_of - opened).days),
    )


def register(
    items: Sequence[WorkItem], refs: Sequence[ItemRef], rules: Registers, as_of: date
) -> tuple[Risk, ...]:
    """Every item that belongs to a register, open or done, soonest due first."""
    by_ref = {(r.source, r.key): r for r in refs}
    found = []
    for item in items:
        ref = by_ref.get((item.source, item.key))
        if ref is None:
            continue
        kind = rules.kind(item.type, item.labels, item.container)
        if kind:
            found.append(entry(item, ref, kind, rules, as_of))
    return tuple(sorted(found, key=lambda r: (r.item.due or date.max, r.item.key)))


def open_risks(entries: Sequence[Risk]) -> tuple[Risk, ...]:
    """The open risks and issues: what every report's risk table shows."""
    return tuple(
        e for e in entries if e.kind in OPEN_KINDS and e.item.category != StatusCategory.DONE.value
    )


def heat(entries: Sequence[Risk]) -> list[list[int]]:
    """Open risks counted by impact (rows, 5 first) and probability (columns, 1 first)."""
    grid = [[0] * 5 for _ in range(5)]
    for e in open_risks(entries):
        if e.kind == "risk" and e.probability and e.impact:
            grid[5 - e.impact][e.probability - 1] += 1
    return grid


def acceptance(
    milestones: Sequence[Milestone], refs: Sequence[ItemRef], config: AcceptanceConfig
) -> tuple[Acceptance, ...]:
    """Each milestone that has criteria, a recording item, or an item labelled as accepted."""
    by_key = {r.key: r for r in refs}
    label = config.label.casefold()
    out = []
    for m in milestones:
        rule = config.milestones.get(m.key)
        recorder = by_key.get(rule.item) if rule and rule.item else None
        labelled = next(
            (r for r in refs if r.plan_task == m.key and label in {x.casefold() for x in r.labels}),
            None,
        )
        if rule is None and labelled is None:
            continue
        if recorder is not None and recorder.category == StatusCategory.DONE.value:
            state, evidence = "accepted", recorder.key
        elif labelled is not None:
            state, evidence = "accepted", labelled.key
        else:
            state, evidence = ("awaiting" if m.done else "open"), None
        criteria = tuple(rule.criteria) if rule else ()
        out.append(Acceptance(m.key, m.name, criteria, state, evidence))  # type: ignore[arg-type]
    return tuple(out)
