"""Which clients the web app knows: configured ones, and any the store holds snapshots for.

Config files are read without resolving secrets (the dashboard needs names and connectors,
never credentials), so a client whose environment lacks a token still shows.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.clients import MAPPING_SECTIONS, ClientConfig
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
    """ClientInfo of every valid client file in `directory`; invalid files are skipped."""
    found: dict[str, ClientInfo] = {}
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            mapping = {k: raw.pop(k) for k in MAPPING_SECTIONS if k in raw}
            config = ClientConfig.model_validate({**raw, "mapping": mapping})
        except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
            log.warning("client file %s skipped: %s", path.name, type(exc).__name__)
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
