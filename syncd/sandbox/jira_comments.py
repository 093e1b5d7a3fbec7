"""Jira comments: list, create, read, edit, delete, and comment properties."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from syncd.sandbox.data import BOT_ACCOUNT
from syncd.sandbox.events import notify_issue
from syncd.sandbox.jira_properties import keys_answer, put_value, value_answer
from syncd.sandbox.jira_render import comment_json
from syncd.sandbox.jira_search import find_issue, split_list
from syncd.sandbox.routing import ApiError, Call, json_response
from syncd.sandbox.state import Comment, Issue


def find_comment(call: Call, issue: Issue) -> Comment:
    """The comment named in the path, or 404."""
    wanted = call.path["comment_id"]
    for comment in issue.comments:
        if str(comment.id) == wanted:
            return comment
    raise ApiError(404, "Can not find a comment for the id: " + wanted + ".")


def wants_properties(call: Call) -> bool:
    """`expand=properties` asked for."""
    return "properties" in split_list(call.query.get("expand"))


def list_comments(call: Call) -> Response:
    """`GET /issue/{key}/comment`: offset-paged, oldest first (`orderBy=-created` flips)."""
    issue = find_issue(call)
    assert call.flavour is not None
    start = max(0, call.int_arg("startAt", 0))
    size = max(0, min(call.int_arg("maxResults", 5000), 5000))
    ordered = list(issue.comments)
    if call.query.get("orderBy", "") in ("-created", "-updated"):
        ordered.reverse()
    shown = ordered[start : start + size]
    props = wants_properties(call)
    return json_response(
        {
            "startAt": start,
            "maxResults": size,
            "total": len(ordered),
            "comments": [
                comment_json(call.ctx.state, issue, c, call.flavour, with_properties=props)
                for c in shown
            ],
        }
    )


def comment_body(call: Call) -> tuple[Any, list[dict[str, Any]]]:
    """The body (ADF on v3, string on v2) and properties of a create/edit request."""
    assert call.flavour is not None
    payload = call.json()
    body = payload.get("body") if isinstance(payload, dict) else None
    if call.flavour.version == 3 and not (isinstance(body, dict) and body.get("type") == "doc"):
        raise ApiError(400, "", errors={"comment": "Comment body is not valid!"})
    if call.flavour.version == 2 and not (isinstance(body, str) and body.strip()):
        raise ApiError(400, "", errors={"comment": "Comment body can not be empty!"})
    return body, list(payload.get("properties") or [])


def add_comment(call: Call) -> Response:
    """`POST /issue/{key}/comment` → 201 with the comment."""
    issue = find_issue(call)
    body, properties = comment_body(call)
    state = call.ctx.state
    when = state.clock.tick()
    comment = Comment(
        state.next_jira_id(),
        BOT_ACCOUNT,
        body,
        when,
        when,
        {str(p["key"]): p["value"] for p in properties},
    )
    issue.comments.append(comment)
    state.comment_issue_keys[str(comment.id)] = issue.key
    issue.updated = when
    state.touch()
    notify_issue(call.ctx, issue, event="comment_created", comment=comment, user=BOT_ACCOUNT)
    assert call.flavour is not None
    return json_response(
        comment_json(state, issue, comment, call.flavour, with_properties=wants_properties(call)),
        status=201,
    )


def get_comment(call: Call) -> Response:
    """`GET /issue/{key}/comment/{id}`."""
    issue = find_issue(call)
    comment = find_comment(call, issue)
    assert call.flavour is not None
    return json_response(
        comment_json(
            call.ctx.state, issue, comment, call.flavour, with_properties=wants_properties(call)
        )
    )


def edit_comment(call: Call) -> Response:
    """`PUT /issue/{key}/comment/{id}`: new body, properties merged."""
    issue = find_issue(call)
    comment = find_comment(call, issue)
    body, properties = comment_body(call)
    state = call.ctx.state
    comment.body = body
    comment.updated = state.clock.tick()
    comment.properties.update({str(p["key"]): p["value"] for p in properties})
    issue.updated = comment.updated
    state.touch()
    notify_issue(call.ctx, issue, event="comment_updated", comment=comment, user=BOT_ACCOUNT)
    assert call.flavour is not None
    return json_response(
        comment_json(state, issue, comment, call.flavour, with_properties=wants_properties(call))
    )


def delete_comment(call: Call) -> Response:
    """`DELETE /issue/{key}/comment/{id}` → 204."""
    issue = find_issue(call)
    comment = find_comment(call, issue)
    issue.comments.remove(comment)
    call.ctx.state.touch()
    return Response(status_code=204)


def find_comment_anywhere(call: Call) -> Comment:
    """`/comment/{id}/...` names a comment without its issue."""
    wanted = call.path["comment_id"]
    state = call.ctx.state
    known = state.issues.get(state.comment_issue_keys.get(wanted, ""))
    for comment in known.comments if known is not None else ():
        if str(comment.id) == wanted:
            return comment
    for issue in state.issues.values():  # a comment the sandbox generated, or one moved
        for comment in issue.comments:
            if str(comment.id) == wanted:
                return comment
    raise ApiError(404, "Can not find a comment for the id: " + wanted + ".")


def comment_property_keys(call: Call) -> Response:
    """`GET /comment/{id}/properties`."""
    comment = find_comment_anywhere(call)
    assert call.flavour is not None
    return keys_answer(f"{call.flavour.api}/comment/{comment.id}/properties", comment.properties)


def comment_property(call: Call) -> Response:
    """`GET /comment/{id}/properties/{prop}`."""
    return value_answer(find_comment_anywhere(call).properties, call.path["prop"])


def put_comment_property(call: Call) -> Response:
    """`PUT /comment/{id}/properties/{prop}`: 201 created, 200 updated."""
    created = put_value(call, find_comment_anywhere(call).properties)
    call.ctx.state.touch()
    return Response(status_code=201 if created else 200)
