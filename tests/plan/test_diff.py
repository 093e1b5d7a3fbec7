"""diff_baselines: what changed between two baselines, dates in working days (counted by hand)."""

from __future__ import annotations

from datetime import date

from syncd.plan.calendar import WorkCalendar
from syncd.plan.diff import BudgetChange, DateMove, diff_baselines
from syncd.plan.toml_csv import parse_toml

V1 = """
[plan]
name = "Rollout"
[[tasks]]
wbs = "1"
name = "Discovery"
start = 2026-10-01
finish = 2026-10-14
budget = 120
[[tasks]]
wbs = "2"
name = "Build"
start = 2026-10-15
finish = 2026-10-28
budget = 200
predecessors = "1FS"
[[tasks]]
wbs = "3"
name = "Docs"
start = 2026-10-15
finish = 2026-10-20
budget = 40
predecessors = "1FS"
[[tasks]]
wbs = "4"
name = "Go-live"
start = 2026-10-28
finish = 2026-10-28
milestone = true
predecessors = "2FS"
"""

# Build finishes later and costs more, Docs is gone, Testing is new and feeds Go-live, which
# moves; Fri 2026-10-30 is a holiday of the new plan.
V2 = """
[plan]
name = "Rollout"
holidays = [2026-10-30]
[[tasks]]
wbs = "1"
name = "Discovery"
start = 2026-10-01
finish = 2026-10-14
budget = 120
[[tasks]]
wbs = "2"
name = "Build"
start = 2026-10-15
finish = 2026-11-02
budget = 240
predecessors = "1FS"
[[tasks]]
wbs = "5"
name = "Testing"
start = 2026-11-03
finish = 2026-11-04
budget = 16
predecessors = "2FS"
[[tasks]]
wbs = "4"
name = "Go-live"
start = 2026-11-04
finish = 2026-11-04
milestone = true
predecessors = "5FS+1d"
"""

CAL = WorkCalendar(holidays=frozenset({date(2026, 10, 30)}))


def test_every_kind_of_change_is_listed() -> None:
    """Added/removed tasks by WBS and name; Build's finish +2 working days (Wed 28 → Mon 2 Nov:
    Wed, Thu counted, Fri holiday); Go-live +4 (Wed 28 → Wed 4: 28, 29, 2, 3); budget 200 → 240;
    the links that came and went, by WBS code and name with type and lag."""
    d = diff_baselines(parse_toml(V1, source="v1"), parse_toml(V2, source="v2"), CAL)
    assert d.added == ("5 Testing",)
    assert d.removed == ("3 Docs",)
    assert d.moved == (DateMove("2 Build", "finish", date(2026, 10, 28), date(2026, 11, 2), 2),)
    assert d.milestones == (
        DateMove("4 Go-live", "finish", date(2026, 10, 28), date(2026, 11, 4), 4, milestone=True),
    )
    assert d.budgets == (BudgetChange("2 Build", 200.0, 240.0),)
    assert d.links_added == ("2 Build → 5 Testing (FS)", "5 Testing → 4 Go-live (FS+1d)")
    assert d.links_removed == ("1 Discovery → 3 Docs (FS)", "2 Build → 4 Go-live (FS)")
    text = "\n".join(d.lines())
    assert "~ 2 Build: finish 2026-10-28 → 2026-11-02 (+2 working days)" in text
    assert "~ 2 Build: 200.0 → 240.0 hours (+40.0)" in text


def test_a_date_moved_earlier_is_negative_and_a_same_plan_is_empty() -> None:
    """Moving back counts negative working days; a plan against itself has no differences."""
    v2 = parse_toml(V2, source="v2")
    back = diff_baselines(v2, parse_toml(V1, source="v1"), CAL)
    assert [m.working_days for m in back.moved] == [-2]
    same = diff_baselines(v2, v2, CAL)
    assert same.empty and same.lines() == []
