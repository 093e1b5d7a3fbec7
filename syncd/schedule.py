"""When a client's pulls are due, and from when a connector counts as stale.

A client is pulled every `poll_minutes`, or, when it has a `cron`, at the times of that cron
expression in its time zone. Both the scheduler and the reports read the schedule here, so a
client pulled on weekdays only is not shown as stale on a Monday morning.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

MISSED = 3  # scheduled pulls that may pass without success before a connector is stale
AT_LEAST = timedelta(hours=1)  # and never stale sooner than this


def next_due(*, cron: str | None, poll_minutes: float, timezone: str, now: datetime) -> datetime:
    """The next pull after `now`: the cron's next time (in `timezone`), else `poll_minutes` on."""
    if cron:
        from croniter import croniter

        local = now.astimezone(ZoneInfo(timezone))
        after: datetime = croniter(cron, local).get_next(datetime)
        return after.astimezone(UTC)
    return now + timedelta(minutes=poll_minutes)


def stale_before(
    *, cron: str | None, poll_minutes: float, timezone: str, now: datetime
) -> datetime:
    """A connector whose last successful pull is older than this is stale: `MISSED` scheduled
    pulls have passed since (the cron's times, nights and weekends it skips included), and at
    least `AT_LEAST` has gone by."""
    if cron:
        from croniter import croniter

        times = croniter(cron, now.astimezone(ZoneInfo(timezone)))
        due: datetime = now
        for _ in range(MISSED):
            due = times.get_prev(datetime)
        return min(due.astimezone(UTC), now - AT_LEAST)
    return now - max(timedelta(minutes=MISSED * poll_minutes), AT_LEAST)
