"""Items as they stood at a past moment, rebuilt from their status history.

A reconciliation for a past status date must not measure today's states: an item created later
did not exist yet, an item done later was still in progress (or not started), and a resolution
date after the moment had not happened. The status history says what each item's status was;
what the trackers do not date (logged time, checklist and sub-item counts) is today's value,
and `ItemsAsOf.notes` says so, for the figure it affects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from syncd.model import StatusCategory, StatusChange, WorkItem

_STARTED = (StatusCategory.IN_PROGRESS, StatusCategory.DONE)


@dataclass(frozen=True, slots=True)
class ItemsAsOf:
    """The items that existed at the moment, in their state then, and what could not be dated."""

    items: list[WorkItem]
    notes: list[str]


def items_as_of(items: Iterable[WorkItem], moment: datetime) -> ItemsAsOf:
    """Every item as it stood at `moment` (aware); an item created after it is left out.

    An item with nothing recorded after `moment` is returned unchanged, so a moment at or after
    the last pull gives back exactly today's items.
    """
    kept: list[WorkItem] = []
    later_hours = later_counts = 0
    for item in items:
        if item.created is not None and item.created > moment:
            continue
        then = item_as_of(item, moment)
        kept.append(then)
        if then is item:
            continue
        later_hours += bool(item.spent_hours)
        counted = bool(then.checklist_done or then.subitems_done)
        later_counts += counted and then.category is StatusCategory.IN_PROGRESS
    return ItemsAsOf(kept, _notes(later_hours, later_counts))


def item_as_of(item: WorkItem, moment: datetime) -> WorkItem:
    """One item at `moment`: its status from the history up to then, no later dates."""
    before = tuple(c for c in item.history if c.at <= moment)
    changed_later = len(before) < len(item.history)
    resolved_later = item.resolved is not None and item.resolved > moment
    if not changed_later and not resolved_later:
        return item
    if changed_later:
        status, category = _status_at(item, before)
    else:  # resolved after the moment with no history saying when: not done yet then
        status, category = item.status, _undone(item, moment)
    return replace(
        item,
        status=status,
        category=category,
        history=before,
        resolved=None if resolved_later else item.resolved,
        start=None if item.start is not None and item.start > moment else item.start,
        checklist_done=0 if category is StatusCategory.TODO else item.checklist_done,
        subitems_done=0 if category is StatusCategory.TODO else item.subitems_done,
    )


def _status_at(item: WorkItem, before: tuple[StatusChange, ...]) -> tuple[str, StatusCategory]:
    """(status, category) after the last change up to the moment, or before the first change."""
    if before:
        last = before[-1]
        return last.to_status, last.to_category or _category_of(item, last.to_status)
    first = item.history[0]
    status = first.from_status or ""
    return status, _category_of(item, status)


def _category_of(item: WorkItem, status: str) -> StatusCategory:
    """The category the item's own records give `status`; todo when they give none."""
    if status and status == item.status:
        return item.category
    known = [c.to_category for c in item.history if c.to_status == status and c.to_category]
    return known[-1] if known else StatusCategory.TODO


def _undone(item: WorkItem, moment: datetime) -> StatusCategory:
    """The category of an item resolved after `moment` whose history does not show it: in
    progress when it had started by then (history or the tool's start date), else todo."""
    if item.category is not StatusCategory.DONE:
        return item.category
    started = any(c.to_category in _STARTED for c in item.history)
    if started or (item.start is not None and item.start <= moment):
        return StatusCategory.IN_PROGRESS
    return StatusCategory.TODO


def _notes(hours: int, counts: int) -> list[str]:
    notes = []
    if hours:
        notes.append(
            f"AC is today's logged time: the trackers give no dates for logged time, and "
            f"{hours} item(s) changed after the status date"
        )
    if counts:
        notes.append(
            f"checklist and sub-item counts of {counts} item(s) in progress on the status date "
            "are today's: the trackers give no dates for them"
        )
    return notes
