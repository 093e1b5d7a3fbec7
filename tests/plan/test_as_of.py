"""A past status date measures the items as they stood that day (docs/plan-math.md §3.7 figures).

The worked example's items are the state at the end of day 8 (Wed 2026-03-11); their history
says A finished on day 4, B's three stories and C started on day 5, B-1, B-2 and C finished
on day 7. Figures below are counted by hand from the §3.7 tables.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from syncd.mapping.history import item_as_of, items_as_of
from syncd.model import StatusChange, WorkItem, Worklog
from syncd.plan import Baseline
from syncd.plan.reconcile import reconcile

from .conftest import BY_LABEL, DOING, DONE, TODO, at, item, worked_items

BEFORE_START = date(2026, 2, 27)  # the Friday before day 1 (Mon 2026-03-02)
DAY_4 = date(2026, 3, 5)
DAY_5 = date(2026, 3, 6)
DAY_8 = date(2026, 3, 11)


def test_a_status_date_before_the_project_start_earns_nothing(worked: Baseline) -> None:
    """As of the Friday before the start: PV 0 and EV 0 (today's states gave EV 106), every
    task not started, AT 0."""
    r = reconcile(worked, worked_items(), as_of=BEFORE_START, config=BY_LABEL)
    assert (r.project.pv, r.project.ev) == (0.0, 0.0)
    assert r.earned_schedule.at == 0.0
    assert {t.key: t.status for t in r.tasks} == dict.fromkeys("ABCDM", "todo")


def test_day_4_sees_only_design_done(worked: Baseline) -> None:
    """End of day 4: A (finished that noon) done, B and C not started: PV 40, EV 40, ES 4."""
    r = reconcile(worked, worked_items(), as_of=DAY_4, config=BY_LABEL)
    assert (r.project.pv, r.project.ev) == (40.0, 40.0)
    assert r.project.spi == 1.0
    assert (r.earned_schedule.at, r.earned_schedule.es) == (4.0, 4.0)
    assert [r.task(k).status for k in "ABC"] == ["done", "todo", "todo"]


def test_day_5_sees_build_and_docs_in_progress_with_nothing_earned(worked: Baseline) -> None:
    """End of day 5: B's stories and C in progress, none done: PV 65, EV 40 (A only),
    SPI 40/65 = 0.6154, ES 4 (PV4 = 40 ≤ 40 < PV5 = 65), SV(t) −1."""
    r = reconcile(worked, worked_items(), as_of=DAY_5, config=BY_LABEL)
    assert (r.project.pv, r.project.ev) == (65.0, 40.0)
    assert round(r.project.spi or 0, 4) == 0.6154
    assert (r.earned_schedule.es, r.earned_schedule.sv_t) == (4.0, -1.0)
    assert [r.task(k).status for k in "ABC"] == ["done", "in_progress", "in_progress"]


def test_logged_time_without_dates_is_flagged_next_to_ac(worked: Baseline) -> None:
    """AC stays today's total (120) on a past date, with a warning naming the 3 items
    (B-1, B-2, C-1) that changed after day 5; on day 8 itself there is no such warning."""
    past = reconcile(worked, worked_items(), as_of=DAY_5, config=BY_LABEL)
    assert past.project.ac == 120.0
    (undated,) = [w for w in past.warnings if w.code == "ac_undated"]
    assert undated.message.startswith("AC is today's logged time for 3 item(s)")
    assert ": B-1, B-2, C-1;" in undated.message
    assert past.notes("ac") == "today's logged time on 3 item(s)"
    now = reconcile(worked, worked_items(), as_of=DAY_8, config=BY_LABEL)
    assert not any(w.code == "ac_undated" for w in now.warnings)


def test_an_item_created_after_the_status_date_does_not_exist_yet(worked: Baseline) -> None:
    """A story of C created on day 6 counts on day 8, not on day 5."""
    late = item("C-2", task="C", status=DONE, finished="2026-03-10", created=at("2026-03-09"))
    assert (
        reconcile(worked, [*worked_items(), late], as_of=DAY_8, config=BY_LABEL).task("C").items
        == 2
    )
    assert (
        reconcile(worked, [*worked_items(), late], as_of=DAY_5, config=BY_LABEL).task("C").items
        == 1
    )


def test_the_day_ends_in_the_clients_time_zone(worked: Baseline) -> None:
    """A finished at 23:30 UTC on day 4, which is already day 5 in Berlin: done on day 4 for
    a UTC client, not done on day 4 for a Berlin client."""
    started = item("A-1", task="A", status=DONE, started="2026-03-02", spent_hours=50.0)
    finished = StatusChange(datetime(2026, 3, 5, 23, 30, tzinfo=UTC), "In Progress", "Done", DONE)
    late_a = replace(started, history=(*started.history, finished))
    utc = reconcile(worked, [late_a], as_of=DAY_4, config=BY_LABEL)
    berlin = reconcile(
        worked, [late_a], as_of=DAY_4, config=BY_LABEL, zone=ZoneInfo("Europe/Berlin")
    )
    assert (utc.task("A").status, berlin.task("A").status) == ("done", "in_progress")


def test_an_item_is_unchanged_when_nothing_happened_after_the_moment() -> None:
    """The very same object comes back when no history or resolution is later than the moment."""
    done = item("A-1", task="A", status=DONE, started="2026-03-02", finished="2026-03-05")
    assert item_as_of(done, at("2026-03-06")) is done
    assert items_as_of([done], at("2026-03-06")).notes == []


def test_before_its_first_change_an_item_has_the_status_it_left() -> None:
    """Before the first transition the item is in that transition's from-status, in the category
    its own history gives that status; history, resolution and done counts after it are gone."""
    story = item(
        "S-1",
        status=DONE,
        started="2026-03-03",
        finished="2026-03-04",
        resolved=at("2026-03-04"),
        subitems_done=3,
        subitems_total=3,
    )
    then = item_as_of(story, at("2026-03-02"))
    assert (then.status, then.category, then.history, then.resolved) == ("To Do", TODO, (), None)
    assert then.subitems_done == 0
    middle = item_as_of(story, at("2026-03-03"))
    assert (middle.status, middle.category, middle.subitems_done) == ("In Progress", DOING, 3)


def test_resolved_later_without_history_is_not_done_then() -> None:
    """An item done today whose tool gives only a resolution date: before it, in progress when
    its start date had passed, else not started."""
    started = item("S-2", status=DONE, resolved=at("2026-03-10"), start=at("2026-03-03"))
    assert item_as_of(started, at("2026-03-05")).category is DOING
    assert item_as_of(started, at("2026-03-02")).category is TODO


def logged(item_: WorkItem, *days_hours: tuple[str, float]) -> WorkItem:
    """The item with one worklog per (day, hours), its time spent their sum."""
    logs = tuple(
        Worklog(f"w{n}", at(day), int(hours * 3600)) for n, (day, hours) in enumerate(days_hours)
    )
    return replace(item_, worklogs=logs, spent_hours=sum(h for _, h in days_hours))


def test_dated_worklogs_give_the_time_logged_up_to_the_status_date(worked: Baseline) -> None:
    """With worklogs, AC on day 5 is what was logged by then: A 50 (days 1-3), B-1 5 (day 5;
    its 10 h of day 6 not yet), C-1 0 (all on day 7), plus B-2 and B-3 without dates (15 each)
    = 85, not today's 120. B-2, undated and finished after day 5, is named as today's (B-3 did
    not change after day 5); B-1's remaining estimate then holds the 10 h logged later."""
    items = {i.key: i for i in worked_items()}
    items["A-1"] = logged(items["A-1"], ("2026-03-02", 20), ("2026-03-04", 30))
    items["B-1"] = logged(
        replace(items["B-1"], remaining_hours=0.0), ("2026-03-06", 5), ("2026-03-09", 10)
    )
    items["C-1"] = logged(items["C-1"], ("2026-03-10", 25))
    past = reconcile(worked, list(items.values()), as_of=DAY_5, config=BY_LABEL)
    assert past.project.ac == 50 + 5 + 15 + 15
    (undated,) = [w for w in past.warnings if w.code == "ac_undated"]
    assert ": B-2;" in undated.message and "for 1 item(s)" in undated.message
    assert past.notes("ac") == "today's logged time on 1 item(s)"
    b1 = item_as_of(items["B-1"], datetime.combine(DAY_5, time.max, tzinfo=UTC))
    assert (b1.spent_hours, b1.remaining_hours, len(b1.worklogs)) == (5.0, 10.0, 1)
    dated_only = [items["A-1"], items["B-1"], items["C-1"]]
    only = reconcile(worked, dated_only, as_of=DAY_5, config=BY_LABEL)
    assert only.project.ac == 55.0
    assert not any(w.code == "ac_undated" for w in only.warnings)


def test_today_is_unchanged_by_worklogs(worked: Baseline) -> None:
    """On the day of the last worklog the items come back as they are: AC is today's total."""
    a1 = logged(worked_items()[0], ("2026-03-02", 20), ("2026-03-04", 30))
    assert item_as_of(a1, at("2026-03-05")) is a1
    assert reconcile(worked, [a1], as_of=DAY_8, config=BY_LABEL).project.ac == 50.0


def test_worklogs_that_do_not_add_up_are_undated(worked: Baseline) -> None:
    """A Jira total of 50 h with worklogs of only 20 h (time logged some other way) keeps
    today's 50 h on a past date and is named as undated."""
    a1 = replace(logged(worked_items()[0], ("2026-03-02", 20)), spent_hours=50.0)
    past = reconcile(worked, [a1], as_of=BEFORE_START, config=BY_LABEL)
    assert past.project.ac == 50.0
    (undated,) = [w for w in past.warnings if w.code == "ac_undated"]
    assert ": A-1;" in undated.message
