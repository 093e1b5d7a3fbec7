"""Jira, Cloud and Data Center: config, connector, pull, push, normalize, probe, webhooks, OAuth.

`KIND` is all the rest of syncd knows of Jira; the modules load on first use, so reading a client
file does not load httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncd.clock import SYSTEM, Clock
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.signing import jira_jwt_ok, jira_signature_ok
from syncd.connectors.kinds import (
    AppWebhooks,
    BodyFormat,
    ConnectorKind,
    Headers,
    Keeper,
    Registered,
    Webhooks,
    callback_path,
)

if TYPE_CHECKING:
    import httpx

    from syncd.connectors.base import Connector
    from syncd.connectors.config import Secrets
    from syncd.model import WorkItem

NAME = "jira"


def build(
    config: JiraConfig,
    secrets: Secrets,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timezone: str = "UTC",
    keeper: Keeper | None = None,
    clock: Clock = SYSTEM,
) -> Connector:
    """A `JiraConnector`; `keeper` holds the rotated refresh token of an OAuth grant."""
    from syncd.connectors.jira.connector import JiraConnector

    extra = {"keeper": keeper} if keeper is not None else {}
    return JiraConnector(
        config, secrets, transport=transport, timezone=timezone, clock=clock, **extra
    )


def targets(config: JiraConfig, items: list[WorkItem]) -> list[str]:
    """The status issues, then the epics linked to a plan task when `push.epics` asks."""
    found = list(config.push.issues)
    if config.push.epics:
        epics = {i.key for i in items if i.source == config.id and i.type == "Epic" and i.plan_task}
        found += sorted(epics - set(config.push.issues))
    return found


def body(config: JiraConfig) -> BodyFormat:
    """Cloud comments take ADF, Data Center ones wiki markup."""
    return "adf" if config.deployment == "cloud" else "wiki"


def problems(config: JiraConfig) -> list[str]:
    if config.auth == "token" and config.deployment == "cloud" and not config.email:
        return ["email: required for Jira Cloud (basic auth)"]
    return []


def callback(client: str, config: JiraConfig, secrets: Secrets) -> str:
    """An OAuth app has one URL (deliveries name their webhooks); a token one URL per connector."""
    if config.auth == "oauth":
        from syncd.connectors.jira.webhooks import app_callback_path

        return app_callback_path(secrets.value("client_id"))
    return callback_path(client, config.id, NAME)


async def register(
    config: JiraConfig, secrets: Secrets, url: str, *, keeper: Keeper | None = None
) -> Registered | None:
    from syncd.connectors.jira.webhooks import register_jira

    return await register_jira(config, secrets, url, keeper=keeper)


async def extend(
    config: JiraConfig, secrets: Secrets, hook: Registered, *, keeper: Keeper | None = None
) -> Registered | None:
    from syncd.connectors.jira.webhooks import extend_dynamic

    return await extend_dynamic(config, secrets, hook, keeper=keeper)


def _oauth(config: Any) -> bool:
    """An OAuth app: its refresh token rotates, and its dynamic webhooks lapse (30 days after
    made or last extended)."""
    return bool(config.auth == "oauth")


def verify(
    config: JiraConfig, secrets: Secrets, headers: Headers, body: bytes, url: str
) -> bool | None:
    """An OAuth app's JWT, else the admin webhook's HMAC; None without the secret for either."""
    if config.auth == "oauth":
        key = secrets.value("client_secret")
        return jira_jwt_ok(key, headers.get("authorization")) if key else None
    key = secrets.value("webhook_secret")
    return jira_signature_ok(key, body, headers.get("x-hub-signature")) if key else None


def delivery(headers: Headers, payload: dict[str, Any]) -> str | None:
    return headers.get("x-atlassian-webhook-identifier") or None


def app_member(config: JiraConfig, secrets: Secrets, app: str) -> bool:
    from syncd.connectors.jira.webhooks import app_key

    return config.auth == "oauth" and app_key(secrets.value("client_id")) == app


def app_verify(config: JiraConfig, secrets: Secrets, headers: Headers) -> bool:
    key = secrets.value("client_secret")
    return bool(key) and jira_jwt_ok(key, headers.get("authorization"))


def matched(payload: dict[str, Any]) -> set[str]:
    """`matchedWebhookIds`: the app's webhooks whose JQL the issue matched."""
    return {str(i) for i in payload.get("matchedWebhookIds") or [] if isinstance(i, int)}


KIND = ConnectorKind(
    name=NAME,
    config=JiraConfig,
    build=build,
    secrets=(
        ("token", "token"),
        ("webhook_secret", "webhook_secret"),
        ("client_id", "client_id"),
        ("client_secret", "client_secret"),
        ("refresh_token", "refresh_token"),
    ),
    targets=targets,
    body=body,
    problems=problems,
    grants=_oauth,
    webhooks=Webhooks(
        callback=callback,
        register=register,
        verify=verify,
        delivery=delivery,
        lapses=_oauth,
        extend=extend,
        app=AppWebhooks(member=app_member, verify=app_verify, matched=matched),
    ),
    preload=(
        "syncd.connectors.jira.connector",
        "syncd.connectors.jira.oauth",
        "syncd.connectors.jira.webhooks",
    ),
)

__all__ = ["KIND", "JiraConfig"]
