"""Issues, users, statuses and comments as Jira's JSON, for both flavours.

A `Flavour` says which deployment (Cloud or Data Center) and which REST version (2 or 3)
answers: v3 writes rich text as ADF, v2 as strings; Data Center names users instead of
giving account ids and keeps Story Points and Epic Link in other custom fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from syncd.sandbox.clock import jira_datetime
from syncd.sandbox.state import (
    CATEGORIES,
    ISSUE_TYPES,
    Comment,
    History,
    Issue,
    State,
    Status,
    WorkLog,
)

JsonDict = dict[str, Any]
NOT_NAVIGABLE = frozenset({"comment", "worklog"})
EMBEDDED_CAP = 20  # search embeds at most 20 comments and 20 changelog entries


@dataclass(frozen=True)
class Flavour:
    """Who is answering: Cloud or Data Center, REST v2 or v3, under which base URL."""

    cloud: bool
    version: int
    base: str

    @property
    def api(self) -> str:
        return f"{self.base}/rest/api/{self.version}"

    @property
    def points_field(self) -> str:
        return "customfield_10016" if self.cloud else "customfield_10106"

    @property
    def epic_link_field(self) -> str | None:
        return None if self.cloud else "customfield_10101"


def field_catalogue(flavour: Flavour) -> list[JsonDict]:
    """What `GET /field` answers: system fields plus the custom ones."""
    system = [
        ("summary", "Summary", "string"),
        ("status", "Status", "status"),
        ("issuetype", "Issue Type", "issuetype"),
        ("project", "Project", "project"),
        ("assignee", "Assignee", "user"),
        ("reporter", "Reporter", "user"),
        ("created", "Created", "datetime"),
        ("updated", "Updated", "datetime"),
        ("duedate", "Due date", "date"),
        ("resolutiondate", "Resolved", "datetime"),
        ("resolution", "Resolution", "resolution"),
        ("labels", "Labels", "array"),
        ("components", "Components", "array"),
        ("priority", "Priority", "priority"),
        ("timetracking", "Time tracking", "timetracking"),
        ("timeoriginalestimate", "Original Estimate", "number"),
        ("timeestimate", "Remaining Estimate", "number"),
        ("timespent", "Time Spent", "number"),
        ("subtasks", "Sub-tasks", "array"),
        ("parent", "Parent", "issuelink"),
        ("description", "Description", "string"),
        ("comment", "Comment", "comments-page"),
    ]
    fields = [
        {
            "id": fid,
            "key": fid,
            "name": name,
            "custom": False,
            "orderable": True,
            "navigable": fid not in NOT_NAVIGABLE,
            "searchable": True,
            "clauseNames": [fid],
            "schema": {"type": kind, "system": fid},
        }
        for fid, name, kind in system
    ]
    fields.append(custom_field(flavour.points_field, "Story Points", "number", "float"))
    if flavour.epic_link_field:
        fields.append(custom_field(flavour.epic_link_field, "Epic Link", "any", "gh-epic-link"))
    return fields


def custom_field(fid: str, name: str, kind: str, plugin: str) -> JsonDict:
    """One custom field's catalogue entry."""
    number = int(fid.rsplit("_", 1)[1])
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]", name],
        "schema": {
            "type": kind,
            "custom": f"com.pyxis.greenhopper.jira:{plugin}",
            "customId": number,
        },
    }


def user_json(state: State, account_id: str | None, flavour: Flavour) -> JsonDict | None:
    """A user as Cloud (accountId) or Data Center (name/key) shows it."""
    if account_id is None:
        return None
    user = state.users[account_id]
    avatar = f"https://avatars.example.com/{user.name}.png"
    out: JsonDict = {
        "self": f"{flavour.api}/user?accountId={user.account_id}",
        "displayName": user.display_name,
        "emailAddress": user.email,
        "active": True,
        "timeZone": user.time_zone,
        "avatarUrls": {size: f"{avatar}?s={size}" for size in ("16x16", "24x24", "32x32", "48x48")},
    }
    if flavour.cloud:
        out["accountId"] = user.account_id
        out["accountType"] = "atlassian"
    else:
        out["self"] = f"{flavour.api}/user?username={user.name}"
        out["name"] = user.name
        out["key"] = user.name
    return out


def status_json(status: Status, flavour: Flavour) -> JsonDict:
    """A status with its category."""
    cat_id, cat_name, color = CATEGORIES[status.category]
    return {
        "self": f"{flavour.api}/status/{status.id}",
        "description": "",
        "iconUrl": f"{flavour.base}/images/icons/statuses/generic.png",
        "name": status.name,
        "id": status.id,
        "statusCategory": {
            "self": f"{flavour.api}/statuscategory/{cat_id}",
            "id": cat_id,
            "key": status.category,
            "colorName": color,
            "name": cat_name,
        },
    }


def issuetype_json(name: str, flavour: Flavour) -> JsonDict:
    """An issue type."""
    type_id, subtask, level = ISSUE_TYPES[name]
    return {
        "self": f"{flavour.api}/issuetype/{type_id}",
        "id": type_id,
        "name": name,
        "description": "",
        "subtask": subtask,
        "hierarchyLevel": level,
        "iconUrl": f"{flavour.base}/images/icons/issuetypes/{name.lower()}.png",
    }


def rich_text(text: Any, flavour: Flavour) -> Any:
    """Plain text as v3 ADF or as a v2 string (stored ADF is flattened for v2)."""
    if flavour.version == 3:
        if isinstance(text, dict):
            return text
        return {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": str(text)}]}],
        }
    return adf_text(text) if isinstance(text, dict) else str(text)


def adf_text(node: Any) -> str:
    """The text inside an ADF document, paragraphs joined by newlines."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        parts = [adf_text(child) for child in node.get("content", [])]
        return ("\n" if node.get("type") == "doc" else "").join(parts)
    return ""


def duration(seconds: int) -> str:
    """Seconds as Jira writes durations (8h days, 5d weeks): `1w 2d 3h 30m`."""
    parts = []
    for unit, size in (("w", 144000), ("d", 28800), ("h", 3600), ("m", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0m"


def timetracking(issue: Issue) -> JsonDict:
    """The timetracking field: strings and seconds for whatever is set."""
    out: JsonDict = {}
    for name, value in (
        ("originalEstimate", issue.original_estimate_s),
        ("remainingEstimate", issue.remaining_estimate_s),
        ("timeSpent", issue.time_spent_s),
    ):
        if value is not None:
            out[name] = duration(value)
            out[f"{name}Seconds"] = value
    return out


def link_json(state: State, issue: Issue, flavour: Flavour) -> JsonDict:
    """The short form of an issue used for parent and subtasks."""
    return {
        "id": str(issue.id),
        "key": issue.key,
        "self": f"{flavour.api}/issue/{issue.id}",
        "fields": {
            "summary": issue.summary,
            "status": status_json(issue.status, flavour),
            "priority": {"name": issue.priority, "id": str(priority_id(issue.priority))},
            "issuetype": issuetype_json(issue.issuetype, flavour),
        },
    }


def priority_id(name: str) -> int:
    """Jira's default priority ids."""
    return {"Highest": 1, "High": 2, "Medium": 3, "Low": 4, "Lowest": 5}.get(name, 3)


def comment_json(
    state: State, issue: Issue, comment: Comment, flavour: Flavour, *, with_properties: bool = False
) -> JsonDict:
    """One comment; properties only when asked (`expand=properties`)."""
    tz = ZoneInfo(state.jira_timezone)
    out: JsonDict = {
        "self": f"{flavour.api}/issue/{issue.id}/comment/{comment.id}",
        "id": str(comment.id),
        "author": user_json(state, comment.author, flavour),
        "body": rich_text(comment.body, flavour),
        "updateAuthor": user_json(state, comment.author, flavour),
        "created": jira_datetime(comment.created, tz),
        "updated": jira_datetime(comment.updated, tz),
    }
    if flavour.cloud:
        out["jsdPublic"] = True
    if with_properties:
        out["properties"] = [{"key": k, "value": v} for k, v in comment.properties.items()]
    return out


def worklog_json(state: State, issue: Issue, log: WorkLog, flavour: Flavour) -> JsonDict:
    """One worklog, dated by `started`."""
    tz = ZoneInfo(state.jira_timezone)
    return {
        "self": f"{flavour.api}/issue/{issue.id}/worklog/{log.id}",
        "author": user_json(state, log.author, flavour),
        "updateAuthor": user_json(state, log.author, flavour),
        "created": jira_datetime(log.created, tz),
        "updated": jira_datetime(log.created, tz),
        "started": jira_datetime(log.started, tz),
        "timeSpent": duration(log.seconds),
        "timeSpentSeconds": log.seconds,
        "id": str(log.id),
        "issueId": str(issue.id),
    }


def history_json(state: State, history: History, flavour: Flavour) -> JsonDict:
    """One changelog entry."""
    return {
        "id": str(history.id),
        "author": user_json(state, history.author, flavour),
        "created": jira_datetime(history.created, ZoneInfo(state.jira_timezone)),
        "items": history.items,
    }


def select_fields(requested: Iterable[str], flavour: Flavour, *, default: str) -> list[str]:
    """Resolve a `fields` parameter (`*all`, `*navigable`, names, `-name`) to field ids."""
    names = [n.strip() for n in requested if n.strip()] or [default]
    every = [f["id"] for f in field_catalogue(flavour)]
    chosen: list[str] = []
    for name in names:
        if name == "*all":
            chosen.extend(every)
        elif name == "*navigable":
            chosen.extend(f for f in every if f not in NOT_NAVIGABLE)
        elif not name.startswith("-"):
            chosen.append(name)
    excluded = {n[1:] for n in names if n.startswith("-")}
    return [f for f in dict.fromkeys(chosen) if f not in excluded]
