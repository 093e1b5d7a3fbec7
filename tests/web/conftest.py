"""A real SQLite store seeded with two clients, served by `create_app` under uvicorn."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser
from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.settings import Settings
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.ports import free_port as free_port  # the one source of ports for servers in tests
from tests.reports.sample import Sample, acme, globex, seed

CLIENT_FILES = {
    "acme": """
name = "Acme rollout"
timezone = "Europe/Berlin"
[[connectors]]
kind = "jira"
id = "acme-jira"
url = "https://acme.atlassian.net"
email = "bot@acme.example"
token_env = "ACME_JIRA_TOKEN"
jql = "project = ACME"
[[connectors]]
kind = "trello"
id = "acme-board"
board = "b1"
key_env = "TRELLO_KEY"
token_env = "ACME_TRELLO_TOKEN"
""",
    "globex": """
name = "Globex migration"
[[connectors]]
kind = "jira"
id = "globex-jira"
url = "https://globex.atlassian.net"
deployment = "datacenter"
token_env = "GLOBEX_TOKEN"
jql = "project = GX"
""",
}


@dataclass
class Site:
    """A running dashboard: its URL, store, tokens and seeded facts."""

    url: str
    engine: Engine
    admin: str
    scoped: str  # sees globex only
    dead: dict[str, int]
    samples: dict[str, Sample]
    settings: Settings

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def serve(app: Starlette, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Two seeded clients (acme, globex) behind a live server on a free port."""
    root: Path = tmp_path_factory.mktemp("site")
    (root / "config" / "clients").mkdir(parents=True)
    for name, body in CLIENT_FILES.items():
        (root / "config" / "clients" / f"{name}.toml").write_text(body, encoding="utf-8")
    engine = make_engine(f"sqlite:///{root / 'store.db'}")
    upgrade(engine)
    samples = {"acme": acme(), "globex": globex()}
    dead = seed(engine, list(samples.values()), now=datetime.now(UTC))
    settings = Settings(config_dir=root / "config", data_dir=root, public_url="http://dash")
    app = create_app(engine=engine, settings=settings, broker_check=lambda: True)
    port = free_port()
    server, thread = serve(app, port)
    yield Site(
        url=f"http://127.0.0.1:{port}",
        engine=engine,
        admin=create_token(engine, name="admin"),
        scoped=create_token(engine, client="globex", name="globex only"),
        dead=dead,
        samples=samples,
        settings=settings,
    )
    server.should_exit = True
    thread.join(timeout=5)
    engine.dispose()


def dead_job(
    engine: Engine,
    client: str,
    error: str = "503 Service Unavailable",
    *,
    kind: str = "pull",
    target: str | None = None,
    at: datetime | None = None,
) -> int:
    """Insert one more dead letter for `client` (a pull unless `kind` says), failed `at`;
    return its id."""
    from syncd.db import Job
    from syncd.store import sessions

    now = at or datetime.now(UTC)
    with sessions(engine).begin() as session:
        job = Job(
            kind=kind,
            client=client,
            target=target,
            payload={},
            state="dead",
            attempts=5,
            max_attempts=5,
            due_at=now,
            last_error=error,
            created=now,
            updated=now,
        )
        session.add(job)
        session.flush()
        return job.id


def job_state(engine: Engine, job_id: int) -> str:
    from syncd.db import Job
    from syncd.store import sessions

    with sessions(engine)() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.state


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium through Playwright; skipped without it (an error when CI=true).

    One per module: Playwright's sync API keeps an event loop running in the main thread while
    it lives, and tests after the browser's modules call `asyncio.run()`."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
