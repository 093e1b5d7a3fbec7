"""Dates before the plan's first day: work done before the plan began keeps its own dates."""

from __future__ import annotations

from datetime import date, timedelta

from syncd.plan.calendar import WorkCalendar

MON_FRI = WorkCalendar(weekends=frozenset({5, 6}), holidays=frozenset())
ORIGIN = date(2026, 3, 2)  # a Monday


def test_a_finish_before_the_origin_is_on_its_own_day() -> None:
    """A task done on Thursday 26 February, before a plan that begins Monday 2 March, finishes
    on the 26th (it showed as 2 March, while its slip said two days early)."""
    position = MON_FRI.finish_position(ORIGIN, date(2026, 2, 26))
    assert position == -1
    assert MON_FRI.finish_date(ORIGIN, position) == date(2026, 2, 26)
    assert MON_FRI.finish_date(ORIGIN, -4) == date(2026, 2, 23)


def test_finishes_round_trip_before_and_after_the_origin() -> None:
    """Every working day from three weeks before to three weeks after the origin comes back
    from its finish position, but for the one right before it: a finish at position 0 is a
    milestone of no duration at the very start, shown on the first day."""
    for n in range(-21, 22):
        day = ORIGIN + timedelta(days=n)
        if not MON_FRI.is_working(day):
            continue
        shown = MON_FRI.finish_date(ORIGIN, MON_FRI.finish_position(ORIGIN, day))
        assert shown == (ORIGIN if day == date(2026, 2, 27) else day), day
    assert MON_FRI.finish_date(ORIGIN, 0) == ORIGIN
    assert MON_FRI.finish_date(ORIGIN, 0.4) == ORIGIN
