"""The review pack's calendar invitation: the next review, on the entry's cadence, as `.ics`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress, vText

from syncd import schedule

LENGTH = timedelta(hours=1)


def next_review(cron: str, timezone: str, now: datetime) -> datetime:
    """When the next review starts (UTC), on the cron in the client's time zone."""
    return schedule.next_due(cron=cron, poll_minutes=0, timezone=timezone, now=now)


def invitation(
    *,
    uid: str,
    title: str,
    start: datetime,
    stamp: datetime,
    organizer: str,
    attendees: Sequence[str],
    description: str = "",
    url: str = "",
) -> bytes:
    """An iCalendar REQUEST with one event of an hour; `uid` stays the same for the same review."""
    cal = Calendar()
    cal.add("prodid", "-//syncd//review pack//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", start + LENGTH)
    event.add("dtstamp", stamp)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    event["organizer"] = _address(organizer)
    for attendee in attendees:
        address = _address(attendee)
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        event.add("attendee", address, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())


def _address(value: str) -> vCalAddress:
    name, addr = parseaddr(value)
    out = vCalAddress(f"mailto:{addr}")
    if name:
        out.params["CN"] = vText(name)
    return out
