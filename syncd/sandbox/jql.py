"""The slice of JQL syncd and its tests use: clauses joined by AND/OR/NOT, IN lists,
date comparisons at minute precision in the account time zone, and ORDER BY.

`parse(text, tz)` returns a `Query` whose `match(issue)` and `sort(issues)` do the work;
errors raise `JqlError` with the message Jira would give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from syncd.sandbox.state import Issue

Predicate = Callable[[Issue], bool]
TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|!~|[=<>~(),])"""
    r"""|(?P<word>[^\s"'=<>!~(),]+))"""
)
RELATIVE = re.compile(r"^([+-]?\d+)([mhdw])$")
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DATE_FIELDS = {"updated", "created", "resolutiondate", "resolved", "duedate", "due"}
SORTABLE = {
    "key",
    "issuekey",
    "id",
    "updated",
    "created",
    "duedate",
    "summary",
    "priority",
    "status",
    "project",
    "resolutiondate",
    "resolved",
}


class JqlError(ValueError):
    """The query cannot be parsed or names something that does not exist."""


@dataclass(frozen=True)
class Query:
    """A parsed query: a predicate (None when unbounded) and sort keys."""

    where: Predicate | None
    order: tuple[tuple[str, bool], ...]
    projects: frozenset[str] | None = None  # every match is in one of these (None: any)

    @property
    def bounded(self) -> bool:
        """True when the query restricts the result (Jira Cloud rejects unbounded ones)."""
        return self.where is not None

    def run(self, issues: Iterable[Issue]) -> list[Issue]:
        """Filter and sort; ties are broken by id so paging is stable."""
        where = self.where
        found = [i for i in issues if where is None or where(i)]
        found.sort(key=lambda i: i.id)
        for name, descending in reversed(self.order or (("key", True),)):
            found.sort(key=partial(sort_value, name=name), reverse=descending)
        return found


def sort_value(issue: Issue, name: str) -> Any:
    """The value ORDER BY compares for one field (None sorts first)."""
    value = field_value(issue, name)
    if name in ("key", "issuekey"):
        return (issue.project, issue.number)
    if isinstance(value, list):
        value = value[0] if value else None
    return (value is not None, value if value is not None else 0)


GETTERS: dict[str, Callable[[Issue], Any]] = {
    "project": lambda i: i.project,
    "key": lambda i: i.key,
    "issuekey": lambda i: i.key,
    "id": lambda i: i.id,
    "status": lambda i: i.status.name.lower(),
    "statuscategory": lambda i: i.status.category,
    "issuetype": lambda i: i.issuetype.lower(),
    "type": lambda i: i.issuetype.lower(),
    "assignee": lambda i: i.assignee,
    "reporter": lambda i: i.reporter,
    "labels": lambda i: [lb.lower() for lb in i.labels],
    "component": lambda i: [c.lower() for c in i.components],
    "parent": lambda i: i.parent,
    "summary": lambda i: i.summary.lower(),
    "text": lambda i: i.summary.lower(),
    "priority": lambda i: i.priority.lower(),
    "updated": lambda i: i.updated,
    "created": lambda i: i.created,
    "resolutiondate": lambda i: i.resolutiondate,
    "resolved": lambda i: i.resolutiondate,
    "duedate": lambda i: i.duedate,
    "due": lambda i: i.duedate,
}


def field_value(issue: Issue, name: str) -> Any:
    """What a JQL field name means for an issue."""
    return GETTERS[name](issue)


def tokenize(text: str) -> list[str]:
    """Split JQL into tokens; strings keep their quotes so they are not read as keywords."""
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {pos}.")
        tokens.append(match.group().strip())
        pos = match.end()
    return [t for t in tokens if t]


def parse(text: str, tz: ZoneInfo, *, now: datetime, projects: Iterable[str] = ()) -> Query:
    """Parse `text`; date literals are read in `tz`, relative dates against `now`."""
    parser = Parser(tokenize(text), tz, now, {p.upper() for p in projects})
    return parser.query()


class Parser:
    """A small recursive-descent parser over the token list."""

    def __init__(self, tokens: list[str], tz: ZoneInfo, now: datetime, projects: set[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.tz = tz
        self.now = now
        self.projects = projects
        self.any_or = False  # an OR anywhere: no project scope is read from the query
        self.negated = 0  # how many NOTs the parser is inside
        self.scopes: list[frozenset[str]] = []  # the projects each `project =`/`in` allows

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        if not token:
            raise JqlError("Error in the JQL Query: the query is incomplete.")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        if all(self.peek(n).lower() == w for n, w in enumerate(words)):
            self.pos += len(words)
            return True
        return False

    def query(self) -> Query:
        where = None if self.peek().lower() in ("", "order") else self.or_clause()
        order: list[tuple[str, bool]] = []
        if self.keyword("order", "by"):
            order = self.order_by()
        if self.peek():
            raise JqlError(
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{self.peek()}'."
            )
        scope = None if self.any_or or not self.scopes else frozenset.intersection(*self.scopes)
        return Query(where, tuple(order), scope)

    def order_by(self) -> list[tuple[str, bool]]:
        order: list[tuple[str, bool]] = []
        while True:
            name = unquote(self.take()).lower()
            if name not in SORTABLE:
                raise JqlError(f"Not able to sort using field '{name}'.")
            descending = self.keyword("desc")
            if not descending:
                self.keyword("asc")
            order.append((name, descending))
            if not self.keyword(","):
                break
        if len(order) > 7:
            raise JqlError("The ORDER BY clause can contain at most 7 fields.")
        return order

    def or_clause(self) -> Predicate:
        parts = [self.and_clause()]
        while self.keyword("or"):
            self.any_or = True
            parts.append(self.and_clause())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def and_clause(self) -> Predicate:
        parts = [self.not_clause()]
        while self.keyword("and"):
            parts.append(self.not_clause())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def not_clause(self) -> Predicate:
        if self.keyword("not"):
            self.negated += 1
            inner = self.not_clause()
            self.negated -= 1
            return lambda i: not inner(i)
        if self.keyword("("):
            inner = self.or_clause()
            if not self.keyword(")"):
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        return self.term()

    def term(self) -> Predicate:
        name = unquote(self.take()).lower()
        name = {"issue": "issuekey"}.get(name, name)
        field_value_probe(name)
        if self.keyword("not", "in"):
            values = self.value_list(name)
            return lambda i: not membership(field_value(i, name), values)
        if self.keyword("in"):
            values = self.value_list(name)
            if name == "project" and not self.negated:
                self.scopes.append(frozenset(values))
            return lambda i: membership(field_value(i, name), values)
        if self.keyword("is", "not"):
            self.take()
            return lambda i: field_value(i, name) not in (None, [])
        if self.keyword("is"):
            self.take()
            return lambda i: field_value(i, name) in (None, [])
        op = self.take()
        value = self.literal(name, self.take())
        if name == "project" and op == "=" and not self.negated:
            self.scopes.append(frozenset([value]))
        return comparison(name, op, value)

    def value_list(self, name: str) -> list[Any]:
        if not self.keyword("("):
            raise JqlError("Error in the JQL Query: expecting '(' after IN.")
        values = [self.literal(name, self.take())]
        while self.keyword(","):
            values.append(self.literal(name, self.take()))
        if not self.keyword(")"):
            raise JqlError("Error in the JQL Query: expecting ')' to close the IN list.")
        return values

    def literal(self, name: str, token: str) -> Any:
        text = unquote(token)
        if name in DATE_FIELDS:
            return self.date_literal(text, date_only=name in ("duedate", "due"))
        if name == "project" and text.upper() not in self.projects:
            raise JqlError(f"The value '{text}' does not exist for the field 'project'.")
        if name in ("key", "issuekey", "parent", "project"):
            return text.upper()
        if name == "id":
            return int(text)
        return text.lower()

    def date_literal(self, text: str, *, date_only: bool) -> datetime | date:
        relative = RELATIVE.match(text)
        if relative:
            moment = self.now + timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
        elif text.lower() in ("now()", "now"):
            moment = self.now
        else:
            moment = self.absolute(text)
        return moment.astimezone(self.tz).date() if date_only else moment

    def absolute(self, text: str) -> datetime:
        for fmt in DATE_FORMATS:
            try:
                naive = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone attached below
            except ValueError:
                continue
            return naive.replace(tzinfo=self.tz)
        raise JqlError(
            f"Date value '{text}' for field is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        )


def field_value_probe(name: str) -> None:
    """Reject unknown field names at parse time."""
    if name not in GETTERS:
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


def unquote(token: str) -> str:
    """Strip JQL quotes and backslash escapes."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def membership(actual: Any, values: list[Any]) -> bool:
    """IN semantics; multi-valued fields match when any value matches."""
    if isinstance(actual, list):
        return any(a in values for a in actual)
    return actual in values


def comparison(name: str, op: str, value: Any) -> Predicate:
    """A predicate for `name op value`; ordering compares only where the field is set."""
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: membership(a, [b]),
        "!=": lambda a, b: a is not None and not membership(a, [b]),
        ">": lambda a, b: a is not None and a > b,
        ">=": lambda a, b: a is not None and a >= b,
        "<": lambda a, b: a is not None and a < b,
        "<=": lambda a, b: a is not None and a <= b,
        "~": lambda a, b: isinstance(a, str) and b in a,
        "!~": lambda a, b: isinstance(a, str) and b not in a,
    }
    check = ops.get(op)
    if check is None:
        raise JqlError(f"Error in the JQL Query: the operator '{op}' is not supported.")
    getter = GETTERS[name]
    return lambda i: check(getter(i), value)
