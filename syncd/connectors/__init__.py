"""Connectors by kind: a plain dict registry and `build`, which makes one from its config.

    connector = build(config, secrets, transport=None, timezone="Europe/Berlin")

Every class here takes `(config, secrets, *, transport=None, timezone="UTC")` and keeps the
contract in `syncd.connectors.base`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from syncd.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from syncd.connectors.base import Connector
    from syncd.connectors.config import Secrets
    from syncd.connectors.fake import FakeConnector
    from syncd.connectors.jira import JiraConnector
    from syncd.connectors.oauth import Keeper
    from syncd.connectors.trello import TrelloConnector

    KINDS: dict[str, Any]

# Each class is imported on first use: `syncd check` reads connector settings
# (`syncd.connectors.config`) without loading httpx and every connector.
_CLASSES = {
    "jira": ("syncd.connectors.jira", "JiraConnector"),
    "trello": ("syncd.connectors.trello", "TrelloConnector"),
    "fake": ("syncd.connectors.fake", "FakeConnector"),
}
_LAZY = {name: module for module, name in _CLASSES.values()} | {
    "Connector": "syncd.connectors.base"
}


def __getattr__(name: str) -> Any:
    if name == "KINDS":
        return {kind: _load(kind) for kind in _CLASSES}
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _load(kind: str) -> Any:
    module, name = _CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def connector_class(kind: str) -> Any:
    """The class registered for `kind`."""
    if kind not in _CLASSES:
        known = ", ".join(sorted(_CLASSES))
        raise ConfigError(f"unknown connector kind {kind!r}; known: {known}")
    return _load(kind)


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
    extra = {"keeper": keeper} if config.kind == "jira" and keeper is not None else {}
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
