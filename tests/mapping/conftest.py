"""Item factories for mapping tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncd.model import StatusCategory, StatusChange, WorkItem


def make(key: str, *, source: str = "acme-jira", **fields: Any) -> WorkItem:
    """A WorkItem with sensible defaults."""
    return WorkItem(
        source=source, external_id=key, key=key, title=fields.pop("title", key), **fields
    )


def change(day: int, status: str, category: StatusCategory | None = None) -> StatusChange:
    return StatusChange(datetime(2026, 10, day, 9, tzinfo=UTC), None, status, category)
