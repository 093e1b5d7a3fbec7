"""The dashboard reads client files through the one cached loader: again only on change."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syncd.clientdir import ClientDirectory
from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.settings import Settings
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.foundation.test_client_directory import CLIENT, ENV, write
from tests.web.conftest import free_port, serve


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    """A live dashboard sharing a ClientDirectory over one client file, as `syncd run` does."""
    clients = tmp_path / "config" / "clients"
    clients.mkdir(parents=True)
    write(clients, "acme", name="Acme")
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(config_dir=tmp_path / "config", data_dir=tmp_path)
    app = create_app(engine=engine, settings=settings, clients=ClientDirectory(clients, env=ENV))
    server, thread = serve(app, port := free_port())
    headers = {"Authorization": f"Bearer {create_token(engine, name='admin')}"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            yield http, clients
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        engine.dispose()


def names(http: httpx.Client) -> dict[str, str]:
    answer = http.get("/api/clients")
    assert answer.status_code == 200, answer.text
    return {row["id"]: row["name"] for row in answer.json()["clients"]}


def test_requests_reuse_the_parsed_files_until_one_changes(
    dashboard: tuple[httpx.Client, Path],
) -> None:
    """An edit that leaves a file's stat as it was is not seen (nothing is re-read per
    request); a file rewritten or added is seen on the next request."""
    http, clients = dashboard
    assert names(http) == {"acme": "Acme"}
    path = clients / "acme.toml"
    before = path.stat()
    with path.open("r+", encoding="utf-8") as handle:
        handle.write(CLIENT.format(name="Abcd", poll=15))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert names(http) == {"acme": "Acme"}
    write(clients, "acme", name="Acme renamed")
    write(clients, "globex", name="Globex")
    assert names(http) == {"acme": "Acme renamed", "globex": "Globex"}
