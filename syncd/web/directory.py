"""Which clients the web app knows: configured ones, and any the store holds snapshots for.

Config files are read without resolving secrets (the dashboard needs names and connectors,
never credentials), so a client whose environment lacks a token still shows.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.clients import ClientConfig, read_config
from syncd.db import Snapshot
from syncd.reports.build import client_info
from syncd.reports.model import ClientInfo
from syncd.store import sessions

log = logging.getLogger(__name__)


class _Loaded:
    """The shape `reports.build.client_info` reads: an id and a config."""

    def __init__(self, client_id: str, config: ClientConfig) -> None:
        self.id = client_id
        self.config = config


def configured(directory: Path, *, public_url: str = "") -> dict[str, ClientInfo]:
    """ClientInfo of every client file in `directory`, each read on its own: a file that cannot
    be loaded gives a bare entry carrying its problems, and the others are served as usual."""
    found: dict[str, ClientInfo] = {}
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
        config, problems = read_config(path)
        if config is None:
            log.warning("client file %s cannot be loaded: %d problem(s)", path.name, len(problems))
            where = tuple(f"{path.name} › {p}" for p in problems)
            found[path.stem] = ClientInfo(id=path.stem, name=path.stem, problems=where)
            continue
        found[path.stem] = client_info(_Loaded(path.stem, config), public_url=public_url)
    return found


def stored(engine: Engine) -> list[str]:
    """Ids of clients with at least one snapshot."""
    with sessions(engine)() as session:
        return list(session.execute(select(Snapshot.client).distinct()).scalars())


def known_clients(
    engine: Engine, directory: Path, *, public_url: str = ""
) -> dict[str, ClientInfo]:
    """Every client the dashboard shows, by id, sorted by name."""
    clients = configured(directory, public_url=public_url)
    for client_id in stored(engine):
        clients.setdefault(client_id, ClientInfo(id=client_id, name=client_id))
    return dict(sorted(clients.items(), key=lambda kv: (kv[1].name.lower(), kv[0])))
