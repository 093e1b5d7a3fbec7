"""Every failure path of every connector, logged at DEBUG: no secret anywhere syncd wrote.

The demo's three clients (Jira Cloud with an API token and a Trello board; Jira Data Center
with a PAT; Jira Cloud as an OAuth app) run against a sandbox whose every answer is a fault:
503s that are retried until they give up, refused credentials (401), and 400s whose bodies repeat
the request line with its query, as some servers' error pages do. Under each, syncd pulls
(a full pull, then incremental ones), pushes, refreshes OAuth tokens and registers webhooks, as
commands and as the daemon, with SYNCD_LOG_LEVEL=DEBUG. Then every output is searched for every
secret value: the logs of each process, each command's output, the dashboard's pages, the API
(health included), /metrics, each report format, the dead-letter list and a dump of the database.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from syncd.clients import load_client
from syncd.db import make_engine
from syncd.demo import CLIENTS, ENV, DemoOptions, prepare, start_sandbox
from syncd.migrate import upgrade
from syncd.pipeline import import_plan
from syncd.sandbox import Faults, Sandbox
from syncd.web.auth import create_token
from tests.daemon import harness as h

FAULTS = {
    "retried 503": Faults(error_rate=1.0, statuses=(503,), retry_after_s=0),
    "refused 401": Faults(error_rate=1.0, statuses=(401,)),
    "echoing 400": Faults(error_rate=1.0, statuses=(400,), echo=True),
}
# The OAuth app's client id is public (it is in the app's callback URL); the rest are secrets.
SECRETS = sorted(v for k, v in ENV.items() if k != "DEMO_JIRA_APP_ID")


@dataclass
class Site:
    sandbox: Sandbox
    root: Path
    port: int
    token: str
    outputs: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "DEMO_"))}
        return base | ENV | {
            "SYNCD_CONFIG_DIR": str(self.root / "config"),
            "SYNCD_DATA_DIR": str(self.root),
            "SYNCD_LOG_LEVEL": "DEBUG",
            "SYNCD_BIND": f"127.0.0.1:{self.port}",
            "SYNCD_PUBLIC_URL": self.url,
            "SYNCD_WEBHOOK_BASE_URL": self.url,
        }  # fmt: skip

    def syncd(self, name: str, *args: str) -> None:
        """Run a command to its end; keep what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "syncd", *args],
            capture_output=True, text=True, env=self.env(), check=False, timeout=300,
        )  # fmt: skip
        self.outputs[name] = done.stdout + done.stderr


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The demo's clients and plans in a fresh directory, against a sandbox of our own."""
    port = h.free_port()
    options = DemoOptions(port=port, directory=tmp_path / "demo")
    sandbox, boards = start_sandbox(options)
    saved = dict(os.environ)
    try:
        settings = prepare(options, sandbox.url, boards)  # it sets the demo's variables
    finally:
        os.environ.clear()
        os.environ.update(saved)
    config = options.directory / "config"
    engine = make_engine(settings.db_url)
    upgrade(engine)
    for name in CLIENTS:
        import_plan(engine, load_client(config / "clients", name, env=ENV))
    token = create_token(engine, client=None, name="test")
    engine.dispose()
    try:
        yield Site(sandbox, options.directory, port, token, {})
    finally:
        sandbox.stop()


def commands_under(site: Site, label: str, faults: Faults) -> None:
    """Pull and push every client from the command line while every answer is `faults`; the
    pushes that died under earlier faults are replayed first, so each push meets these."""
    site.sandbox.set_faults(faults)
    site.syncd(f"{label}: dlq replay", "dlq", "replay", "--all")
    for client in CLIENTS:
        site.syncd(f"{label}: sync {client}", "sync", client)
        site.syncd(f"{label}: push {client}", "push", client, "-v")


def daemon_under(site: Site, faults: Faults) -> None:
    """`syncd run` while every answer is `faults`: webhook registration and scheduled pulls
    fail; then every page and API answer it serves is kept."""
    site.sandbox.set_faults(faults)
    log = site.root / "daemon.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run"], stdout=out, stderr=subprocess.STDOUT,
            env=site.env(), cwd=site.root,
        )  # fmt: skip
    try:
        headers = {"Authorization": f"Bearer {site.token}"}
        with httpx.Client(base_url=site.url, headers=headers, timeout=30) as web:
            h.wait_for(lambda: _answers(web, "/healthz"), 60, "the daemon")
            for client, source in (("acme", "acme-board"), ("acme", "acme-jira"),
                                   ("initech", "initech-jira")):  # fmt: skip
                h.wait_for(
                    lambda c=client, s=source: f"{s}" in _problems(web, c, "webhook"),
                    120, f"the {source} webhook problem",
                )  # fmt: skip
            for path in ("/", "/api/clients", "/metrics", "/healthz"):
                site.outputs[path] = web.get(path).text
            for client in CLIENTS:
                site.outputs[f"/clients/{client}"] = web.get(f"/clients/{client}").text
                for part in ("", "/status", "/snapshots", "/items", "/health"):
                    path = f"/api/clients/{client}{part}"
                    site.outputs[path] = web.get(path).text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    site.outputs["daemon log"] = log.read_text(errors="replace")


def _answers(web: httpx.Client, path: str) -> bool:
    try:
        return web.get(path).status_code == 200
    except httpx.TransportError:
        return False


def _problems(web: httpx.Client, client: str, kind: str) -> str:
    """The sources of the client's open problems of `kind`, as its health answer lists them."""
    health = web.get(f"/api/clients/{client}/health").json()
    found = [p for p in health.get("problems", []) if p.get("kind") == kind]
    return " ".join(str(p.get("source")) for p in found)


def database_dump(path: Path) -> str:
    """Every row of every table, except the rotated refresh tokens the store must keep."""
    kept = 'INSERT INTO "oauth_grants"'
    with closing(sqlite3.connect(path)) as db:
        return "\n".join(line for line in db.iterdump() if not line.startswith(kept))


def test_no_secret_is_written_on_any_failure_path(site: Site) -> None:
    """At DEBUG, failed pulls, pushes, token refreshes and webhook registrations of every
    connector leave no secret in logs, output, pages, API, metrics, reports or the database."""
    commands_under(site, "retried 503", FAULTS["retried 503"])  # full pulls fail
    site.sandbox.set_faults(Faults())
    for client in CLIENTS:
        site.syncd(f"ok: sync {client}", "sync", client)
    for label in ("refused 401", "echoing 400"):  # incremental pulls, pushes and refreshes fail
        commands_under(site, label, FAULTS[label])
    daemon_under(site, FAULTS["retried 503"])
    site.sandbox.set_faults(Faults())
    for fmt in ("html", "md", "json", "csv"):
        site.syncd(f"report acme {fmt}", "report", "acme", "--format", fmt)
    site.syncd("dlq list", "dlq", "list")
    site.outputs["database"] = database_dump(site.root / "syncd.db")

    text = site.outputs
    issued = site.sandbox.state.oauth.issued()
    assert len(issued) > 2  # the OAuth client did refresh its grant
    leaks = sorted({(where, secret) for where, output in text.items()
                    for secret in [*SECRETS, *issued] if secret in output})  # fmt: skip
    assert leaks == []
    # ...and the failures did happen, at DEBUG, and were recorded (masked):
    assert "HTTP Request: GET" in text["daemon log"] and " DEBUG " in text["daemon log"]
    assert "/1/tokens/***/webhooks" in text["daemon log"]
    assert "/1/tokens/***/webhooks" in text["/api/clients/acme/health"]
    assert "not authorized (401)" in text["refused 401: sync globex"]
    assert "OAuth app's client id or secret was refused" in text["refused 401: sync initech"]
    assert "key=***&token=***" in text["echoing 400: push acme"]
    assert "dead letter(s)" in text["dlq list"]
