"""A whole issue as JSON: the requested fields, expansions and properties."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from zoneinfo import ZoneInfo

from syncd.sandbox.clock import jira_date, jira_datetime
from syncd.sandbox.jira_render import (
    EMBEDDED_CAP,
    Flavour,
    JsonDict,
    comment_json,
    field_catalogue,
    history_json,
    issuetype_json,
    link_json,
    priority_id,
    rich_text,
    status_json,
    timetracking,
    user_json,
    worklog_json,
)
from syncd.sandbox.state import Issue, State

EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
FieldRenderer = Callable[[State, Issue, Flavour, ZoneInfo], Any]


def _resolution(state: State, issue: Issue, flavour: Flavour, tz: ZoneInfo) -> Any:
    if issue.status.category != "done":
        return None
    return {
        "self": f"{flavour.api}/resolution/10000",
        "id": "10000",
        "name": "Done",
        "description": "Work has been completed on this issue.",
    }


def _comments(state: State, issue: Issue, flavour: Flavour, tz: ZoneInfo) -> Any:
    shown = issue.comments[:EMBEDDED_CAP]
    return {
        "comments": [comment_json(state, issue, c, flavour) for c in shown],
        "self": f"{flavour.api}/issue/{issue.id}/comment",
        "maxResults": len(shown),
        "total": len(issue.comments),
        "startAt": 0,
    }


def _worklogs(state: State, issue: Issue, flavour: Flavour, tz: ZoneInfo) -> Any:
    shown = issue.worklogs[:EMBEDDED_CAP]
    return {
        "startAt": 0,
        "maxResults": len(shown),
        "total": len(issue.worklogs),
        "worklogs": [worklog_json(state, issue, w, flavour) for w in shown],
    }


def _parent(state: State, issue: Issue, flavour: Flavour, tz: ZoneInfo) -> Any:
    parent = state.issues.get(issue.parent) if issue.parent else None
    if parent is None or (not flavour.cloud and issue.issuetype != "Sub-task"):
        return None
    return link_json(state, parent, flavour)


def _project(state: State, issue: Issue, flavour: Flavour, tz: ZoneInfo) -> Any:
    project = state.projects[issue.project]
    return {
        "self": f"{flavour.api}/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": "software",
    }


def _components(state: State, issue: Issue, flavour: Flavour, tz: ZoneInfo) -> Any:
    return [
        {"self": f"{flavour.api}/component/{n}", "id": str(10000 + n), "name": name}
        for n, name in enumerate(issue.components)
    ]


RENDERERS: dict[str, FieldRenderer] = {
    "summary": lambda s, i, f, tz: i.summary,
    "status": lambda s, i, f, tz: status_json(i.status, f),
    "issuetype": lambda s, i, f, tz: issuetype_json(i.issuetype, f),
    "project": _project,
    "assignee": lambda s, i, f, tz: user_json(s, i.assignee, f),
    "reporter": lambda s, i, f, tz: user_json(s, i.reporter, f),
    "created": lambda s, i, f, tz: jira_datetime(i.created, tz),
    "updated": lambda s, i, f, tz: jira_datetime(i.updated, tz),
    "duedate": lambda s, i, f, tz: jira_date(i.duedate),
    "resolutiondate": lambda s, i, f, tz: (
        jira_datetime(i.resolutiondate, tz) if i.resolutiondate else None
    ),
    "resolution": _resolution,
    "labels": lambda s, i, f, tz: list(i.labels),
    "components": _components,
    "priority": lambda s, i, f, tz: {
        "self": f"{f.api}/priority/{priority_id(i.priority)}",
        "name": i.priority,
        "id": str(priority_id(i.priority)),
    },
    "timetracking": lambda s, i, f, tz: timetracking(i),
    "timeoriginalestimate": lambda s, i, f, tz: i.original_estimate_s,
    "timeestimate": lambda s, i, f, tz: i.remaining_estimate_s,
    "timespent": lambda s, i, f, tz: i.time_spent_s,
    "subtasks": lambda s, i, f, tz: [
        link_json(s, c, f) for c in s.children(i.key) if c.issuetype == "Sub-task"
    ],
    "parent": _parent,
    "description": lambda s, i, f, tz: rich_text(i.description, f) if i.description else None,
    "comment": _comments,
    "worklog": _worklogs,
}


def field_value(state: State, issue: Issue, name: str, flavour: Flavour, tz: ZoneInfo) -> Any:
    """One field's JSON value; unknown names give `...` (left out, as Jira does)."""
    if name == flavour.points_field:
        return issue.story_points
    if name == flavour.epic_link_field:
        return issue.parent if issue.parent and issue.issuetype != "Sub-task" else None
    renderer = RENDERERS.get(name)
    return ... if renderer is None else renderer(state, issue, flavour, tz)


def issue_json(
    state: State,
    issue: Issue,
    flavour: Flavour,
    *,
    fields: list[str],
    expand: Collection[str] = (),
    properties: list[str] | None = None,
    id_only: bool = False,
) -> JsonDict:
    """An issue with `fields` (field ids), expansions and the named properties."""
    if id_only:
        return {"id": str(issue.id)}
    tz = ZoneInfo(state.jira_timezone)
    out: JsonDict = {
        "expand": EXPAND,
        "id": str(issue.id),
        "self": f"{flavour.api}/issue/{issue.id}",
        "key": issue.key,
    }
    values: JsonDict = {}
    for name in fields:
        value = field_value(state, issue, name, flavour, tz)
        if value is not ...:
            values[name] = value
    if fields:
        out["fields"] = values
    if properties:
        out["properties"] = {k: issue.properties[k] for k in properties if k in issue.properties}
    add_expansions(state, issue, flavour, out, expand, fields)
    return out


def add_expansions(
    state: State,
    issue: Issue,
    flavour: Flavour,
    out: JsonDict,
    expand: Collection[str],
    fields: list[str],
) -> None:
    """`changelog`, `names`, `schema`, `renderedFields` where asked."""
    if "changelog" in expand:
        shown = issue.changelog[:EMBEDDED_CAP]
        out["changelog"] = {
            "startAt": 0,
            "maxResults": len(shown),
            "total": len(issue.changelog),
            "histories": [history_json(state, h, flavour) for h in shown],
        }
    catalogue = {f["id"]: f for f in field_catalogue(flavour)}
    if "names" in expand:
        out["names"] = {f: catalogue[f]["name"] for f in fields if f in catalogue}
    if "schema" in expand:
        out["schema"] = {f: catalogue[f]["schema"] for f in fields if f in catalogue}
    if "renderedfields" in expand:
        out["renderedFields"] = {"description": f"<p>{issue.description}</p>"}
