"""Working-day calendars: weekends, holidays, and the working-day axis that plan math runs on.

Plan math measures time in working days from a plan origin. A task's start sits at the
*beginning* of its start day and its finish at the *end* of its finish day, so a task from
Monday to Thursday spans positions 0..4 and lasts 4 working days; a status date is read as the
end of that day.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from syncd.errors import ConfigError

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ONE_DAY = timedelta(days=1)


def weekday_numbers(names: Iterable[str]) -> frozenset[int]:
    """Turn ``["sat", "sun"]`` into ``{5, 6}``; unknown names are a ConfigError."""
    numbers = set()
    for name in names:
        key = name.strip().lower()[:3]
        if key not in WEEKDAY_NAMES:
            raise ConfigError(f"calendar: unknown weekday {name!r} (use mon..sun)")
        numbers.add(WEEKDAY_NAMES.index(key))
    return frozenset(numbers)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Which days are worked: every weekday not in `weekends`, except `holidays`."""

    weekends: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()
    _off: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _per_week: int = field(init=False, repr=False, compare=False)
    # Working days among the first `rest` days of a week that starts on weekday `first`
    # (_partial[first][rest]): offset() counts with it, no day by day walk.
    _partial: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekends) >= 7:
            raise ConfigError("calendar: every weekday is a weekend; nothing can be scheduled")
        off = sorted(d for d in self.holidays if d.weekday() not in self.weekends)
        object.__setattr__(self, "_off", tuple(off))
        object.__setattr__(self, "_per_week", 7 - len(self.weekends))
        partial = tuple(
            tuple(
                sum(1 for i in range(rest) if (first + i) % 7 not in self.weekends)
                for rest in range(7)
            )
            for first in range(7)
        )
        object.__setattr__(self, "_partial", partial)

    def merged(self, holidays: Iterable[date]) -> WorkCalendar:
        """The same weekends with more holidays."""
        return WorkCalendar(self.weekends, self.holidays | frozenset(holidays))

    def is_working(self, day: date) -> bool:
        """True when `day` is neither a weekend nor a holiday."""
        if day.weekday() in self.weekends:
            return False
        i = bisect_left(self._off, day)
        return not (i < len(self._off) and self._off[i] == day)

    def offset(self, origin: date, day: date) -> int:
        """Working days in [origin, day); negative when `day` precedes `origin`."""
        if day < origin:
            return -self.offset(day, origin)
        weeks, rest = divmod((day - origin).days, 7)
        count = weeks * self._per_week + self._partial[origin.weekday()][rest]
        return count - (bisect_left(self._off, day) - bisect_left(self._off, origin))

    def day_at(self, origin: date, index: int) -> date:
        """The working day `d` with ``offset(origin, d) == index`` (index 0: first working day)."""
        day = origin + timedelta(days=7 * (index // self._per_week))
        count = self.offset(origin, day)
        while count > index:
            day -= timedelta(days=7)
            count = self.offset(origin, day)
        while True:
            if self.is_working(day):
                if count == index:
                    return day
                count += 1
            day += _ONE_DAY

    def start_position(self, origin: date, day: date) -> int:
        """Position of the beginning of `day`."""
        return self.offset(origin, day)

    def finish_position(self, origin: date, day: date) -> int:
        """Position of the end of `day` (working days up to and including it)."""
        return self.offset(origin, day + _ONE_DAY)

    def finish_date(self, origin: date, position: float) -> date:
        """The working day during which a finish at `position` falls (day 13.6 is the 14th day).
        A finish at 0 (a milestone of no duration at the very start) is on the first day; one
        before the origin (work done before the plan began) is on its own day, not the first."""
        index = math.ceil(position - 1e-9)
        return self.day_at(origin, index - 1 if index != 0 else 0)

    def start_date(self, origin: date, position: float) -> date:
        """The working day on which a start at `position` falls."""
        return self.day_at(origin, math.floor(position + 1e-9))

    def duration(self, start: date, finish: date) -> int:
        """Working days from the beginning of `start` to the end of `finish`."""
        return self.offset(start, finish + _ONE_DAY)


def calendar_from(weekends: Iterable[str], holidays: Iterable[date]) -> WorkCalendar:
    """Build a calendar from weekday names and holiday dates."""
    return WorkCalendar(weekday_numbers(weekends), frozenset(holidays))


def span(
    cal: WorkCalendar, origin: date, start: date, finish: date, *, milestone: bool = False
) -> tuple[int, int]:
    """Start and finish positions of a task; a milestone sits at the end of its finish day."""
    end = cal.finish_position(origin, finish)
    if milestone:
        return end, end
    return min(cal.start_position(origin, start), end), end
