"""Small readers for MSPDI elements: namespaced children, numbers, flags, dates, durations."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

Element = Any  # xml.etree.ElementTree.Element, as returned by defusedxml

_DURATION = re.compile(
    r"^(?P<neg>-)?P(?:(?P<d>[\d.]+)D)?(?:T(?:(?P<h>[\d.]+)H)?(?:(?P<m>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?)?$"
)
_MAX_EXCEPTION_DAYS = 366


def _ns(el: Element) -> str:
    tag: str = el.tag
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def child(el: Element, name: str) -> Element | None:
    """The first child called `name`, in the element's own namespace."""
    return el.find(_ns(el) + name)


def children(el: Element, name: str) -> list[Element]:
    found: list[Element] = el.findall(_ns(el) + name)
    return found


def text(el: Element, name: str) -> str | None:
    found = child(el, name)
    return None if found is None or found.text is None else str(found.text).strip()


def number(el: Element, name: str) -> float | None:
    """A numeric child, or None when absent or unreadable."""
    value = text(el, name)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def flag(el: Element, name: str) -> bool:
    return text(el, name) in ("1", "true")


def when(el: Element, name: str) -> datetime | None:
    """A naive local dateTime child (MSPDI carries no time zone)."""
    value = text(el, name)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def hours(el: Element, name: str) -> float | None:
    """An ISO-8601 duration child (``PT17H11M37.17S``) in hours."""
    value = text(el, name)
    match = _DURATION.match(value or "")
    if match is None:
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items() if k != "neg"}
    total = parts["d"] * 24 + parts["h"] + parts["m"] / 60 + parts["s"] / 3600
    return -total if match["neg"] else total


def bl_child(el: Element, wanted: int) -> Element | None:
    """The task's Baseline element with Number `wanted`."""
    for baseline in children(el, "Baseline"):
        if int(number(baseline, "Number") or 0) == wanted:
            return baseline
    return None


def baseline_numbers(tasks: list[Element]) -> list[int]:
    """Every baseline number any task carries."""
    return sorted({int(number(b, "Number") or 0) for t in tasks for b in children(t, "Baseline")})


def calendar_holidays(root: Element) -> tuple[date, ...]:
    """Non-working exception days of the project calendar (spans over a year are skipped)."""
    calendars = child(root, "Calendars")
    uid = text(root, "CalendarUID")
    if calendars is None:
        return ()
    for cal in children(calendars, "Calendar"):
        if text(cal, "UID") == uid:
            return tuple(sorted(_exceptions(cal)))
    return ()


def _exceptions(cal: Element) -> set[date]:
    days: set[date] = set()
    holder = child(cal, "Exceptions")
    for exc in children(holder, "Exception") if holder is not None else []:
        if flag(exc, "DayWorking"):
            continue
        period = child(exc, "TimePeriod")
        if period is not None:
            days |= _span(period)
    weekdays = child(cal, "WeekDays")
    for day in children(weekdays, "WeekDay") if weekdays is not None else []:
        period = child(day, "TimePeriod")
        if text(day, "DayType") == "0" and not flag(day, "DayWorking") and period is not None:
            days |= _span(period)
    return days


def _span(period: Element) -> set[date]:
    first, last = when(period, "FromDate"), when(period, "ToDate")
    if first is None or last is None or (last - first).days > _MAX_EXCEPTION_DAYS:
        return set()
    return {first.date() + timedelta(days=i) for i in range((last.date() - first.date()).days + 1)}
