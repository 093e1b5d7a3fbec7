"""Jira search: Cloud's token-paged `/search/jql`, the removed `/search` (410), Data Center's
offset-paged `/search`, approximate count, bulk issue fetch and changelogs.

Cloud search pages from a snapshot taken on the first page, so a walk sees every issue that
matched at its start exactly once even while issues change underneath it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import Response

from syncd.sandbox import jql
from syncd.sandbox.context import Context
from syncd.sandbox.jira_fields import issue_json
from syncd.sandbox.jira_render import JsonDict, history_json, select_fields
from syncd.sandbox.routing import ApiError, Call, json_response
from syncd.sandbox.state import Issue

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
SNAPSHOTS_KEPT = 64
ID_ONLY_CAP = 5000
FIELDS_CAP = 100
DC_CAP = 1000
SEARCH_CACHE_SIZE = 32
RENDER_CACHE_SIZE = 20_000  # issues; any change to the data starts it afresh


def run_jql(ctx: Context, text: str, *, require_bounded: bool) -> list[Issue]:
    """Parse and run a query (cached until the data or clock changes); errors are 400s."""
    state = ctx.state
    cache_key = (text, state.version, state.clock.now())
    cached = ctx.search_cache.get(cache_key)
    if cached is not None and (cached[0] or not require_bounded):
        return [state.issues[k] for k in cached[1]]
    try:
        query = jql.parse(
            text, ZoneInfo(state.jira_timezone), now=state.clock.now(), projects=state.projects
        )
    except jql.JqlError as exc:
        raise ApiError(400, str(exc)) from exc
    if require_bounded and not query.bounded:
        raise ApiError(400, UNBOUNDED)
    found = query.run(state.issues_in(query.projects))
    if len(ctx.search_cache) >= SEARCH_CACHE_SIZE:
        ctx.search_cache.clear()
    ctx.search_cache[cache_key] = (query.bounded, [i.key for i in found])
    return found


def split_list(value: Any) -> list[str]:
    """A parameter given as a list, a comma string, or repeated query values."""
    if value is None:
        return []
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def search_args(call: Call) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST)."""
    if call.request.method == "POST":
        body = call.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object.")
        return body
    query = call.query
    args: dict[str, Any] = {k: query.get(k) for k in query}
    for multi in ("fields", "properties"):
        if multi in query:
            args[multi] = query.getlist(multi)
    return args


def page_size(args: dict[str, Any], *, cap: int, default: int = 50) -> int:
    """The effective maxResults: at least 0, at most `cap`."""
    raw = args.get("maxResults")
    try:
        wanted = default if raw in (None, "") else int(raw)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"The value '{raw}' is invalid for 'maxResults'.") from exc
    return max(0, min(wanted, cap))


def render_issues(
    call: Call, issues: list[Issue], args: dict[str, Any], *, default: str
) -> list[JsonDict]:
    """The issues with the requested fields, expansions and properties."""
    assert call.flavour is not None
    requested = split_list(args.get("fields"))
    fields = select_fields(requested, call.flavour, default=default)
    id_only = fields == ["id"]
    expand = {e.lower() for e in split_list(args.get("expand"))}
    properties = split_list(args.get("properties"))[:5]
    state, cache = call.ctx.state, call.ctx.render_cache
    shown = [f for f in fields if f not in ("id", "key")]
    shape: tuple[Any, ...] = (state.version, state.clock.now(), call.flavour)
    shape += (tuple(fields), tuple(sorted(expand)), tuple(properties))
    out = []
    for issue in issues:
        key = (*shape, issue.key)
        rendered = cache.get(key)
        if rendered is None:
            if len(cache) >= RENDER_CACHE_SIZE:
                cache.clear()
            rendered = cache[key] = issue_json(
                state,
                issue,
                call.flavour,
                fields=shown,
                expand=expand,
                properties=properties,
                id_only=id_only,
            )
        out.append(rendered)
    return out


def encode_token(snapshot: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{snapshot}:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        snapshot, offset = base64.urlsafe_b64decode(padded).decode().split(":")
        return int(snapshot), int(offset)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "The provided next page token is invalid or expired.") from exc


def take_snapshot(ctx: Context, keys: list[str]) -> int:
    """Remember an ordered result for paging; old snapshots are dropped."""
    snapshot = ctx.next_snapshot
    ctx.next_snapshot += 1
    ctx.snapshots[snapshot] = keys
    for old in [s for s in ctx.snapshots if s <= snapshot - SNAPSHOTS_KEPT]:
        del ctx.snapshots[old]
    return snapshot


def search_jql(call: Call) -> Response:
    """`GET|POST /rest/api/{2,3}/search/jql`."""
    args = search_args(call)
    token = args.get("nextPageToken")
    if token:
        snapshot, offset = decode_token(str(token))
        keys = call.ctx.snapshots.get(snapshot)
        if keys is None:
            raise ApiError(400, "The provided next page token is invalid or expired.")
    else:
        found = run_jql(call.ctx, str(args.get("jql") or ""), require_bounded=True)
        keys = [i.key for i in found]
        snapshot, offset = take_snapshot(call.ctx, keys), 0
    fields = split_list(args.get("fields")) or ["id"]
    cap = ID_ONLY_CAP if set(fields) <= {"id", "key"} else FIELDS_CAP
    size = page_size(args, cap=cap)
    state = call.ctx.state
    page = [state.issues[k] for k in keys[offset : offset + size] if k in state.issues]
    body: JsonDict = {"issues": render_issues(call, page, args, default="id")}
    is_last = offset + size >= len(keys)
    body["isLast"] = is_last
    if not is_last:
        body["nextPageToken"] = encode_token(snapshot, offset + size)
    add_names(call, body, args)
    return json_response(body)


def add_names(call: Call, body: JsonDict, args: dict[str, Any]) -> None:
    """Search puts `names`/`schema` at the top level, not on each issue."""
    for issue in body["issues"]:
        for key in ("names", "schema"):
            if key in issue:
                body[key] = issue.pop(key)


def search_removed(call: Call) -> Response:
    """Cloud's `/rest/api/{2,3}/search`: removed, 410."""
    raise ApiError(410, REMOVED)


def search_dc(call: Call) -> Response:
    """Data Center `GET|POST /rest/api/2/search`: startAt, capped maxResults read back, total."""
    args = search_args(call)
    found = run_jql(call.ctx, str(args.get("jql") or ""), require_bounded=False)
    start = max(0, int(args.get("startAt") or 0))
    size = page_size(args, cap=DC_CAP)
    page = found[start : start + size]
    body: JsonDict = {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": size,
        "total": len(found),
        "issues": render_issues(call, page, args, default="*navigable"),
    }
    add_names(call, body, args)
    return json_response(body)


def approximate_count(call: Call) -> Response:
    """`POST /rest/api/3/search/approximate-count`."""
    body = call.json()
    found = run_jql(call.ctx, str(body.get("jql") or ""), require_bounded=True)
    return json_response({"count": len(found)})


def bulkfetch(call: Call) -> Response:
    """`POST /rest/api/3/issue/bulkfetch`: up to 100 issues by id or key."""
    body = call.json()
    wanted = [str(k) for k in body.get("issueIdsOrKeys") or []]
    if not wanted or len(wanted) > 100:
        raise ApiError(400, "issueIdsOrKeys must contain between 1 and 100 items.")
    found: list[Issue] = []
    errors: list[JsonDict] = []
    for key in wanted:
        issue = call.ctx.state.issue(key)
        if issue is None:
            errors.append(
                {
                    "id": key,
                    "errorMessage": "Issue does not exist or you do not have permission to see it.",
                }
            )
        else:
            found.append(issue)
    args = {
        "fields": body.get("fields"),
        "expand": body.get("expand"),
        "properties": body.get("properties"),
    }
    issues = render_issues(call, found, args, default="*navigable")
    return json_response({"issues": issues, "issueErrors": errors})


def issue_changelog(call: Call) -> Response:
    """`GET /issue/{key}/changelog`: offset-paged histories."""
    issue = find_issue(call)
    assert call.flavour is not None
    start = max(0, call.int_arg("startAt", 0))
    size = max(0, min(call.int_arg("maxResults", 100), 100))
    shown = issue.changelog[start : start + size]
    is_last = start + size >= len(issue.changelog)
    body: JsonDict = {
        "self": f"{call.flavour.api}/issue/{issue.key}/changelog?maxResults={size}&startAt={start}",
        "maxResults": size,
        "startAt": start,
        "total": len(issue.changelog),
        "isLast": is_last,
        "values": [history_json(call.ctx.state, h, call.flavour) for h in shown],
    }
    if not is_last:
        body["nextPage"] = (
            f"{call.flavour.api}/issue/{issue.key}/changelog"
            f"?maxResults={size}&startAt={start + size}"
        )
    return json_response(body)


def changelog_bulkfetch(call: Call) -> Response:
    """`POST /rest/api/3/changelog/bulkfetch`: histories of up to 1000 issues, token-paged."""
    body = call.json()
    wanted = [str(k) for k in body.get("issueIdsOrKeys") or []]
    if not wanted or len(wanted) > 1000:
        raise ApiError(400, "issueIdsOrKeys must contain between 1 and 1000 items.")
    field_ids = set(body.get("fieldIds") or [])
    size = page_size(body, cap=10000, default=1000)
    offset = decode_token(str(body["nextPageToken"]))[1] if body.get("nextPageToken") else 0
    entries: list[tuple[Issue, Any]] = []
    for key in wanted:
        issue = call.ctx.state.issue(key)
        if issue is None:
            continue
        for history in issue.changelog:
            if not field_ids or any(i.get("fieldId") in field_ids for i in history.items):
                entries.append((issue, history))
    assert call.flavour is not None
    by_issue: dict[str, list[JsonDict]] = {}
    for issue, history in entries[offset : offset + size]:
        rendered = history_json(call.ctx.state, history, call.flavour)
        by_issue.setdefault(str(issue.id), []).append(rendered)
    out: JsonDict = {
        "issueChangeLogs": [{"issueId": k, "changeHistories": v} for k, v in by_issue.items()]
    }
    if offset + size < len(entries):
        out["nextPageToken"] = encode_token(0, offset + size)
    return json_response(out)


def find_issue(call: Call) -> Issue:
    """The issue named in the path, or Jira's 404."""
    issue = call.ctx.state.issue(call.path["key"])
    if issue is None:
        raise ApiError(404, "Issue does not exist or you do not have permission to see it.")
    return issue
