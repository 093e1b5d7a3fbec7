"""Trello boards: config, connector, normalize, push, probe, webhooks.

`KIND` is all the rest of syncd knows of Trello; the modules load on first use, so reading a
client file does not load httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncd.clock import SYSTEM, Clock
from syncd.connectors.kinds import (
    BodyFormat,
    ConnectorKind,
    Headers,
    Registered,
    Webhooks,
    callback_path,
)
from syncd.connectors.trello.config import TrelloConfig
from syncd.connectors.trello.signing import trello_signature_ok

if TYPE_CHECKING:
    import httpx

    from syncd.connectors.base import Connector
    from syncd.connectors.config import Secrets
    from syncd.model import WorkItem

NAME = "trello"


def build(
    config: TrelloConfig,
    secrets: Secrets,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timezone: str = "UTC",
    keeper: Any = None,
    clock: Clock = SYSTEM,
) -> Connector:
    """A `TrelloConnector` (`keeper` is for OAuth grants; Trello has none)."""
    from syncd.connectors.trello.connector import TrelloConnector

    return TrelloConnector(config, secrets, transport=transport, timezone=timezone, clock=clock)


def targets(config: TrelloConfig, items: list[WorkItem]) -> list[str]:
    """The board (its status card), when a status list is configured."""
    return [config.board] if config.push.list else []


def body(config: TrelloConfig) -> BodyFormat:
    return "markdown"


def site_url(config: TrelloConfig) -> str:
    """Where a person opens the boards: trello.com for the public API, else the given URL."""
    return "https://trello.com" if "api.trello.com" in config.url else config.url


def callback(client: str, config: TrelloConfig, secrets: Secrets) -> str:
    return callback_path(client, config.id, NAME)


async def register(
    config: TrelloConfig, secrets: Secrets, url: str, *, keeper: Any = None
) -> Registered | None:
    """The board's webhook; none without the app secret that signs its deliveries."""
    if not secrets.value("webhook_secret"):
        return None
    from syncd.connectors.trello.webhooks import register_trello

    return await register_trello(config, secrets, url)


def verify(
    config: TrelloConfig, secrets: Secrets, headers: Headers, body: bytes, url: str
) -> bool | None:
    """The app secret's HMAC over body and callback URL; None without the secret."""
    secret = secrets.value("webhook_secret")
    if not secret:
        return None
    return trello_signature_ok(secret, body, url, headers.get("x-trello-webhook"))


def delivery(headers: Headers, payload: dict[str, Any]) -> str | None:
    """The action's id."""
    action = payload.get("action")
    ident = action.get("id") if isinstance(action, dict) else None
    return str(ident) if ident else None


KIND = ConnectorKind(
    name=NAME,
    config=TrelloConfig,
    build=build,
    secrets=(("token", "token"), ("key", "key"), ("secret", "webhook_secret")),
    targets=targets,
    body=body,
    site_url=site_url,
    webhooks=Webhooks(
        callback=callback,
        register=register,
        verify=verify,
        delivery=delivery,
        answers_head=True,  # Trello checks a new callback with a HEAD first
    ),
    preload=("syncd.connectors.trello.connector", "syncd.connectors.trello.webhooks"),
)

__all__ = ["KIND", "TrelloConfig"]
