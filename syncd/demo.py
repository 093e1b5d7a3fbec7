"""`syncd demo`: the whole loop on one machine, in one command.

It starts the sandbox (a local Jira and Trello with the ACME scenario), writes three demo clients
(Jira Cloud with an API token and Trello; Jira Data Center; Jira Cloud as an OAuth 2.0 app) and
their plan into a fresh demo directory, imports the plan, registers webhooks, runs the
daemon against it all, and prints the dashboard URL with an access token. A clock thread moves
the sandbox's simulated team along, so statuses change while you watch.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from syncd.settings import Settings

log = logging.getLogger(__name__)

ENV = {
    "DEMO_JIRA_TOKEN": "sandbox-jira-token",
    "DEMO_JIRA_PAT": "sandbox-pat",
    "DEMO_JIRA_WEBHOOK_SECRET": "sandbox-jira-webhook-secret",
    "DEMO_TRELLO_KEY": "sandbox-key",
    "DEMO_TRELLO_TOKEN": "sandbox-trello-token",
    "DEMO_TRELLO_SECRET": "sandbox-trello-secret",
    "DEMO_JIRA_APP_ID": "syncd-demo-app",
    "DEMO_JIRA_APP_SECRET": "sandbox-app-secret",
    "DEMO_JIRA_APP_REFRESH": "sandbox-app-refresh-token",
}

# Every demo client measures against the one demo plan, linked the same way.
PLAN_AND_LINKS = """\
[plan]
file = "../plans/acme.toml"

[[links]]
by = "epic"

[[links]]
by = "wbs_in_title"
"""

ACME = (
    """\
name = "Acme platform rollout"
timezone = "Europe/Berlin"
poll_minutes = {poll}
dashboard_url = "{web}/clients/acme"

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "{sandbox}/cloud"
deployment = "cloud"
email = "bot@example.com"
token_env = "DEMO_JIRA_TOKEN"
webhook_secret_env = "DEMO_JIRA_WEBHOOK_SECRET"
jql = "project = ACME"

[connectors.push]
issues = ["ACME-1"]
labels = true

[[connectors]]
kind = "trello"
id = "acme-board"
url = "{sandbox}/trello/1"
board = "{board}"
key_env = "DEMO_TRELLO_KEY"
token_env = "DEMO_TRELLO_TOKEN"
secret_env = "DEMO_TRELLO_SECRET"

[connectors.push]
list = "Status"

"""
    + PLAN_AND_LINKS
)

GLOBEX = (
    """\
name = "Globex data centre migration"
timezone = "America/New_York"
poll_minutes = {poll}
dashboard_url = "{web}/clients/globex"

[[connectors]]
kind = "jira"
id = "globex-jira"
url = "{sandbox}/dc"
deployment = "datacenter"
token_env = "DEMO_JIRA_PAT"
jql = "project = ACME"

[connectors.push]
issues = ["ACME-2"]

[thresholds]
spi_amber = 0.98
spi_red = 0.9

"""
    + PLAN_AND_LINKS
)

INITECH = (
    """\
name = "Initech ERP upgrade"
timezone = "Europe/London"
poll_minutes = {poll}
dashboard_url = "{web}/clients/initech"

[[connectors]]
kind = "jira"
id = "initech-jira"
url = "{sandbox}/cloud"
auth = "oauth"
client_id_env = "DEMO_JIRA_APP_ID"
client_secret_env = "DEMO_JIRA_APP_SECRET"
refresh_token_env = "DEMO_JIRA_APP_REFRESH"
api_url = "{sandbox}/api"
auth_url = "{sandbox}/auth"
jql = "project = ACME"

[connectors.push]
issues = ["ACME-3"]

"""
    + PLAN_AND_LINKS
)
CLIENTS = {"acme": ACME, "globex": GLOBEX, "initech": INITECH}


@dataclass(frozen=True)
class DemoOptions:
    port: int = 8080
    sandbox_port: int = 0
    tick_seconds: float = 30.0
    advance_hours: float = 2.0
    poll_minutes: int = 1
    directory: Path = Path(".data/demo")


def prepare(options: DemoOptions, sandbox_url: str, board: str) -> Settings:
    """A fresh demo directory with the demo clients and their plan; settings pointing at it."""
    root = options.directory
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(mode=0o700, parents=True)  # it holds the demo's store: private, as syncd's own
    root.chmod(0o700)  # the umask may have taken bits away, never added them
    (root / "config" / "clients").mkdir(parents=True)
    (root / "config" / "plans").mkdir()
    plan = resources.files("syncd.plan").joinpath("demo_plan.toml").read_text(encoding="utf-8")
    (root / "config" / "plans" / "acme.toml").write_text(plan, encoding="utf-8")
    web = f"http://127.0.0.1:{options.port}"
    values = {"sandbox": sandbox_url, "web": web, "board": board, "poll": options.poll_minutes}
    for name, text in CLIENTS.items():
        (root / "config" / "clients" / f"{name}.toml").write_text(
            text.format(**values), encoding="utf-8"
        )
    os.environ.update(ENV)
    return Settings(
        config_dir=root / "config",
        data_dir=root,
        database_url="",
        broker_url="embedded",
        bind=f"127.0.0.1:{options.port}",
        public_url=web,
        webhook_base_url=web,
    )


def run(options: DemoOptions, *, announce: Callable[[str], None] = print) -> None:
    """Start the sandbox and the daemon; block until SIGINT or SIGTERM."""
    from syncd import daemon
    from syncd.clients import load_client
    from syncd.comms import demo as comms_demo
    from syncd.db import make_engine
    from syncd.migrate import upgrade
    from syncd.pipeline import import_plan
    from syncd.sandbox import Sandbox, SandboxConfig
    from syncd.web.auth import create_token

    sandbox = Sandbox(SandboxConfig(demo=True, seed=7, port=options.sandbox_port)).start()
    board = sandbox.board_ids[0]
    sandbox.state.oauth.register_app(ENV["DEMO_JIRA_APP_ID"], ENV["DEMO_JIRA_APP_SECRET"])
    sandbox.state.oauth.grant(ENV["DEMO_JIRA_APP_ID"], token=ENV["DEMO_JIRA_APP_REFRESH"])
    settings = prepare(options, sandbox.url, board)
    settings = comms_demo.attach(settings, sandbox, settings.clients_dir / "acme.toml")
    engine = make_engine(settings.db_url)
    upgrade(engine)
    for client_id in CLIENTS:
        import_plan(engine, load_client(settings.clients_dir, client_id))
    token = create_token(engine, client=None, name="demo")
    engine.dispose()
    stop = threading.Event()

    def ready(url: str) -> None:
        announce(f"syncd demo running: sandbox at {sandbox.url}")
        announce(f"dashboard: {url}/?token={token}")
        announce(f"token: {token}")
        comms_demo.start(settings, stop, announce)
        if options.tick_seconds > 0:
            threading.Thread(target=_clock, args=(sandbox, options, stop), daemon=True).start()

    try:
        daemon.run(settings, on_ready=ready)
    finally:
        stop.set()
        sandbox.stop()


def _clock(sandbox: object, options: DemoOptions, stop: threading.Event) -> None:
    while not stop.wait(options.tick_seconds):
        try:
            sandbox.advance(hours=options.advance_hours)  # type: ignore[attr-defined]
        except Exception:
            log.warning("sandbox clock step failed", exc_info=True)
