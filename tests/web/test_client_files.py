"""A client file that cannot be loaded harms only itself on the dashboard and the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.settings import Settings
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.web.conftest import CLIENT_FILES, free_port, serve

BROKEN = {
    "latin.toml": 'name = "Caf\xe9"\n'.encode("latin-1"),
    "deep.toml": ("name = " + "[" * 5000 + "]" * 5000 + "\n").encode(),
}


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[httpx.Client]:
    """A live dashboard over one good client file and two that cannot be loaded."""
    clients = tmp_path / "config" / "clients"
    clients.mkdir(parents=True)
    (clients / "acme.toml").write_text(CLIENT_FILES["acme"], encoding="utf-8")
    for name, body in BROKEN.items():
        (clients / name).write_bytes(body)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(config_dir=tmp_path / "config", data_dir=tmp_path)
    server, thread = serve(create_app(engine=engine, settings=settings), port := free_port())
    token = create_token(engine, name="admin")
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        engine.dispose()


def test_api_serves_the_good_client_and_lists_the_broken_ones(dashboard: httpx.Client) -> None:
    """/api/clients answers 200: the good client as usual, each broken file with its problem."""
    response = dashboard.get("/api/clients")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["clients"]}
    assert rows["acme"]["name"] == "Acme rollout" and rows["acme"]["problems"] == []
    assert rows["latin"]["problems"] == ["latin.toml › (file): byte 11: not UTF-8 text"]
    assert rows["deep"]["problems"] == ["deep.toml › (toml): nested too deeply to read"]
    assert rows["deep"]["headline"] == "Configuration problem"


def test_health_of_a_broken_client_is_a_configuration_problem(dashboard: httpx.Client) -> None:
    """/api/clients/<id>/health of a broken file shows a `config` problem; the good one none."""
    broken = dashboard.get("/api/clients/deep/health")
    assert broken.status_code == 200
    assert [(p["kind"], p["message"]) for p in broken.json()["problems"]] == [
        ("config", "deep.toml › (toml): nested too deeply to read")
    ]
    good = dashboard.get("/api/clients/acme/health")
    assert good.status_code == 200 and good.json()["problems"] == []


def test_pages_show_the_problem_and_serve_the_rest(dashboard: httpx.Client) -> None:
    """The overview and every client page answer 200; the broken file's problem is on them."""
    overview = dashboard.get("/")
    assert overview.status_code == 200
    assert "Configuration problem: latin.toml › (file): byte 11: not UTF-8 text" in overview.text
    assert dashboard.get("/clients/acme").status_code == 200
    page = dashboard.get("/clients/latin")
    assert page.status_code == 200
    assert "latin.toml › (file): byte 11: not UTF-8 text" in page.text
