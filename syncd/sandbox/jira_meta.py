"""Jira's descriptive endpoints (serverInfo, myself, field, project) and admin webhooks."""

from __future__ import annotations

from starlette.responses import Response

from syncd.sandbox.clock import jira_datetime
from syncd.sandbox.data import BOT_ACCOUNT
from syncd.sandbox.jira_render import field_catalogue, user_json
from syncd.sandbox.routing import ApiError, Call, json_response
from syncd.sandbox.state import Webhook


def server_info(call: Call) -> Response:
    """`GET /serverInfo`: Cloud or Server (Data Center) deployment."""
    assert call.flavour is not None
    from zoneinfo import ZoneInfo

    cloud = call.flavour.cloud
    now = jira_datetime(call.ctx.state.clock.now(), ZoneInfo(call.ctx.state.jira_timezone))
    return json_response(
        {
            "baseUrl": call.flavour.base,
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
            "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 15],
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100285 if cloud else 9120015,
            "buildDate": "2026-11-01T00:00:00.000+0000",
            "serverTime": now,
            "scmInfo": "sandbox",
            "serverTitle": "syncd sandbox Jira",
        }
    )


def myself(call: Call) -> Response:
    """`GET /myself`: the bot account, with the account time zone."""
    assert call.flavour is not None
    return json_response(user_json(call.ctx.state, BOT_ACCOUNT, call.flavour))


def fields(call: Call) -> Response:
    """`GET /field`."""
    assert call.flavour is not None
    return json_response(field_catalogue(call.flavour))


def projects(call: Call) -> Response:
    """`GET /project`: every project."""
    assert call.flavour is not None
    return json_response(
        [
            {
                "self": f"{call.flavour.api}/project/{p.id}",
                "id": p.id,
                "key": p.key,
                "name": p.name,
                "projectTypeKey": "software",
            }
            for p in call.ctx.state.projects.values()
        ]
    )


PERMISSIONS = {  # key: (type, name); the ones syncd asks about, as Jira names them
    "BROWSE_PROJECTS": ("PROJECT", "Browse Projects"),
    "ADD_COMMENTS": ("PROJECT", "Add Comments"),
    "EDIT_ISSUES": ("PROJECT", "Edit Issues"),
    "TRANSITION_ISSUES": ("PROJECT", "Transition Issues"),
    "EDIT_OWN_COMMENTS": ("PROJECT", "Edit Own Comments"),
    "ADMINISTER": ("GLOBAL", "Administer Jira"),
    "ADMINISTER_PROJECTS": ("PROJECT", "Administer Projects"),
}


def my_permissions(call: Call) -> Response:
    """`GET /mypermissions`: whether the bot holds each permission asked for, in an issue's or a
    project's context. Cloud requires `permissions`; Data Center lists every one without it."""
    assert call.flavour is not None
    state = call.ctx.state
    issue_key = call.query.get("issueKey")
    if issue_key and state.issue(issue_key) is None:
        raise ApiError(404, "Issue does not exist or you do not have permission to see it.")
    project = call.query.get("projectKey")
    if project and project not in {p.key for p in state.projects.values()}:
        raise ApiError(404, f"No project could be found with key '{project}'.")
    asked = [p for p in (call.query.get("permissions") or "").split(",") if p.strip()]
    if not asked and call.flavour.cloud:
        raise ApiError(400, "The permissions query parameter is required.")
    unknown = [p for p in asked if p not in PERMISSIONS]
    if unknown:
        raise ApiError(400, f"Invalid permission key(s): {', '.join(unknown)}")
    return json_response(
        {
            "permissions": {
                key: {
                    "id": str(index),
                    "key": key,
                    "name": PERMISSIONS[key][1],
                    "type": PERMISSIONS[key][0],
                    "description": PERMISSIONS[key][1],
                    "havePermission": key not in state.jira_denied,
                }
                for index, key in enumerate(PERMISSIONS)
                if key in (asked or PERMISSIONS)
            }
        }
    )


def register_webhook(call: Call) -> Response:
    """`POST /rest/webhooks/1.0/webhook`: an admin webhook, optionally with a secret."""
    assert call.flavour is not None
    admin_only(call)
    body = call.json()
    if not isinstance(body, dict) or not body.get("url"):
        raise ApiError(400, "A webhook needs a url.")
    state = call.ctx.state
    hook = Webhook(
        id=str(len(state.jira_webhooks) + 1),
        callback_url=str(body["url"]),
        description=str(body.get("name", "")),
        secret=body.get("secret") or None,
        flavour="cloud" if call.flavour.cloud else "dc",
        events=[str(e) for e in body.get("events") or []],
    )
    state.jira_webhooks.append(hook)
    return json_response(webhook_json(call, hook), status=201)


def admin_only(call: Call) -> None:
    """Admin webhooks are for Jira administrators: 403 for an account without ADMINISTER."""
    if "ADMINISTER" in call.ctx.state.jira_denied:
        raise ApiError(403, "You do not have permission to manage webhooks.")


def webhook_json(call: Call, hook: Webhook) -> dict[str, object]:
    """An admin webhook as Jira lists it."""
    assert call.flavour is not None
    return {
        "self": f"{call.flavour.base}/rest/webhooks/1.0/webhook/{hook.id}",
        "name": hook.description,
        "url": hook.callback_url,
        "events": hook.events,
        "enabled": hook.active,
    }


def list_webhooks(call: Call) -> Response:
    """`GET /rest/webhooks/1.0/webhook`."""
    admin_only(call)
    return json_response([webhook_json(call, h) for h in call.ctx.state.jira_webhooks])


def delete_webhook(call: Call) -> Response:
    """`DELETE /rest/webhooks/1.0/webhook/{id}`."""
    state = call.ctx.state
    before = len(state.jira_webhooks)
    state.jira_webhooks[:] = [h for h in state.jira_webhooks if h.id != call.path["hook_id"]]
    if len(state.jira_webhooks) == before:
        raise ApiError(404, "Webhook not found.")
    return Response(status_code=204)
