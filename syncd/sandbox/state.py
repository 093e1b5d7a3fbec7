"""The in-memory world the sandbox serves: Jira issues and Trello boards, plain mutable records.

Tests may read and edit `Sandbox.state` directly (rename an issue, archive a card); take
`state.lock` around edits made while the server runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from syncd.sandbox.clock import SimClock
from syncd.sandbox.oauth import OAuth

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Status:
    """A Jira workflow status and the category it belongs to (new/indeterminate/done)."""

    id: str
    name: str
    category: str
    transition_id: str


STATUSES: tuple[Status, ...] = (
    Status("10000", "To Do", "new", "11"),
    Status("10001", "In Progress", "indeterminate", "21"),
    Status("10002", "In Review", "indeterminate", "31"),
    Status("10003", "Done", "done", "41"),
)
STATUS_BY_ID = {s.id: s for s in STATUSES}
STATUS_BY_NAME = {s.name.lower(): s for s in STATUSES}
# Jira's fixed status categories: key -> (id, name, colorName)
CATEGORIES: dict[str, tuple[int, str, str]] = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
ISSUE_TYPES: dict[str, tuple[str, bool, int]] = {  # name -> (id, subtask, hierarchyLevel)
    "Epic": ("10000", False, 1),
    "Story": ("10001", False, 0),
    "Task": ("10002", False, 0),
    "Sub-task": ("10003", True, -1),
    "Bug": ("10004", False, 0),
    "Risk": ("10005", False, 0),
}


@dataclass
class JiraUser:
    """A Jira account (Cloud uses accountId, Data Center uses name/key)."""

    account_id: str
    name: str
    display_name: str
    email: str
    time_zone: str


@dataclass
class Comment:
    """An issue comment; `body` is plain text, rendered as ADF on v3 and as a string on v2."""

    id: int
    author: str
    body: Any
    created: datetime
    updated: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkLog:
    """Time someone logged on an issue, starting at `started`."""

    id: int
    author: str
    started: datetime
    seconds: int
    created: datetime


@dataclass
class History:
    """One changelog entry: who changed what, when."""

    id: int
    author: str
    created: datetime
    items: list[JsonDict]


@dataclass
class Project:
    """A Jira project."""

    id: str
    key: str
    name: str
    components: list[str]


@dataclass
class Issue:
    """A Jira issue with the fields syncd reads."""

    id: int
    key: str
    project: str
    issuetype: str
    summary: str
    description: str
    status_id: str
    assignee: str | None
    reporter: str
    created: datetime
    updated: datetime
    priority: str = "Medium"
    duedate: date | None = None
    resolutiondate: datetime | None = None
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    original_estimate_s: int | None = None
    remaining_estimate_s: int | None = None
    time_spent_s: int | None = None
    story_points: float | None = None
    parent: str | None = None
    comments: list[Comment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    changelog: list[History] = field(default_factory=list)
    worklogs: list[WorkLog] = field(default_factory=list)  # time_spent_s is their sum

    @property
    def number(self) -> int:
        """The number after the dash in the key."""
        return int(self.key.rsplit("-", 1)[1])

    @property
    def status(self) -> Status:
        """The current workflow status."""
        return STATUS_BY_ID[self.status_id]


@dataclass
class Member:
    """A Trello member."""

    id: str
    username: str
    full_name: str


@dataclass
class Label:
    """A board label."""

    id: str
    id_board: str
    name: str
    color: str | None


@dataclass
class TList:
    """A Trello list (a column)."""

    id: str
    id_board: str
    name: str
    pos: float
    closed: bool = False


@dataclass
class CustomField:
    """A board's custom field definition; list fields carry options id -> text."""

    id: str
    id_board: str
    name: str
    type: str
    pos: float
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class CheckItem:
    """One checklist item."""

    id: str
    name: str
    state: str
    pos: float


@dataclass
class Checklist:
    """A card's checklist."""

    id: str
    id_board: str
    id_card: str
    name: str
    pos: float
    items: list[CheckItem] = field(default_factory=list)


@dataclass
class Card:
    """A Trello card."""

    id: str
    id_board: str
    id_list: str
    id_short: int
    name: str
    pos: float
    date_last_activity: datetime
    desc: str = ""
    closed: bool = False
    due: datetime | None = None
    due_complete: bool = False
    start: datetime | None = None
    id_labels: list[str] = field(default_factory=list)
    id_members: list[str] = field(default_factory=list)
    checklists: list[str] = field(default_factory=list)
    # idCustomField -> item {"id", "value"| "idValue"}
    custom_items: dict[str, JsonDict] = field(default_factory=dict)


@dataclass
class Action:
    """A Trello action (createCard, updateCard, commentCard)."""

    id: str
    id_board: str
    type: str
    date: datetime
    id_member_creator: str
    data: JsonDict


@dataclass
class Board:
    """A Trello board and the ids of what it holds (actions oldest first)."""

    id: str
    name: str
    short_link: str
    desc: str = ""
    closed: bool = False
    lists: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    custom_fields: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@dataclass
class Webhook:
    """A registered webhook: Trello (idModel set) or Jira admin (secret optional)."""

    id: str
    callback_url: str
    id_model: str = ""
    description: str = ""
    active: bool = True
    token: str = ""
    secret: str | None = None
    flavour: str = "cloud"
    events: list[str] = field(default_factory=list)


@dataclass
class DynamicWebhook:
    """A Jira Cloud dynamic webhook an OAuth app registered; it lapses at `expires`."""

    id: int
    client_id: str
    url: str
    events: list[str]
    jql: str
    expires: datetime
    field_ids: list[str] | None = None
    property_keys: list[str] | None = None


class State:
    """Everything the sandbox knows. Guard edits with `lock` while the server runs."""

    def __init__(self, clock: SimClock, *, jira_timezone: str) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.jira_timezone = jira_timezone
        self.trello_site = "https://trello.com"  # where card links point (the demo: the sandbox)
        self.version = 0
        self.users: dict[str, JiraUser] = {}
        self.projects: dict[str, Project] = {}
        self.issues: dict[str, Issue] = {}
        self.issue_keys_by_id: dict[int, str] = {}
        self.project_issue_keys: dict[str, list[str]] = {}  # for searches scoped to projects
        self.comment_issue_keys: dict[str, str] = {}  # comment id -> issue key, of comments added
        self.child_keys: dict[str, list[str]] = {}
        self.members: dict[str, Member] = {}
        self.boards: dict[str, Board] = {}
        self.lists: dict[str, TList] = {}
        self.labels: dict[str, Label] = {}
        self.custom_fields: dict[str, CustomField] = {}
        self.checklists: dict[str, Checklist] = {}
        self.cards: dict[str, Card] = {}
        self.actions: dict[str, Action] = {}
        self.trello_webhooks: dict[str, Webhook] = {}
        self.jira_webhooks: list[Webhook] = []
        self.oauth = OAuth(clock)
        self.dynamic_webhooks: dict[int, DynamicWebhook] = {}
        self.jira_denied: set[str] = set()  # permission keys the bot account lacks (tests)
        self.trello_token_writes = True  # False: the token was granted read access only
        self._counter = 0
        self._jira_counter = 20000
        self._worklog_counter = 30000
        self._dynamic_counter = 10000

    def touch(self) -> None:
        """Mark the data changed (search caches key on this)."""
        self.version += 1

    def next_jira_id(self) -> int:
        """A fresh numeric id for comments and changelog entries."""
        self._jira_counter += 1
        return self._jira_counter

    def next_worklog_id(self) -> int:
        """A fresh worklog id (its own sequence: logging work shifts no other id)."""
        self._worklog_counter += 1
        return self._worklog_counter

    def next_dynamic_webhook_id(self) -> int:
        """A fresh dynamic webhook id (never reused, as Jira's are not)."""
        self._dynamic_counter += 1
        return self._dynamic_counter

    def trello_id(self, when: datetime) -> str:
        """A Trello-style 24-hex id whose first 8 digits are the creation time, as Trello's are."""
        self._counter += 1
        return f"{int(when.timestamp()):08x}{self._counter:016x}"

    def issue(self, key_or_id: str) -> Issue | None:
        """Find an issue by key (case-insensitive) or numeric id."""
        if key_or_id.isdigit():
            key = self.issue_keys_by_id.get(int(key_or_id))
            return self.issues.get(key) if key else None
        return self.issues.get(key_or_id.upper())

    def add_issue(self, issue: Issue) -> None:
        """Register a new issue."""
        self.issues[issue.key] = issue
        self.issue_keys_by_id[issue.id] = issue.key
        self.project_issue_keys.setdefault(issue.project, []).append(issue.key)
        if issue.parent:
            self.child_keys.setdefault(issue.parent, []).append(issue.key)
        self.touch()

    def issues_in(self, projects: frozenset[str] | None) -> Iterable[Issue]:
        """Every issue, or those of `projects` (read from its index: a sandbox of a thousand
        projects answers a one-project search without looking at every issue)."""
        if projects is None:
            return self.issues.values()
        keys = (k for p in sorted(projects) for k in self.project_issue_keys.get(p, ()))
        return [self.issues[k] for k in keys if k in self.issues]

    def children(self, key: str) -> list[Issue]:
        """Issues whose parent is `key`, in key order."""
        return [self.issues[k] for k in self.child_keys.get(key, [])]

    def board_actions(self, board_id: str) -> list[Action]:
        """A board's actions, oldest first."""
        return [self.actions[a] for a in self.boards[board_id].actions]
