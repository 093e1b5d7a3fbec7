"""Simulated time and the date formats Jira and Trello write."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class SimClock:
    """A clock that only moves when told: by `advance`, or one second per write (`tick`)."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current simulated instant, in UTC."""
        with self._lock:
            return self._now

    def tick(self, seconds: float = 1.0) -> datetime:
        """Move on a little (each write does) and return the new instant."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Jump ahead by `delta`."""
        return self.tick(delta.total_seconds())


def jira_datetime(value: datetime, tz: ZoneInfo) -> str:
    """Format as Jira does: `2026-11-20T10:15:30.000+0100`, in the account time zone."""
    local = value.astimezone(tz)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z"))
    )


def jira_date(value: date | None) -> str | None:
    """Format a date-only field (duedate) as `2026-11-20`."""
    return value.isoformat() if value else None


def trello_datetime(value: datetime | None) -> str | None:
    """Format as Trello does: `2026-11-20T09:15:30.000Z`."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_trello_datetime(text: str) -> datetime:
    """Parse an ISO date as Trello accepts it (`Z` or offset; a bare date means midnight UTC)."""
    cleaned = text.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch (used for changelog bulkfetch `created`)."""
    return int(value.timestamp() * 1000)
