"""The normalized model: one shape for a Jira issue and a Trello card, and the plan they answer to.

Everything here is a frozen value. Datetimes are timezone-aware UTC; hours are floats in hours.
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

import orjson


class StatusCategory(StrEnum):
    """Where an item stands, whatever the tool calls its status."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One transition in an item's history, as the tool recorded it."""

    at: datetime
    from_status: str | None
    to_status: str
    to_category: StatusCategory | None = None


@dataclass(frozen=True, slots=True)
class Worklog:
    """Time logged on an item, dated: who logged it is not kept (no personal data is needed)."""

    id: str
    started: datetime
    seconds: int


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One Jira issue or one Trello card, seen the same way.

    `source` is the configured connector id (e.g. ``acme-jira``); (source, external_id) is the key.
    """

    source: str
    external_id: str
    key: str
    title: str
    url: str = ""
    type: str = ""
    status: str = ""
    category: StatusCategory = StatusCategory.TODO
    assignee: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    start: datetime | None = None
    due: datetime | None = None
    resolved: datetime | None = None
    estimate_hours: float | None = None
    remaining_hours: float | None = None
    spent_hours: float | None = None
    story_points: float | None = None
    checklist_done: int = 0
    checklist_total: int = 0
    subitems_done: int = 0
    subitems_total: int = 0
    parent: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    container: str | None = None  # Trello list name, Jira project key
    fields: tuple[tuple[str, str], ...] = ()  # selected custom fields, name -> text
    plan_task: str | None = None
    deleted: bool = False
    archived: bool = False
    history: tuple[StatusChange, ...] = ()
    worklogs: tuple[Worklog, ...] = ()  # dated logged time, oldest first, where the tool gives it
    content_hash: str = ""

    def with_hash(self) -> WorkItem:
        """Set `content_hash` to cover every pulled field, and return the item.

        For the code that has just built the item, before anyone else holds it: a copy through
        `dataclasses.replace` cost a fifth of normalizing a Jira issue.
        """
        object.__setattr__(self, "content_hash", content_hash(self))
        return self

    @property
    def ident(self) -> tuple[str, str]:
        return (self.source, self.external_id)

    @property
    def actual_start(self) -> datetime | None:
        """First time the item left todo, from history; else the start the tool reported."""
        for change in self.history:
            if change.to_category in (StatusCategory.IN_PROGRESS, StatusCategory.DONE):
                return change.at
        return self.start

    @property
    def actual_finish(self) -> datetime | None:
        """Last time the item entered done, when it is done now."""
        if self.category is not StatusCategory.DONE:
            return None
        done_at = [c.at for c in self.history if c.to_category is StatusCategory.DONE]
        return done_at[-1] if done_at else self.resolved


_ITEM_FIELDS = tuple(f.name for f in fields(WorkItem))
_HASHED = tuple(name for name in _ITEM_FIELDS if name not in ("content_hash", "plan_task"))
_hashed_values = operator.attrgetter(*_HASHED)


def content_hash(item: WorkItem) -> str:
    """A stable digest of what was pulled (everything but the link and the hash itself).

    It hashes the values as JSON (orjson writes strings, numbers, enums, tuples, the nested
    `StatusChange`s and aware datetimes the same way every time), at a third of the cost of
    their `repr`.
    """
    blob = orjson.dumps(_hashed_values(item))
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A raw payload that could not be normalized, kept with its error."""

    source: str
    external_id: str
    error: str
    payload: str = ""


@dataclass(frozen=True, slots=True)
class PullResult:
    """What one pull produced: items, quarantined payloads, and the cursor they justify."""

    items: list[WorkItem] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    cursor: datetime | None = None
    requests: int = 0
    census: frozenset[str] | None = None  # every external id visible, when a census ran
    rest: tuple[str, ...] = ()  # a slice (`limit`): the ids it left for the next pull


_DT_FIELDS = ("created", "updated", "start", "due", "resolved")
_CATEGORIES = {c.value: c for c in StatusCategory}


def _dt(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)  # the store writes UTC


def _category(value: str) -> StatusCategory:
    """The category of its value: a dict look-up, at a fifth of the enum's own call."""
    return _CATEGORIES.get(value) or StatusCategory(value)  # the enum raises for the unknown


def item_from_dict(data: dict[str, Any]) -> WorkItem:
    """A WorkItem from its JSON form, as the store writes it (datetimes as ISO-8601).

    A reconcile reads every item of its client this way; each step here is the cheapest that
    gives the same value (20 -> 12 us an item)."""
    values = dict(data)
    for name in _DT_FIELDS:
        values[name] = _dt(values.get(name))
    values["category"] = _category(values.get("category", "todo"))
    values["labels"] = tuple(values.get("labels", ()))
    values["components"] = tuple(values.get("components", ()))
    values["fields"] = tuple(tuple(pair) for pair in values.get("fields", ()))
    history = values.get("history")
    values["history"] = (
        tuple(
            StatusChange(
                _dt(h["at"]),  # type: ignore[arg-type]  # never None: a change has its time
                h.get("from_status"),
                h["to_status"],
                _category(to) if (to := h.get("to_category")) else None,
            )
            for h in history
        )
        if history
        else ()
    )
    logged = values.get("worklogs")
    values["worklogs"] = (
        tuple(Worklog(w["id"], _dt(w["started"]), int(w["seconds"])) for w in logged)  # type: ignore[arg-type]
        if logged
        else ()
    )
    return WorkItem(**values)


# How a tracker takes a status body: Markdown (Trello), Atlassian Document Format (Jira Cloud),
# wiki markup (Jira Data Center), HTML. `syncd.reports` has one renderer per format.
BodyFormat = Literal["markdown", "adf", "wiki", "html"]


@dataclass(frozen=True, slots=True)
class Problem:
    """An open sync problem: a failed pull or push, a quarantined item, a dead letter."""

    kind: str
    source: str | None
    message: str
    at: datetime | None
    job_id: int | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """Dead letters read as the one problem they are: every dead push to one target (its newest
    status is all that needs to land), or one other dead job. Two statuses that could not be
    written to a deleted issue are one thing to fix, not two."""

    kind: str  # the job kind: push, pull, reconcile, webhook, deliver
    client: str
    target: str | None  # as the jobs name it: `connector:target` for a push
    failed: int  # dead letters in it
    message: str  # the newest one's error
    first_at: datetime | None  # when the first of them failed
    last_at: datetime | None  # when the latest failed
    job_id: int  # the newest: the one a replay sends again


@dataclass(frozen=True, slots=True)
class Health:
    """The store's view of a client's sync: last successful pulls, open errors, dead letters
    (each one among `problems`, and as `failures`: by target)."""

    checked_at: datetime
    pulls: tuple[tuple[str, datetime | None], ...] = ()  # (source, last success)
    problems: tuple[Problem, ...] = ()
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusPush:
    """The consolidated status of one client, rendered for every target kind.

    Built by `syncd.reports`; connectors only write it. `digest` identifies the content: a target
    whose stored digest equals it is left alone. Markdown, ADF and wiki markup are always there;
    HTML when a connector of the client takes it (`html` is empty otherwise).
    """

    client: str
    rag: str  # "red" | "amber" | "green"
    headline: str  # one line, e.g. "Amber: SPI 0.91, Go-live +3 working days"
    markdown: str  # Trello card description and comment
    adf: dict[str, Any]  # Jira Cloud comment body (Atlassian Document Format)
    wiki: str  # Jira Data Center comment body (wiki markup)
    machine: dict[str, Any]  # the machine-readable status (Jira issue property `syncd.status`)
    fields: tuple[tuple[str, str], ...] = ()  # e.g. (("RAG", "Amber"), ("SPI", "0.91"))
    dashboard_url: str = ""
    digest: str = ""
    # Where the project stands as a whole (nothing started, under way, every task done): the
    # status category a status issue is moved to when its connector has `push.transitions`.
    # None (a status queued before syncd knew it) moves nothing.
    category: StatusCategory | None = None
    html: str = ""  # an HTML fragment, for a tracker that takes HTML

    def body(self, fmt: BodyFormat) -> Any:
        """The body rendered in `fmt` (a connector's `ConnectorKind.body` says which)."""
        return getattr(self, fmt)


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What a push did: the remote ids to remember, whether anything changed, warnings."""

    remote: dict[str, Any]
    changed: bool
    writes: int = 0
    warnings: tuple[str, ...] = ()
