"""Jira, Cloud and Data Center: config, connector, pull, push, normalize, probe, webhooks, OAuth.

`KIND` is all the rest of syncd knows of Jira; the modules load on first use, so reading a client
file does not load httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.kinds import (
    BodyFormat,
    ConnectorKind,
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
) -> Connector:
    """A `JiraConnector`; `keeper` holds the rotated refresh token of an OAuth grant."""
    from syncd.connectors.jira.connector import JiraConnector

    extra = {"keeper": keeper} if keeper is not None else {}
    return JiraConnector(config, secrets, transport=transport, timezone=timezone, **extra)


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
    webhooks=Webhooks(callback=callback, register=register, lapses=_oauth, extend=extend),
)

__all__ = ["KIND", "JiraConfig"]
