"""The one list of trackers syncd knows. Adding one: its folder under `syncd/connectors/`, then
its `KIND` in `KINDS` and its config model in `ConnectorConfig` below."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from syncd.connectors.jira import KIND as JIRA
from syncd.connectors.jira import JiraConfig
from syncd.connectors.kinds import ConnectorKind
from syncd.connectors.trello import KIND as TRELLO
from syncd.connectors.trello import TrelloConfig
from syncd.errors import ConfigError

KINDS: dict[str, ConnectorKind] = {kind.name: kind for kind in (JIRA, TRELLO)}

# A `[[connectors]]` entry of a client file, told apart by its `kind`.
ConnectorConfig = Annotated[JiraConfig | TrelloConfig, Field(discriminator="kind")]


def kind_of(config: Any) -> ConnectorKind:
    """The kind of a connector config (anything with a `kind` naming one in `KINDS`)."""
    kind = KINDS.get(str(config.kind))
    if kind is None:
        known = ", ".join(sorted(KINDS))
        raise ConfigError(f"unknown connector kind {config.kind!r}; known: {known}")
    return kind
