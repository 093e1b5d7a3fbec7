"""Jira worklogs: list (offset-paged), log work, delete. The issue's time spent is their sum."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from syncd.sandbox.data import BOT_ACCOUNT, log_work, unlog_work
from syncd.sandbox.events import notify_issue
from syncd.sandbox.jira_render import worklog_json
from syncd.sandbox.jira_search import find_issue
from syncd.sandbox.routing import ApiError, Call, json_response
from syncd.sandbox.state import Issue, WorkLog

MAX_PAGE = 5000
STARTED = "%Y-%m-%dT%H:%M:%S.%f%z"  # the one form Jira takes: 2021-01-17T12:34:00.000+0000


def list_worklogs(call: Call) -> Response:
    """`GET /issue/{key}/worklog`: oldest first, `startAt`/`maxResults` (at most 5,000)."""
    issue = find_issue(call)
    assert call.flavour is not None
    start = max(0, call.int_arg("startAt", 0))
    size = max(0, min(call.int_arg("maxResults", MAX_PAGE), MAX_PAGE))
    shown = issue.worklogs[start : start + size]
    return json_response(
        {
            "startAt": start,
            "maxResults": size,
            "total": len(issue.worklogs),
            "worklogs": [worklog_json(call.ctx.state, issue, w, call.flavour) for w in shown],
        }
    )


def add_worklog(call: Call) -> Response:
    """`POST /issue/{key}/worklog` with `started` and `timeSpentSeconds` → 201 with the worklog;
    the remaining estimate goes down by the time logged (`adjustEstimate=auto`)."""
    issue = find_issue(call)
    assert call.flavour is not None
    payload = call.json()
    seconds = payload.get("timeSpentSeconds") if isinstance(payload, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise ApiError(400, "", errors={"timeLogged": "You must indicate the time spent working."})
    try:
        started = datetime.strptime(str(payload.get("started")), STARTED).astimezone(UTC)
    except ValueError as exc:
        raise ApiError(400, "", errors={"started": "You must specify a valid date."}) from exc
    state = call.ctx.state
    log = log_work(state, issue, seconds, started, author=BOT_ACCOUNT, when=state.clock.tick())
    notify_issue(call.ctx, issue, user=BOT_ACCOUNT)
    return json_response(worklog_json(state, issue, log, call.flavour), status=201)


def delete_worklog(call: Call) -> Response:
    """`DELETE /issue/{key}/worklog/{id}` → 204; the remaining estimate goes back up."""
    issue = find_issue(call)
    log = find_worklog(call, issue)
    state = call.ctx.state
    unlog_work(state, issue, log, when=state.clock.tick())
    notify_issue(call.ctx, issue, user=BOT_ACCOUNT)
    return Response(status_code=204)


def find_worklog(call: Call, issue: Issue) -> WorkLog:
    """The worklog named in the path, or 404."""
    wanted = call.path["worklog_id"]
    for log in issue.worklogs:
        if str(log.id) == wanted:
            return log
    raise ApiError(404, f"Cannot find worklog with id: {wanted}.")
