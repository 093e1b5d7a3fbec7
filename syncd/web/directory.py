"""Which clients the web app knows: configured ones, and any the store holds snapshots for.

The configuration comes from the process's `ClientDirectory` (files parsed once, again when
they change). A client whose environment lacks a token still shows: the dashboard needs names
and connectors, never credentials; a file that cannot be read shows with its problems.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from syncd.clientdir import ClientDirectory
from syncd.clients import ClientConfig
from syncd.reports.build import client_info
from syncd.reports.model import ClientInfo
from syncd.store.overview import clients_with_snapshots


class _Loaded:
    """The shape `reports.build.client_info` reads: an id and a config."""

    def __init__(self, client_id: str, config: ClientConfig) -> None:
        self.id = client_id
        self.config = config


def configured(clients: ClientDirectory, *, public_url: str = "") -> dict[str, ClientInfo]:
    """ClientInfo of every client file: a file that cannot be read gives a bare entry carrying
    its problems, and the others are served as usual."""
    found: dict[str, ClientInfo] = {}
    for stem, file in clients.files.items():
        if file.config is None:
            where = tuple(f"{file.path.name} › {p}" for p in file.problems)
            found[stem] = ClientInfo(id=stem, name=stem, problems=where)
            continue
        found[stem] = client_info(_Loaded(stem, file.config), public_url=public_url)
    return found


def known_clients(
    engine: Engine, directory: ClientDirectory, *, public_url: str = ""
) -> dict[str, ClientInfo]:
    """Every client the dashboard shows, by id, sorted by name."""
    clients = configured(directory, public_url=public_url)
    for client_id in clients_with_snapshots(engine):
        clients.setdefault(client_id, ClientInfo(id=client_id, name=client_id))
    return dict(sorted(clients.items(), key=lambda kv: (kv[1].name.lower(), kv[0])))
