"""`syncd check --online`: each connector of each valid client asked, read-only, whether the
configured setup works; one line per check.

The questions are the connectors' own (`probe()` in each connector module); this module builds
the connectors as the daemon does and collects their findings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from syncd.clients import Client
from syncd.connectors import build
from syncd.connectors.kinds import Keeper
from syncd.connectors.probe import Finding, bad
from syncd.connectors.registry import kind_of
from syncd.errors import ConfigError
from syncd.settings import Settings


@dataclass(frozen=True, slots=True)
class Line:
    """One finding of one connector of one client."""

    client: str
    connector: str
    finding: Finding

    @property
    def text(self) -> str:
        f = self.finding
        return f"{self.client} › {self.connector} › {f.check}: {f.detail}"


def check_online(
    clients: Sequence[Client],
    *,
    keeper: Keeper | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Line]:
    """Every finding of every connector of `clients`, in file order."""
    return asyncio.run(_check_all(clients, keeper=keeper, transport=transport))


async def _check_all(
    clients: Sequence[Client],
    *,
    keeper: Keeper | None,
    transport: httpx.AsyncBaseTransport | None,
) -> list[Line]:
    lines: list[Line] = []
    for client in clients:
        mapping = client.mapping
        for conn in client.config.connectors:
            try:
                connector = build(
                    conn,
                    client.secrets[conn.id],
                    transport=transport,
                    timezone=client.config.timezone,
                    keeper=keeper,
                )
            except ConfigError as exc:
                lines.append(Line(client.id, conn.id, bad("connector", "; ".join(exc.problems))))
                continue
            try:
                findings = await connector.probe(mapping)
            finally:
                await connector.aclose()
            lines += [Line(client.id, conn.id, f) for f in findings]
    return lines


def grant_keeper(settings: Settings, clients: Sequence[Client]) -> Keeper | None:
    """The store's keeper of rotated OAuth refresh tokens, when a client uses an OAuth app: a
    refresh during the check rotates the token, and the new one must be kept."""
    if not any(kind_of(c).grants(c) for cl in clients for c in cl.config.connectors):
        return None
    from syncd.db import make_engine
    from syncd.migrate import upgrade
    from syncd.store.grants import GrantKeeper

    engine = make_engine(settings.db_url)
    upgrade(engine)
    return GrantKeeper(engine)
