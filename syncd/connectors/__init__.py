"""Connectors: one package per tracker (`jira/`, `trello/`), listed in `registry.KINDS`.

    connector = build(config, secrets, transport=None, timezone="Europe/Berlin")

Every connector keeps the contract in `syncd.connectors.base`; `kinds.ConnectorKind` is what the
rest of syncd knows of a tracker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncd.clock import SYSTEM, Clock

if TYPE_CHECKING:
    import httpx

    from syncd.connectors.base import Connector
    from syncd.connectors.config import Secrets
    from syncd.connectors.kinds import Keeper


def build(
    config: Any,
    secrets: Secrets,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timezone: str = "UTC",
    keeper: Keeper | None = None,
    clock: Clock = SYSTEM,
) -> Connector:
    """A connector for `config` (any kind in `KINDS`); `keeper` holds the rotated refresh token
    of a connector that authenticates with OAuth; `clock` is what its waits and expiries use."""
    from syncd.connectors.registry import kind_of

    return kind_of(config).build(
        config, secrets, transport=transport, timezone=timezone, keeper=keeper, clock=clock
    )


__all__ = ["build"]
