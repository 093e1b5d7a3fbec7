"""Jira issue endpoints: read and edit issues, transitions, and issue properties."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from starlette.responses import Response

from syncd.sandbox.data import BOT_ACCOUNT, record_status_change
from syncd.sandbox.events import notify_issue
from syncd.sandbox.jira_fields import issue_json
from syncd.sandbox.jira_properties import keys_answer, put_value, value_answer
from syncd.sandbox.jira_render import JsonDict, select_fields, status_json
from syncd.sandbox.jira_search import find_issue, split_list
from syncd.sandbox.routing import ApiError, Call, json_response
from syncd.sandbox.state import STATUSES, History, Issue


def get_issue(call: Call) -> Response:
    """`GET /issue/{key}`: all fields by default, `expand`, `properties`."""
    issue = find_issue(call)
    assert call.flavour is not None
    fields = select_fields(split_list(call.query.getlist("fields")), call.flavour, default="*all")
    expand = {e.lower() for e in split_list(call.query.get("expand"))}
    properties = split_list(call.query.getlist("properties"))
    return json_response(
        issue_json(
            call.ctx.state,
            issue,
            call.flavour,
            fields=[f for f in fields if f not in ("id", "key")],
            expand=expand,
            properties=properties,
        )
    )


def edit_issue(call: Call) -> Response:
    """`PUT /issue/{key}`: `fields`, `update` (labels add/remove/set) and `properties`."""
    issue = find_issue(call)
    body = call.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    items: list[JsonDict] = []
    for name, value in (body.get("fields") or {}).items():
        items.extend(set_field(call, issue, name, value))
    for name, operations in (body.get("update") or {}).items():
        for operation in operations:
            items.extend(apply_update(issue, name, operation))
    for prop in body.get("properties") or []:
        issue.properties[str(prop["key"])] = prop["value"]
    changed(call, issue, items)
    if str(call.query.get("returnIssue", "")).lower() == "true":
        assert call.flavour is not None
        fields = select_fields([], call.flavour, default="*all")
        return json_response(issue_json(call.ctx.state, issue, call.flavour, fields=fields))
    return Response(status_code=204)


def set_field(call: Call, issue: Issue, name: str, value: Any) -> list[JsonDict]:
    """Set one field from `fields`; returns the changelog items."""
    assert call.flavour is not None
    if name == "labels":
        return label_change(issue, [str(v) for v in value or []])
    if name == "summary":
        old, issue.summary = issue.summary, str(value)
        return [change_item("summary", old, issue.summary)]
    if name == "duedate":
        old_due = issue.duedate
        issue.duedate = date.fromisoformat(value) if value else None
        return [change_item("duedate", str(old_due or ""), str(issue.duedate or ""))]
    if name == call.flavour.points_field:
        issue.story_points = None if value is None else float(value)
        return [change_item("Story Points", "", str(value))]
    if name == "description":
        issue.description = value if isinstance(value, str) else json.dumps(value)
        return [change_item("description", "", "")]
    raise ApiError(
        400,
        "",
        errors={
            name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        },
    )


def apply_update(issue: Issue, name: str, operation: dict[str, Any]) -> list[JsonDict]:
    """One `update` operation; only labels support add/remove/set."""
    if name != "labels":
        raise ApiError(
            400, "", errors={name: f"Field '{name}' does not support update operations."}
        )
    labels = list(issue.labels)
    for verb, value in operation.items():
        if verb == "add" and value not in labels:
            labels.append(str(value))
        elif verb == "remove" and value in labels:
            labels.remove(value)
        elif verb == "set":
            labels = [str(v) for v in value]
    return label_change(issue, labels)


def label_change(issue: Issue, labels: list[str]) -> list[JsonDict]:
    """Replace the labels; a changelog item if they differ."""
    for label in labels:
        if " " in label:
            raise ApiError(
                400,
                "",
                errors={
                    "labels": "The label 'x y' contains spaces which is invalid.".replace(
                        "x y", label
                    )
                },
            )
    old = issue.labels
    issue.labels = labels
    return [] if old == labels else [change_item("labels", " ".join(old), " ".join(labels))]


def change_item(field: str, before: str, after: str) -> JsonDict:
    """A changelog item for a simple field."""
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field,
        "from": None,
        "fromString": before,
        "to": None,
        "toString": after,
    }


def changed(call: Call, issue: Issue, items: list[JsonDict]) -> None:
    """Bump `updated`, write history for real changes, tell webhooks."""
    state = call.ctx.state
    issue.updated = state.clock.tick()
    state.touch()
    history = None
    if items:
        history = History(state.next_jira_id(), BOT_ACCOUNT, issue.updated, items)
        issue.changelog.append(history)
    notify_issue(call.ctx, issue, history=history, user=BOT_ACCOUNT)


def transitions(call: Call) -> Response:
    """`GET /issue/{key}/transitions`: every status is reachable (simplified workflow)."""
    find_issue(call)
    assert call.flavour is not None
    out = [
        {
            "id": s.transition_id,
            "name": s.name,
            "to": status_json(s, call.flavour),
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        for s in STATUSES
    ]
    return json_response({"expand": "transitions", "transitions": out})


def do_transition(call: Call) -> Response:
    """`POST /issue/{key}/transitions` with `{"transition": {"id": ...}}`."""
    issue = find_issue(call)
    wanted = str((call.json().get("transition") or {}).get("id", ""))
    target = next((s for s in STATUSES if s.transition_id == wanted), None)
    if target is None:
        raise ApiError(400, f"Transition id '{wanted}' is not valid for this issue.")
    state = call.ctx.state
    when = state.clock.tick()
    history = record_status_change(state, issue, target.id, when, author=BOT_ACCOUNT)
    state.touch()
    notify_issue(call.ctx, issue, history=history, user=BOT_ACCOUNT)
    return Response(status_code=204)


def list_properties(call: Call) -> Response:
    """`GET /issue/{key}/properties`: the keys."""
    issue = find_issue(call)
    assert call.flavour is not None
    return keys_answer(f"{call.flavour.api}/issue/{issue.key}/properties", issue.properties)


def get_property(call: Call) -> Response:
    """`GET /issue/{key}/properties/{prop}`."""
    return value_answer(find_issue(call).properties, call.path["prop"])


def put_property(call: Call) -> Response:
    """`PUT /issue/{key}/properties/{prop}`: 201 when created, 200 when updated."""
    created = put_value(call, find_issue(call).properties)
    call.ctx.state.touch()
    return Response(status_code=201 if created else 200)


def delete_property(call: Call) -> Response:
    """`DELETE /issue/{key}/properties/{prop}`."""
    issue = find_issue(call)
    if issue.properties.pop(call.path["prop"], None) is None:
        raise ApiError(404, f"The property with key '{call.path['prop']}' does not exist.")
    call.ctx.state.touch()
    return Response(status_code=204)
