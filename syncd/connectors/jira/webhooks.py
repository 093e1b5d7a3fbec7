"""Register syncd's Jira webhooks where the credentials allow; polling stays on as the safety net.

* Jira with an API token or PAT: an admin webhook with a secret
  (`POST /rest/webhooks/1.0/webhook`), which needs an administrator's credentials. Without them
  Jira answers 401/403: that is a warning, not an error.
* Jira with an OAuth app: a dynamic webhook (`POST /rest/api/3/webhook`) filtered by the
  connector's JQL, signed with a JWT made with the app's secret. It lapses 30 days after it was
  made or last extended; the scheduler extends it (`PUT /rest/api/3/webhook/refresh`) once it
  has less than `REFRESH_BEFORE` left, and makes it again if Jira no longer knows it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from syncd.connectors.config import Secrets
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.oauth import AtlassianOAuth, Grant, Keeper
from syncd.connectors.kinds import Registered
from syncd.connectors.paging import Page, read_all
from syncd.errors import PermanentError
from syncd.http import Remote, make_client

log = logging.getLogger(__name__)

JIRA_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]


LIFETIME = timedelta(days=30)  # of a dynamic webhook, from when it was made or last extended


async def register_jira(
    config: JiraConfig,
    secrets: Secrets,
    callback: str,
    *,
    keeper: Keeper | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registered | None:
    """Create the admin webhook with a secret (a dynamic one for an OAuth app); None (and a
    warning) where the credentials do not allow it."""
    if config.auth == "oauth":
        return await register_dynamic(config, secrets, callback, keeper=keeper, transport=transport)
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


@asynccontextmanager
async def _gateway(
    config: JiraConfig,
    secrets: Secrets,
    keeper: Keeper | None,
    transport: httpx.AsyncBaseTransport | None,
) -> AsyncIterator[Remote]:
    oauth = AtlassianOAuth(Grant.of(config, secrets), keeper=keeper, transport=transport)
    async with make_client(oauth.gateway, auth=oauth, transport=transport) as client:
        yield Remote(client, service="jira")


def _expiry(millis: Any) -> datetime:
    """A webhook's lapse time from Jira's epoch milliseconds; without one, the documented 30
    days from now (the upkeep reads the real one when it next extends)."""
    if isinstance(millis, int):
        return datetime.fromtimestamp(millis / 1000, UTC)
    return datetime.now(UTC) + LIFETIME


async def register_dynamic(
    config: JiraConfig,
    secrets: Secrets,
    callback: str,
    *,
    keeper: Keeper | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registered | None:
    """The OAuth app's webhook for the connector's JQL at `callback`, which is the app's one URL
    (Jira allows an app a single webhook URL per site; deliveries name the webhooks they match,
    and the receiver routes them by those ids). Found again if the app has it, else made; the
    app's webhooks at another URL (a moved syncd) are deleted first, as Jira would refuse the
    new URL beside them. None (and a warning) when Jira refuses; polling goes on."""
    async with _gateway(config, secrets, keeper, transport) as remote:
        try:
            known = await _dynamic_hooks(remote, config.id)
            for hook in known:
                if hook.get("jqlFilter") == config.jql and hook.get("url") in (None, callback):
                    return Registered(
                        str(hook["id"]), callback, _expiry(hook.get("expirationDate"))
                    )
            moved = [h["id"] for h in known if h.get("url") not in (None, callback)]
            if moved:
                log.info("jira %s: deleting %d webhook(s) at an old URL", config.id, len(moved))
                await remote.request("DELETE", "/rest/api/3/webhook", json={"webhookIds": moved})
            body = {
                "url": callback,
                "webhooks": [{"events": JIRA_EVENTS, "jqlFilter": config.jql}],
            }
            answer = await remote.json("POST", "/rest/api/3/webhook", json=body)
        except PermanentError as exc:
            log.warning("jira %s: webhook not registered (%s); polling continues", config.id, exc)
            return None
        results = answer.get("webhookRegistrationResult") or [{}]
        created = results[0].get("createdWebhookId")
        if created is None:
            errors = "; ".join(results[0].get("errors") or ["no id returned"])
            log.warning(
                "jira %s: webhook not registered (%s); polling continues", config.id, errors
            )
            return None
        for hook in await _dynamic_hooks(remote, config.id):
            if hook.get("id") == created:
                return Registered(str(created), callback, _expiry(hook.get("expirationDate")))
        return Registered(str(created), callback, _expiry(None))


async def _dynamic_hooks(remote: Remote, source: str) -> list[dict[str, Any]]:
    """Every webhook the app has on the site (paged by `startAt`)."""

    async def fetch(start: int) -> Page[list[Any], int]:
        page = await remote.json("GET", "/rest/api/3/webhook", params={"startAt": start})
        values = list(page.get("values") or [])
        return Page(values, None if page.get("isLast", True) else start + len(values))

    hooks = await read_all(fetch, first=0, source=source, listing="dynamic webhooks")
    return [hook for hook in hooks if isinstance(hook, dict)]


async def extend_dynamic(
    config: JiraConfig,
    secrets: Secrets,
    hook: Registered,
    *,
    keeper: Keeper | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registered | None:
    """Push a dynamic webhook's expiry 30 days out; make it again if Jira has dropped it."""
    async with _gateway(config, secrets, keeper, transport) as remote:
        known = {str(h.get("id")) for h in await _dynamic_hooks(remote, config.id)}
        if hook.remote_id in known:
            answer = await remote.json(
                "PUT", "/rest/api/3/webhook/refresh", json={"webhookIds": [int(hook.remote_id)]}
            )
            return Registered(hook.remote_id, hook.callback, _expiry(answer.get("expirationDate")))
    log.info("jira %s: webhook %s is gone; making it again", config.id, hook.remote_id)
    return await register_dynamic(
        config, secrets, hook.callback, keeper=keeper, transport=transport
    )


def app_key(client_id: str) -> str:
    """An OAuth app's name in its callback path: a digest of its client id."""
    return hashlib.sha256(client_id.encode()).hexdigest()[:16]


def app_callback_path(client_id: str) -> str:
    """The one webhook URL path of an OAuth app (Jira allows an app one URL per site)."""
    return f"/webhooks/jira-app/{app_key(client_id)}"
