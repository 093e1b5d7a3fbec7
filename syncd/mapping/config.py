"""The client-config sections that say how tracker items meet the plan.

These models are embedded in each client's TOML as ``[statuses]``, ``[progress]``,
``[[links]]``, ``[thresholds]`` and ``[calendar]``; every one has defaults, so an empty
config works. Unknown keys are refused (``extra="forbid"``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Category = Literal["todo", "in_progress", "done"]
Technique = Literal[
    "0/100",
    "50/50",
    "20/80",
    "subitems",
    "story_points",
    "checklist",
    "time_tracking",
    "level_of_effort",
    "status",
    "plan",  # the progress the plan file records (MS Project, P6): syncd.plan.recorded
]
LinkBy = Literal[
    "epic",
    "parent",
    "label",
    "component",
    "field",
    "list",  # the item's container: a Trello list
    "trello_label",  # the older spelling of "label" (also checked against a board's labels)
    "trello_list",  # the older spelling of "list"
    "wbs_in_title",
    "table",
]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WBS_IN_TITLE = r"^\s*[\[(]?(?P<task>\d+(?:\.\d+)*)(?=[\s\]):.\-]|$)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProgressConfig(_Strict):
    """How % complete is measured: a default technique and per-task overrides (task key/WBS)."""

    default: Technique = "story_points"
    tasks: dict[str, Technique] = Field(default_factory=dict)
    in_progress_cap: float = Field(0.95, ge=0.0, le=1.0)
    hourly_rate: float | None = Field(None, gt=0.0)  # money per tracked hour, for money plans


class LinkRule(_Strict):
    """One linking rule; rules are tried in order and the first match wins."""

    by: LinkBy
    source: str | None = None  # only items from this connector id
    map: dict[str, str] = Field(default_factory=dict)  # value -> task key or WBS code
    pattern: str | None = None  # regex; group "task" (or group 1) is the value
    field: str | None = None  # custom field name, for by = "field"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        return value

    @model_validator(mode="after")
    def _complete(self) -> LinkRule:
        if self.by == "field" and not self.field:
            raise ValueError("by = 'field' needs field = '<custom field name>'")
        if self.by == "table" and not self.map:
            raise ValueError("by = 'table' needs map = { 'ITEM-KEY' = 'task' }")
        return self


class Thresholds(_Strict):
    """Red/amber/green limits: an index below amber is amber, below red is red."""

    spi_amber: float = 0.95
    spi_red: float = 0.85
    cpi_amber: float = 0.95
    cpi_red: float = 0.85
    spi_t_amber: float = 0.95
    spi_t_red: float = 0.85
    slip_days_amber: float = 1.0  # milestone/task forecast slip, working days
    slip_days_red: float = 5.0
    scope_growth_amber: float = 0.05  # unplanned items / planned items
    scope_growth_red: float = 0.15

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        for name in ("spi", "cpi", "spi_t"):
            if getattr(self, f"{name}_red") > getattr(self, f"{name}_amber"):
                raise ValueError(f"{name}_red must not exceed {name}_amber")
        for name in ("slip_days", "scope_growth"):
            if getattr(self, f"{name}_red") < getattr(self, f"{name}_amber"):
                raise ValueError(f"{name}_red must not be below {name}_amber")
        return self


class CalendarConfig(_Strict):
    """Working days: weekday names that are never worked, and holiday dates."""

    weekends: list[str] = Field(default_factory=lambda: ["sat", "sun"])
    holidays: list[date] = Field(default_factory=list)

    @field_validator("weekends")
    @classmethod
    def _weekday_names(cls, value: list[str]) -> list[str]:
        names = [v.strip().lower()[:3] for v in value]
        unknown = [v for v, n in zip(value, names, strict=True) if n not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekdays {unknown} (use mon..sun)")
        if len(set(names)) >= 7:
            raise ValueError("every weekday is a weekend")
        return names


def _words(*words: str) -> list[str]:
    return list(words)


class RegisterRule(_Strict):
    """Which tracker items belong to one register: by item type, label or Trello list
    (compared without regard to case)."""

    types: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)

    def matches(self, type_: str, labels: tuple[str, ...], container: str | None) -> bool:
        low = str.casefold
        types, labelled, lists = self.folded
        if type_ and low(type_.strip()) in types:
            return True
        if any(low(x.strip()) in labelled for x in labels):
            return True
        return bool(container) and low(str(container).strip()) in lists

    @cached_property
    def folded(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The types, labels and lists casefolded, once per rule: a report asks every rule
        about every item."""
        return (
            frozenset(t.casefold() for t in self.types),
            frozenset(t.casefold() for t in self.labels),
            frozenset(t.casefold() for t in self.lists),
        )


RISK_WORDS = ("risk", "risks")
ISSUE_WORDS = ("issue", "issues", "impediment", "blocker", "problem")


class Registers(_Strict):
    """The issue log, risk register, decisions, actions and lessons: which items are which
    (the first register that matches wins, in this order) and the custom fields that carry an
    owner, a probability and an impact (1-5, or very low / low / medium / high / very high)."""

    risk: RegisterRule = Field(
        default_factory=lambda: RegisterRule(types=_words(*RISK_WORDS), labels=_words(*RISK_WORDS))
    )
    issue: RegisterRule = Field(
        default_factory=lambda: RegisterRule(
            types=_words(*ISSUE_WORDS), labels=_words(*ISSUE_WORDS)
        )
    )
    decision: RegisterRule = Field(
        default_factory=lambda: RegisterRule(types=["decision"], labels=["decision"])
    )
    action: RegisterRule = Field(
        default_factory=lambda: RegisterRule(types=["action"], labels=["action", "action-item"])
    )
    lesson: RegisterRule = Field(
        default_factory=lambda: RegisterRule(types=["lesson"], labels=["lesson", "lessons-learned"])
    )
    owner_field: str | None = None  # a custom field naming the owner; default: the assignee
    probability_field: str | None = "Probability"
    impact_field: str | None = "Impact"

    def kind(self, type_: str, labels: tuple[str, ...], container: str | None) -> str:
        """``risk``, ``issue``, ``decision``, ``action``, ``lesson``, or ``""`` for none: the
        first rule that `matches`, the item's words folded once for all five."""
        low = str.casefold
        folded_type = low(type_.strip()) if type_ else None
        folded_labels = {low(x.strip()) for x in labels}
        box = low(str(container).strip()) if container else None
        for name in REGISTERS:
            types, labelled, lists = getattr(self, name).folded
            if (
                (folded_type is not None and folded_type in types)
                or not folded_labels.isdisjoint(labelled)
                or (box is not None and box in lists)
            ):
                return name
        return ""


REGISTERS = ("risk", "issue", "decision", "action", "lesson")


class MilestoneAcceptance(_Strict):
    """What accepting one milestone takes, and the tracker item whose state records it."""

    criteria: list[str] = Field(default_factory=list)
    item: str | None = None  # an issue key or card id: done means accepted


class AcceptanceConfig(_Strict):
    """Formal acceptance of milestones: per milestone (task key or WBS code) its criteria and
    recording item; and a label that, on an item linked to the milestone, records it too."""

    label: str = "accepted"
    milestones: dict[str, MilestoneAcceptance] = Field(default_factory=dict)


class MappingConfig(_Strict):
    """Everything a client's config says about statuses, progress, links, RAG and calendar."""

    statuses: dict[str, Category | dict[str, Category]] = Field(default_factory=dict)
    progress: ProgressConfig = Field(default_factory=ProgressConfig)
    links: list[LinkRule] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    registers: Registers = Field(default_factory=Registers)
    acceptance: AcceptanceConfig = Field(default_factory=AcceptanceConfig)

    @field_validator("statuses", mode="before")
    @classmethod
    def _known_categories(cls, value: object) -> object:
        """Each status maps to todo, in_progress or done: one readable line names every one
        that does not (instead of a union's two errors per entry)."""
        if not isinstance(value, dict):
            return value
        bad: list[str] = []
        for name, entry in value.items():
            pairs = entry.items() if isinstance(entry, dict) else [(None, entry)]
            for inner, category in pairs:
                if category not in CATEGORIES:
                    bad.append(
                        _not_a_category(name if inner is None else f"{name}.{inner}", category)
                    )
        if bad:
            raise ValueError(
                "not a status category (use todo, in_progress or done): " + "; ".join(bad)
            )
        return value


CATEGORIES = ("todo", "in_progress", "done")


def _not_a_category(name: str, category: object) -> str:
    guess = re.sub(r"[\s\-]+", "_", str(category).strip().lower())
    hint = f" (did you mean {guess!r}?)" if guess in CATEGORIES else ""
    return f"{name!r} = {category!r}{hint}"
