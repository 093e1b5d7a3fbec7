"""Register syncd's webhooks where the credentials allow; polling stays on as the safety net.

* Trello: one webhook per board and token (`POST /1/webhooks`; Trello checks the callback with
  a HEAD first, so the web server must already answer).
* Jira: an admin webhook with a secret (`POST /rest/webhooks/1.0/webhook`), which needs an
  administrator's credentials. Without them Jira answers 401/403: that is a warning, not an
  error. Dynamic webhooks (`/rest/api/3/webhook`) belong to OAuth and Connect apps, which
  syncd's token auth is not; they are not used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from syncd.connectors.config import JiraConfig, Secrets, TrelloConfig
from syncd.errors import PermanentError
from syncd.http import Remote, make_client

log = logging.getLogger(__name__)

JIRA_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]


@dataclass(frozen=True)
class Registered:
    remote_id: str
    callback: str


async def register_trello(
    config: TrelloConfig,
    secrets: Secrets,
    callback: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registered:
    """Create (or find) the board's webhook pointing at `callback`."""
    params = {"key": secrets.value("key"), "token": secrets.value("token")}
    async with make_client(config.url, params=params, transport=transport) as client:
        remote = Remote(client, service="trello")
        token = secrets.value("token")
        try:
            existing = await remote.json("GET", f"{config.url}/tokens/{token}/webhooks")
        except PermanentError:
            existing = []
        for hook in existing or []:
            if hook.get("callbackURL") == callback and hook.get("idModel") == config.board:
                return Registered(str(hook["id"]), callback)
        created = await remote.json(
            "POST",
            f"{config.url}/webhooks",
            params={"callbackURL": callback, "idModel": config.board, "description": "syncd"},
        )
        return Registered(str(created["id"]), callback)


async def register_jira(
    config: JiraConfig,
    secrets: Secrets,
    callback: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registered | None:
    """Create the admin webhook with a secret; None (and a warning) without admin rights."""
    secret = secrets.value("webhook_secret")
    if not secret:
        return None
    auth: httpx.Auth | None = None
    headers = {}
    if config.deployment == "cloud":
        auth = httpx.BasicAuth(config.email or "", secrets.value("token"))
    else:
        headers["Authorization"] = f"Bearer {secrets.value('token')}"
    async with make_client(config.url, auth=auth, headers=headers, transport=transport) as client:
        remote = Remote(client, service="jira")
        url = f"{config.url}/rest/webhooks/1.0/webhook"
        try:
            existing = await remote.json("GET", url)
            for hook in existing or []:
                if hook.get("url") == callback:
                    return Registered(str(hook.get("self") or hook.get("id") or ""), callback)
            body = {
                "name": f"syncd {config.id}",
                "url": callback,
                "events": JIRA_EVENTS,
                "filters": {"issue-related-events-section": config.jql},
                "excludeBody": False,
                "secret": secret,
            }
            created = await remote.json("POST", url, json=body)
        except PermanentError as exc:
            log.warning("jira %s: webhook not registered (%s); polling continues", config.id, exc)
            return None
        return Registered(str(created.get("self") or created.get("id") or ""), callback)
