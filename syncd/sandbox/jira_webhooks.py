"""Jira Cloud dynamic webhooks (`/rest/api/3/webhook`): registered by OAuth apps, one URL per
app, filtered by events, JQL and changed fields, expiring 30 days after creation or refresh.

Basic-auth callers are refused with Jira's 403; the app is whatever `JiraAuth` put in the
scope under `APP_KEY`. Deliveries are built in `events.notify_apps`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import Response

from syncd.sandbox import jql
from syncd.sandbox.clock import epoch_ms
from syncd.sandbox.context import Context
from syncd.sandbox.routing import ApiError, Call, json_response
from syncd.sandbox.state import DynamicWebhook, History, Issue, State

APP_KEY = "sandbox.oauth_app"
ONLY_APPS = "Only Connect and OAuth 2.0 apps can use this operation."
LIFETIME = timedelta(days=30)
PAGE_CAP = 100
EVENTS = frozenset(
    {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
        "comment_updated",
        "comment_deleted",
        "issue_property_set",
        "issue_property_deleted",
    }
)


def calling_app(call: Call) -> str:
    """The OAuth client id making the call; anyone else gets Jira's 403."""
    client_id = call.request.scope.get(APP_KEY)
    if not client_id:
        raise ApiError(403, ONLY_APPS)
    return str(client_id)


def app_hooks(state: State, client_id: str) -> list[DynamicWebhook]:
    """An app's webhooks, oldest first."""
    return sorted(
        (h for h in state.dynamic_webhooks.values() if h.client_id == client_id),
        key=lambda h: h.id,
    )


def parse_filter(ctx: Context, text: str) -> jql.Query:
    """A webhook's JQL filter, parsed as search parses it (raises `JqlError`)."""
    state = ctx.state
    tz = ZoneInfo(state.jira_timezone)
    return jql.parse(text, tz, now=state.clock.now(), projects=state.projects)


def register(call: Call) -> Response:
    """`POST /webhook`: register each webhook, or say why not, in request order."""
    client_id = calling_app(call)
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get("url"), str):
        raise ApiError(400, "The webhook url is required.", errors={"url": "required"})
    if not isinstance(body.get("webhooks"), list):
        raise ApiError(400, "A list of webhooks is required.", errors={"webhooks": "required"})
    url = body["url"]
    if any(h.url != url for h in app_hooks(call.ctx.state, client_id)):
        raise ApiError(400, "Only a single URL per app is allowed to be registered.")
    results = [register_one(call.ctx, client_id, url, spec) for spec in body["webhooks"]]
    return json_response({"webhookRegistrationResult": results})


def register_one(ctx: Context, client_id: str, url: str, spec: Any) -> dict[str, Any]:
    """`{"createdWebhookId": id}` or `{"errors": [...]}` for one requested webhook."""
    errors = webhook_errors(ctx, spec)
    if errors:
        return {"errors": errors}
    state = ctx.state
    hook = DynamicWebhook(
        id=state.next_dynamic_webhook_id(),
        client_id=client_id,
        url=url,
        events=[str(e) for e in spec["events"]],
        jql=spec["jqlFilter"],
        expires=state.clock.now() + LIFETIME,
        field_ids=string_list(spec.get("fieldIdsFilter")),
        property_keys=string_list(spec.get("issuePropertyKeysFilter")),
    )
    state.dynamic_webhooks[hook.id] = hook
    return {"createdWebhookId": hook.id}


def webhook_errors(ctx: Context, spec: Any) -> list[str]:
    """Why a requested webhook cannot be registered ([] when it can)."""
    if not isinstance(spec, dict):
        return ["A webhook must be an object."]
    events = spec.get("events")
    if not isinstance(events, list) or not events:
        return ["At least one event is required."]
    errors = [f"Unsupported event: {e}" for e in events if e not in EVENTS]
    text = spec.get("jqlFilter")
    if not isinstance(text, str) or not text.strip():
        return [*errors, "The JQL filter is required."]
    try:
        parse_filter(ctx, text)
    except jql.JqlError as exc:
        errors.append(f"Invalid JQL filter: {exc}")
    return errors


def string_list(value: Any) -> list[str] | None:
    """An optional list filter as strings (None when absent)."""
    return [str(v) for v in value] if isinstance(value, list) else None


def list_hooks(call: Call) -> Response:
    """`GET /webhook`: a page of the calling app's webhooks."""
    hooks = app_hooks(call.ctx.state, calling_app(call))
    start = max(call.int_arg("startAt", 0), 0)
    size = min(max(call.int_arg("maxResults", PAGE_CAP), 1), PAGE_CAP)
    page = hooks[start : start + size]
    return json_response(
        {
            "startAt": start,
            "maxResults": size,
            "total": len(hooks),
            "isLast": start + len(page) >= len(hooks),
            "values": [hook_json(h) for h in page],
        }
    )


def hook_json(hook: DynamicWebhook) -> dict[str, Any]:
    """A dynamic webhook as Jira lists it."""
    out: dict[str, Any] = {
        "id": hook.id,
        "url": hook.url,
        "jqlFilter": hook.jql,
        "events": hook.events,
        "expirationDate": epoch_ms(hook.expires),
    }
    if hook.field_ids is not None:
        out["fieldIdsFilter"] = hook.field_ids
    if hook.property_keys is not None:
        out["issuePropertyKeysFilter"] = hook.property_keys
    return out


def webhook_ids(call: Call) -> set[int]:
    """The `webhookIds` of a delete or refresh body; missing or malformed is a 400."""
    body = call.json()
    ids = body.get("webhookIds") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(type(i) is int for i in ids):
        raise ApiError(400, "webhookIds must be a list of webhook ids.")
    return set(ids)


def delete_hooks(call: Call) -> Response:
    """`DELETE /webhook`: remove the caller's webhooks among the ids; others are ignored."""
    client_id = calling_app(call)
    state = call.ctx.state
    for hook_id in webhook_ids(call):
        hook = state.dynamic_webhooks.get(hook_id)
        if hook is not None and hook.client_id == client_id:
            del state.dynamic_webhooks[hook_id]
    return Response(status_code=202)


def refresh_hooks(call: Call) -> Response:
    """`PUT /webhook/refresh`: the caller's webhooks among the ids live 30 days from now."""
    client_id = calling_app(call)
    state = call.ctx.state
    expires = state.clock.now() + LIFETIME
    for hook_id in webhook_ids(call):
        hook = state.dynamic_webhooks.get(hook_id)
        if hook is not None and hook.client_id == client_id:
            hook.expires = expires
    return json_response({"expirationDate": epoch_ms(expires)})


def matches(
    ctx: Context, hook: DynamicWebhook, issue: Issue, event: str, history: History | None
) -> bool:
    """Whether `event` about `issue` is delivered to `hook` now."""
    if event not in hook.events or hook.expires <= ctx.state.clock.now():
        return False
    if event == "jira:issue_updated" and hook.field_ids is not None and history is not None:
        changed = {item.get("fieldId") or item.get("field") for item in history.items}
        if not changed & set(hook.field_ids):
            return False
    try:
        query = parse_filter(ctx, hook.jql)
    except jql.JqlError:
        return False
    return query.where is None or query.where(issue)
