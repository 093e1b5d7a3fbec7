"""Raw statuses and Trello lists into todo / in_progress / done, per client.

The connector's own category (Jira's status category) is the default. A client's
``[statuses]`` table overrides it by raw status or list name, globally or per connector id;
names match case-insensitively. History is mapped the same way, so actual start and finish
dates follow the client's view of "started" and "done".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from syncd.mapping.config import MappingConfig
from syncd.model import StatusCategory, StatusChange, WorkItem


@dataclass(frozen=True, slots=True)
class StatusMap:
    """Lower-cased overrides: global, and per connector id."""

    shared: dict[str, StatusCategory]
    by_source: dict[str, dict[str, StatusCategory]]

    def lookup(self, source: str, name: str | None) -> StatusCategory | None:
        """The override for `name` seen in connector `source`, if any."""
        if not name:
            return None
        key = name.strip().lower()
        own = self.by_source.get(source)
        if own is not None and key in own:
            return own[key]
        return self.shared.get(key)

    def categorize(self, item: WorkItem) -> StatusCategory:
        """The item's category: its raw status, then its list, then the connector's default."""
        found = self.lookup(item.source, item.status) or self.lookup(item.source, item.container)
        return found or item.category


def status_map(config: MappingConfig) -> StatusMap:
    """Index the ``[statuses]`` table once, for many items."""
    shared: dict[str, StatusCategory] = {}
    by_source: dict[str, dict[str, StatusCategory]] = {}
    for name, value in config.statuses.items():
        if isinstance(value, dict):
            by_source[name] = {k.strip().lower(): StatusCategory(v) for k, v in value.items()}
        else:
            shared[name.strip().lower()] = StatusCategory(value)
    return StatusMap(shared, by_source)


def apply_statuses(item: WorkItem, statuses: StatusMap) -> WorkItem:
    """A copy whose category and history categories follow the client's map."""
    if not statuses.shared and not statuses.by_source:
        return item
    category = statuses.categorize(item)
    history = tuple(_map_change(item.source, c, statuses) for c in item.history)
    if category is item.category and history == item.history:
        return item
    return replace(item, category=category, history=history)


def _map_change(source: str, change: StatusChange, statuses: StatusMap) -> StatusChange:
    found = statuses.lookup(source, change.to_status)
    if found is None or found is change.to_category:
        return change
    return replace(change, to_category=found)


def apply_all(items: Iterable[WorkItem], config: MappingConfig) -> list[WorkItem]:
    """`apply_statuses` over many items with one index."""
    statuses = status_map(config)
    return [apply_statuses(item, statuses) for item in items]
