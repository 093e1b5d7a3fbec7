"""`syncd demo`: the whole loop on one machine, in one command.

It starts the sandbox (a local Jira and Trello with the demo's story, `syncd.sandbox.story`:
three clients on their own project and board, one on plan, one growing in scope, one late with
a failed push), writes the clients (Jira Cloud with an API token; Jira Data Center; Jira Cloud
as an OAuth 2.0 app; each with a Trello board) and their plans into a fresh demo directory,
pulls them once and backfills a snapshot per day since each plan started (so every chart has
history on the first load), runs the daemon against it all, and prints the dashboard URL with
an access token. A clock thread moves the sandbox's simulated team along, so statuses change
while you watch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from syncd.clients import Client
    from syncd.sandbox import Sandbox

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

# Every demo client measures against its own plan, linked the same way.
PLAN_AND_LINKS = """\
[plan]
file = "../plans/{client}.toml"

[[links]]
by = "epic"

[[links]]
by = "wbs_in_title"
"""

BOARD = """\
[[connectors]]
kind = "trello"
id = "{client}-board"
url = "{sandbox}/trello/1"
board = "{board}"
key_env = "DEMO_TRELLO_KEY"
token_env = "DEMO_TRELLO_TOKEN"
secret_env = "DEMO_TRELLO_SECRET"

[connectors.push]
list = "Status"

"""

ACME = (
    """\
name = "{name}"
timezone = "Europe/Berlin"
poll_minutes = {poll}
dashboard_url = "{web}/clients/{client}"
owner = "{owner}"
tags = {tags}

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "{sandbox}/cloud"
deployment = "cloud"
email = "bot@example.com"
token_env = "DEMO_JIRA_TOKEN"
webhook_secret_env = "DEMO_JIRA_WEBHOOK_SECRET"
jql = "project = {project}"

[connectors.push]
issues = ["{status_issue}"]
labels = true

"""
    + BOARD
    + PLAN_AND_LINKS
)

GLOBEX = (
    """\
name = "{name}"
timezone = "America/New_York"
poll_minutes = {poll}
dashboard_url = "{web}/clients/{client}"
owner = "{owner}"
tags = {tags}

[[connectors]]
kind = "jira"
id = "globex-jira"
url = "{sandbox}/dc"
deployment = "datacenter"
token_env = "DEMO_JIRA_PAT"
jql = "project = {project}"

[connectors.push]
issues = ["{status_issue}"]

[thresholds]
spi_amber = 0.9
spi_red = 0.8

"""
    + BOARD
    + PLAN_AND_LINKS
)

INITECH = (
    """\
name = "{name}"
timezone = "Europe/London"
poll_minutes = {poll}
dashboard_url = "{web}/clients/{client}"
owner = "{owner}"
tags = {tags}

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
jql = "project = {project}"

[connectors.push]
issues = ["{status_issue}"]

"""
    + BOARD
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
    anchor: date = field(default_factory=lambda: datetime.now(UTC).date())  # the demo's today


def prepare(options: DemoOptions, sandbox_url: str, boards: Mapping[str, str]) -> Settings:
    """A fresh demo directory with the demo clients and their plans; settings pointing at it.

    `boards` maps each client to its sandbox Trello board id.
    """
    from syncd.sandbox.story import STORIES, plan_toml

    root = options.directory
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(mode=0o700, parents=True)  # it holds the demo's store: private, as syncd's own
    root.chmod(0o700)  # the umask may have taken bits away, never added them
    (root / "config" / "clients").mkdir(parents=True)
    (root / "config" / "plans").mkdir()
    web = f"http://127.0.0.1:{options.port}"
    for story in STORIES:
        plan = plan_toml(story, options.anchor)
        (root / "config" / "plans" / f"{story.client}.toml").write_text(plan, encoding="utf-8")
        values = {
            "sandbox": sandbox_url,
            "web": web,
            "board": boards[story.client],
            "poll": options.poll_minutes,
            "client": story.client,
            "name": story.name,
            "project": story.project,
            "status_issue": story.status_issue,
            "owner": story.owner,
            "tags": json.dumps(list(story.tags)),
        }
        (root / "config" / "clients" / f"{story.client}.toml").write_text(
            CLIENTS[story.client].format(**values), encoding="utf-8"
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


def backfill(engine: Engine, client: Client, first: date, last: date) -> int:
    """Pull every connector of `client` once, then store a snapshot for each day from `first`
    up to `last` (items are rebuilt from their history, so each day sees its own states).
    No pushes are queued: the daemon pushes today's status. Returns the snapshots stored."""
    import asyncio

    from syncd import store, sync
    from syncd.pipeline import reconcile_client, save_snapshot

    for conn in client.config.connectors:
        asyncio.run(sync.pull(engine, client, conn.id))
    stored = 0
    day = first
    while day <= last:
        _rec, snapshot, _items = reconcile_client(engine, client, as_of=day)
        with store.sessions(engine).begin() as session:
            save_snapshot(session, client.id, snapshot)
        stored += 1
        day += timedelta(days=1)
    return stored


def start_sandbox(options: DemoOptions) -> tuple[Sandbox, dict[str, str]]:
    """The sandbox with the demo's story from the demo's today, its OAuth app registered and
    granted; and each client's Trello board id."""
    from syncd.sandbox import Sandbox, SandboxConfig
    from syncd.sandbox.story import STORIES

    start = datetime.combine(options.anchor, time(8), tzinfo=UTC)
    sandbox = Sandbox(
        SandboxConfig(story=True, seed=7, port=options.sandbox_port, start=start)
    ).start()
    boards = {s.client: b.id for s, b in zip(STORIES, sandbox.state.boards.values(), strict=True)}
    sandbox.state.oauth.register_app(ENV["DEMO_JIRA_APP_ID"], ENV["DEMO_JIRA_APP_SECRET"])
    sandbox.state.oauth.grant(ENV["DEMO_JIRA_APP_ID"], token=ENV["DEMO_JIRA_APP_REFRESH"])
    return sandbox, boards


def run(options: DemoOptions, *, announce: Callable[[str], None] = print) -> None:
    """Start the sandbox and the daemon; block until SIGINT or SIGTERM."""
    from syncd import daemon
    from syncd.clients import load_client
    from syncd.comms import demo as comms_demo
    from syncd.db import make_engine
    from syncd.migrate import upgrade
    from syncd.pipeline import import_plan
    from syncd.sandbox.story import STORIES, plan_start
    from syncd.web.auth import create_token

    sandbox, boards = start_sandbox(options)
    announce(f"sandbox Jira and Trello at {sandbox.url}:")
    for story in STORIES:
        announce(f"  {story.name}: Jira project {story.project}, Trello board {story.board!r}")
    settings = prepare(options, sandbox.url, boards)
    settings = comms_demo.attach(settings, sandbox, settings.clients_dir / "acme.toml")
    engine = make_engine(settings.db_url)
    upgrade(engine)
    first = plan_start(options.anchor) + timedelta(days=1)
    yesterday = options.anchor - timedelta(days=1)
    for story in STORIES:
        client = load_client(settings.clients_dir, story.client)
        import_plan(engine, client)
        count = backfill(engine, client, first, yesterday)
        announce(f"  {story.client}: pulled, and {count} daily snapshots backfilled from {first}")
    token = create_token(engine, client=None, name="demo")
    engine.dispose()
    stop = threading.Event()

    def ready(url: str) -> None:
        announce(f"syncd demo running: sandbox at {sandbox.url}")
        announce(f"dashboard: {url}/?token={token}")
        announce(f"token: {token}")
        comms_demo.start(settings, stop, announce)
        if options.tick_seconds > 0:
            announce(
                f"the simulated team moves items every {options.tick_seconds:g} s "
                f"({options.advance_hours:g} simulated hours a step); statuses land in "
                f"{', '.join(s.status_issue for s in STORIES)} and each board's Status card; "
                "Ctrl-C stops"
            )
            threading.Thread(target=_clock, args=(sandbox, options, stop), daemon=True).start()
        else:
            announce("the simulated team is paused (--tick 0); Ctrl-C stops")

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
