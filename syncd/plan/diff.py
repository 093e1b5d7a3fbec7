"""What changed between two stored baselines: tasks, dates, budgets, links and milestones.

Pure: two `Baseline`s and a working-day calendar in, a `PlanDiff` out. Tasks are matched by
their stable key (UID, activity id, key column) and named by WBS code and name, as people
quote them. Date moves are counted in working days on the calendar given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from syncd.plan.baseline import Baseline, Dependency, PlanTask
from syncd.plan.calendar import WorkCalendar


@dataclass(frozen=True, slots=True)
class DateMove:
    """A task's start or finish in both baselines, and the move in working days."""

    task: str  # "1.2 Design"
    field: str  # "start" | "finish"
    old: date
    new: date
    working_days: int
    milestone: bool = False


@dataclass(frozen=True, slots=True)
class BudgetChange:
    task: str
    old: float
    new: float


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """Every difference between baseline `old` and baseline `new`; empty tuples when none."""

    unit: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    moved: tuple[DateMove, ...] = ()
    budgets: tuple[BudgetChange, ...] = ()
    links_added: tuple[str, ...] = ()
    links_removed: tuple[str, ...] = ()
    milestones: tuple[DateMove, ...] = ()

    @property
    def empty(self) -> bool:
        parts = (self.added, self.removed, self.renamed, self.moved, self.milestones)
        return not any((*parts, self.budgets, self.links_added, self.links_removed))

    def lines(self) -> list[str]:
        """The differences as text lines, one per change, grouped under headings."""
        out: list[str] = []
        _section(out, "Tasks added", [f"+ {t}" for t in self.added])
        _section(out, "Tasks removed", [f"- {t}" for t in self.removed])
        _section(out, "Tasks renamed", [f"~ {a} → {b}" for a, b in self.renamed])
        _section(out, "Milestones moved", [_move(m) for m in self.milestones])
        _section(out, "Dates moved", [_move(m) for m in self.moved])
        budgets = [
            f"~ {b.task}: {b.old:,.1f} → {b.new:,.1f} {self.unit} ({b.new - b.old:+,.1f})"
            for b in self.budgets
        ]
        _section(out, "Budgets changed", budgets)
        _section(out, "Links added", [f"+ {link}" for link in self.links_added])
        _section(out, "Links removed", [f"- {link}" for link in self.links_removed])
        return out


def diff_baselines(old: Baseline, new: Baseline, cal: WorkCalendar) -> PlanDiff:
    """The differences from `old` to `new`, tasks matched by key."""
    before = {t.key: t for t in old.tasks}
    after = {t.key: t for t in new.tasks}
    both = [k for k in after if k in before]
    moved = [m for k in both for m in _moves(before[k], after[k], cal)]
    return PlanDiff(
        unit=new.unit if new.unit == "hours" else new.currency or new.unit,
        added=tuple(after[k].label for k in after if k not in before),
        removed=tuple(before[k].label for k in before if k not in after),
        renamed=tuple(
            (before[k].label, after[k].label) for k in both if before[k].label != after[k].label
        ),
        moved=tuple(m for m in moved if not m.milestone),
        budgets=tuple(
            BudgetChange(after[k].label, before[k].budget, after[k].budget)
            for k in both
            if before[k].budget != after[k].budget and not after[k].summary
        ),
        links_added=tuple(sorted(_links(new) - _links(old))),
        links_removed=tuple(sorted(_links(old) - _links(new))),
        milestones=tuple(m for m in moved if m.milestone),
    )


def _moves(a: PlanTask, b: PlanTask, cal: WorkCalendar) -> list[DateMove]:
    found = []
    for name in ("start", "finish"):
        was, now = getattr(a, name), getattr(b, name)
        if was != now and not (b.milestone and name == "start"):
            found.append(DateMove(b.label, name, was, now, cal.offset(was, now), b.milestone))
    return found


def _links(plan: Baseline) -> set[str]:
    """Each link as text: "1.1 Discovery → 1.2 Design (FS+2d)", by WBS code and name."""
    names = {t.key: t.label for t in plan.tasks}
    return {
        f"{names.get(d.predecessor, d.predecessor)} → {t.label} ({_link_kind(d)})"
        for t in plan.tasks
        for d in t.dependencies
    }


def _link_kind(dep: Dependency) -> str:
    if not dep.lag_days:
        return dep.type.value
    return f"{dep.type.value}{dep.lag_days:+g}d"


def _move(m: DateMove) -> str:
    return f"~ {m.task}: {m.field} {m.old} → {m.new} ({m.working_days:+d} working days)"


def _section(out: list[str], title: str, rows: list[str]) -> None:
    if rows:
        out.append(f"{title} ({len(rows)}):")
        out.extend(f"  {row}" for row in rows)
