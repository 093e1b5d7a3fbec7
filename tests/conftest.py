from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine

from syncd import logs
from syncd.db import make_engine
from syncd.migrate import upgrade
from tests.schedule import (  # noqa: F401  (hooks: longest test files first in parallel runs)
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_configure_node,
    pytest_runtest_logreport,
    pytest_sessionfinish,
)
from tests.services import scratch_postgres

# Under CI every property test draws the same examples on every run, so a landing never turns
# on the luck of a draw; elsewhere each run draws new ones and keeps exploring (a failure found
# that way becomes a test of its own: tests/plan/test_calendar_before_origin.py was one).
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"  # payloads, contracts, plans: see each SOURCES.md


@pytest.fixture(autouse=True)
def _logging_as_found() -> Iterator[None]:
    """A test that runs the CLI in-process configures logging for the whole worker: the root
    level, httpx and alembic quieted to WARNING, a handler on the stderr pytest captured. Put
    all of it back, so the next test in the worker (whichever it is) starts from the same
    logging; pytest's own capture handlers are left to pytest."""
    names = ("", *logs.CHATTY)
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if handler not in handlers and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    with scratch_postgres() as url:
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite store."""
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@dataclass(frozen=True)
class DemoSite:
    """A running `syncd demo`: dashboard URL, admin token, its log and data directory."""

    url: str
    token: str
    log: Path
    directory: Path

    def engine(self) -> Engine:
        return make_engine(f"sqlite:///{self.directory / 'syncd.db'}")

    def env(self) -> dict[str, str]:
        """The environment for a `syncd` command run against the demo's data."""
        from syncd.demo import ENV

        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
        hooks = self.directory / "comms.env"  # the chat webhooks' URLs, on the sandbox's port
        lines = hooks.read_text(encoding="utf-8").splitlines() if hooks.exists() else []
        return (
            env
            | ENV
            | dict(line.split("=", 1) for line in lines)
            | {
                "SYNCD_CONFIG_DIR": str(self.directory / "config"),
                "SYNCD_DATA_DIR": str(self.directory),
            }
        )


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """`syncd demo` as a real process on a free port, until its first statuses are stored."""
    from syncd.demo import CLIENTS
    from tests.daemon import harness as h

    root = tmp_path_factory.mktemp("demo")
    port = h.free_port()
    log = root / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "DEMO_"))}
    env["SYNCD_LOG_LEVEL"] = "DEBUG"  # the secrets test reads its log: the most it ever says
    command = [sys.executable, "-m", "syncd", "demo", "--port", str(port), "--tick", "0",
               "--directory", str(root / "demo")]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    try:
        token = h.wait_for(lambda: _demo_token(log), 90, "the demo's token line")
        site = DemoSite(f"http://127.0.0.1:{port}", token, log, root / "demo")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=site.url, headers=headers, timeout=30) as http:
            for client in CLIENTS:
                h.wait_for(
                    lambda c=client: http.get(f"/api/clients/{c}/status").status_code == 200,
                    120, f"the first {client} status",
                )  # fmt: skip
        yield site
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _demo_token(log: Path) -> str | None:
    found = re.search(r"token: (\S+)", log.read_text(errors="replace")) if log.exists() else None
    return found.group(1) if found else None
