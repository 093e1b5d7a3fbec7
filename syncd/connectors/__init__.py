"""Connectors by kind: a plain dict registry and `build`, which makes one from its config.

    connector = build(config, secrets, transport=None, timezone="Europe/Berlin")

Every class here takes `(config, secrets, *, transport=None, timezone="UTC")` and keeps the
contract in `syncd.connectors.base`.
"""

from __future__ import annotations

from typing import Any

import httpx

from syncd.connectors.base import Connector
from syncd.connectors.config import Secrets
from syncd.connectors.fake import FakeConnector
from syncd.connectors.jira import JiraConnector
from syncd.connectors.oauth import Keeper
from syncd.connectors.trello import TrelloConnector
from syncd.errors import ConfigError

KINDS: dict[str, Any] = {"jira": JiraConnector, "trello": TrelloConnector, "fake": FakeConnector}


def connector_class(kind: str) -> Any:
    """The class registered for `kind`."""
    if kind not in KINDS:
        raise ConfigError(f"unknown connector kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    return KINDS[kind]


def build(
    config: Any,
    secrets: Secrets,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timezone: str = "UTC",
    keeper: Keeper | None = None,
) -> Connector:
    """A connector for `config` (a JiraConfig, TrelloConfig or FakeConfig); `keeper` holds the
    rotated refresh token of a Jira connector that authenticates with OAuth."""
    cls = connector_class(str(config.kind))
    extra = {"keeper": keeper} if cls is JiraConnector and keeper is not None else {}
    connector: Connector = cls(config, secrets, transport=transport, timezone=timezone, **extra)
    return connector


__all__ = [
    "KINDS",
    "Connector",
    "FakeConnector",
    "JiraConnector",
    "TrelloConnector",
    "build",
    "connector_class",
]
