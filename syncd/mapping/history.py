"""Items as they stood at a past moment, rebuilt from their status history and worklogs.

A reconciliation for a past status date must not measure today's states: an item created later
did not exist yet, an item done later was still in progress (or not started), and a resolution
date after the moment had not happened. The status history says what each item's status was;
dated worklogs (Jira) say how much time was logged by then. What the trackers do not date
(Trello's logged time, a Jira total that its worklogs do not add up to, checklist and sub-item
counts) is today's value, and `ItemsAsOf.notes` says so, for the figure it affects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from math import fsum

from syncd.model import StatusCategory, StatusChange, WorkItem, Worklog

_STARTED = (StatusCategory.IN_PROGRESS, StatusCategory.DONE)
SHOWN = 10  # undated items named in the note; the rest are counted


@dataclass(frozen=True, slots=True)
class ItemsAsOf:
    """The items that existed at the moment, in their state then, and what could not be dated:
    `undated` are the keys of the items whose AC is today's logged time."""

    items: list[WorkItem]
    notes: list[str]
    undated: tuple[str, ...] = ()


def items_as_of(items: Iterable[WorkItem], moment: datetime) -> ItemsAsOf:
    """Every item as it stood at `moment` (aware); an item created after it is left out.

    An item with nothing recorded after `moment` is returned unchanged, so a moment at or after
    the last pull gives back exactly today's items.
    """
    kept: list[WorkItem] = []
    undated: list[str] = []
    later_counts = 0
    for item in items:
        if item.created is not None and item.created > moment:
            continue
        then = item_as_of(item, moment)
        kept.append(then)
        later = then is not item or (item.updated is not None and item.updated > moment)
        if later and item.spent_hours and not dated(item):
            undated.append(item.key)
        if then is item:
            continue
        counted = bool(then.checklist_done or then.subitems_done)
        later_counts += counted and then.category is StatusCategory.IN_PROGRESS
    return ItemsAsOf(kept, _notes(undated, later_counts), tuple(undated))


def item_as_of(item: WorkItem, moment: datetime) -> WorkItem:
    """One item at `moment`: its status from the history up to then, its logged time from the
    worklogs up to then (when they account for all of it), no later dates."""
    before = tuple(c for c in item.history if c.at <= moment)
    changed_later = len(before) < len(item.history)
    resolved_later = item.resolved is not None and item.resolved > moment
    logged = tuple(w for w in item.worklogs if w.started <= moment) if dated(item) else None
    logged_later = logged is not None and len(logged) < len(item.worklogs)
    if not changed_later and not resolved_later and not logged_later:
        return item
    if changed_later:
        status, category = _status_at(item, before)
    elif resolved_later:  # resolved after the moment with no history saying when: not done then
        status, category = item.status, _undone(item, moment)
    else:
        status, category = item.status, item.category
    then = replace(
        item,
        status=status,
        category=category,
        history=before,
        resolved=None if resolved_later else item.resolved,
        start=None if item.start is not None and item.start > moment else item.start,
        checklist_done=0 if category is StatusCategory.TODO else item.checklist_done,
        subitems_done=0 if category is StatusCategory.TODO else item.subitems_done,
    )
    return _logged_then(then, logged) if logged_later and logged is not None else then


def dated(item: WorkItem) -> bool:
    """Whether the item's worklogs account for all its logged time (to the minute): then its
    AC on any date is the sum of the worklogs started by then. An item with no time logged has
    nothing undated."""
    if not item.spent_hours:
        return True
    logged = fsum(w.seconds for w in item.worklogs) / 3600
    return abs(logged - item.spent_hours) < 1 / 60


def _logged_then(item: WorkItem, logged: tuple[Worklog, ...]) -> WorkItem:
    """The item with the time logged up to the moment; what was logged later was still
    remaining then, so the total effort (spent + remaining) stays today's."""
    spent = fsum(w.seconds for w in logged) / 3600
    later = (item.spent_hours or 0.0) - spent
    remaining = None if item.remaining_hours is None else item.remaining_hours + later
    return replace(item, spent_hours=spent or None, remaining_hours=remaining, worklogs=logged)


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


def _notes(undated: list[str], counts: int) -> list[str]:
    notes = []
    if undated:
        named = ", ".join(undated[:SHOWN]) + (
            f" and {len(undated) - SHOWN} more" * (len(undated) > SHOWN)
        )
        notes.append(
            f"AC is today's logged time for {len(undated)} item(s) that changed after the status "
            f"date: their logged time has no dates (Trello cards, or Jira issues whose worklogs do "
            f"not add up to their time spent): {named}; the other items' AC counts the time "
            "logged up to the status date"
        )
    if counts:
        notes.append(
            f"checklist and sub-item counts of {counts} item(s) in progress on the status date "
            "are today's: the trackers give no dates for them"
        )
    return notes
