"""Corkboard: an example tracker whose service lives in memory (`board.py`), kept in the tests to
show what adding a tracker takes: this folder, and its `KIND` in `syncd.connectors.registry.KINDS`.

Nothing else in syncd learns its name. Its modules import one another relatively and import of
syncd only what a connector may, so the folder would work as `syncd/connectors/corkboard/` as it
stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncd.clock import SYSTEM, Clock
from syncd.connectors.kinds import BodyFormat, ConnectorKind

from .config import CorkboardConfig

if TYPE_CHECKING:
    from syncd.connectors.base import Connector
    from syncd.connectors.config import Secrets
    from syncd.model import WorkItem

NAME = "corkboard"


def build(
    config: CorkboardConfig,
    secrets: Secrets,
    *,
    transport: Any = None,
    timezone: str = "UTC",
    keeper: Any = None,
    clock: Clock = SYSTEM,
) -> Connector:
    """A `CorkboardConnector` (no HTTP, so no `transport`; no OAuth, so no `keeper`)."""
    from .connector import CorkboardConnector

    return CorkboardConnector(config, secrets, timezone=timezone, clock=clock)


def targets(config: CorkboardConfig, items: list[WorkItem]) -> list[str]:
    """The board (its status note), when the entry asks for one."""
    return [config.board] if config.status_note else []


def body(config: CorkboardConfig) -> BodyFormat:
    """A pinned note shows HTML."""
    return "html"


def site_url(config: CorkboardConfig) -> str:
    return f"memory://corkboard/{config.board}"


KIND = ConnectorKind(
    name=NAME,
    config=CorkboardConfig,
    build=build,
    secrets=(("token", "token"),),
    targets=targets,
    body=body,
    site_url=site_url,
    preload=(f"{__name__}.connector",),
)

__all__ = ["KIND", "CorkboardConfig"]
