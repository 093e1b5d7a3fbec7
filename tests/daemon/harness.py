"""Run `syncd run` / `syncd worker` as real processes against a sandbox, and read the outcome.

Used by the crash, broker and end-to-end daemon tests and by the latency benchmark.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from syncd import runtime, store
from syncd.db import Cursor, Item, Job, PushState, make_engine
from syncd.migrate import upgrade
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.settings import Settings
from tests.ports import free_port as free_port  # the one source of ports for servers in tests

PLAN = Path(__file__).resolve().parents[2] / "syncd" / "plan" / "demo_plan.toml"
SECRETS = {
    "H_JIRA_TOKEN": "sandbox-jira-token",
    "H_JIRA_HOOK": "sandbox-jira-webhook-secret",
    "H_TRELLO_KEY": "sandbox-key",
    "H_TRELLO_TOKEN": "sandbox-trello-token",
    "H_TRELLO_SECRET": "sandbox-trello-secret",
}

CLIENT = """\
name = "{name}"
timezone = "Europe/Berlin"
poll_minutes = {poll}

[[connectors]]
kind = "jira"
id = "{cid}-jira"
url = "{sandbox}/cloud"
email = "bot@example.com"
token_env = "H_JIRA_TOKEN"
webhook_secret_env = "H_JIRA_HOOK"
jql = "project = {project}"
concurrency = 4

[connectors.push]
issues = ["{project}-1"]

[[connectors]]
kind = "trello"
id = "{cid}-board"
url = "{sandbox}/trello/1"
board = "{board}"
key_env = "H_TRELLO_KEY{account}"
token_env = "H_TRELLO_TOKEN{account}"
secret_env = "H_TRELLO_SECRET"

[connectors.push]
list = "Status"

[plan]
file = "../plans/plan.toml"

[[links]]
by = "epic"

[[links]]
by = "wbs_in_title"
"""


@dataclass
class Deployment:
    """A config directory, a database and the processes of one syncd deployment under test."""

    root: Path
    sandbox: Sandbox
    database_url: str = ""
    broker_url: str = "embedded"
    port: int = field(default_factory=free_port)
    lease_seconds: float = 0.0
    webhooks: bool = True
    queue_name: str = field(default_factory=lambda: f"syncd-t-{uuid.uuid4().hex[:10]}")
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # more environment for the processes

    def write_clients(
        self, clients: list[tuple[str, str, str]], *, poll: float = 1, own_trello: bool = False
    ) -> None:
        """Write client files: (client id, Jira project, Trello board id) each. `own_trello`:
        each client reads its board with a Trello account of its own (the sandbox's
        `trello_accounts` must cover them), as clients who grant access each from their own
        account; otherwise every board answers to one key and token."""
        (self.root / "config" / "clients").mkdir(parents=True, exist_ok=True)
        (self.root / "config" / "plans").mkdir(parents=True, exist_ok=True)
        (self.root / "config" / "plans" / "plan.toml").write_text(PLAN.read_text())
        for n, (cid, project, board) in enumerate(clients):
            account = f"_{n}" if own_trello and n else ""
            if account:
                key, token = self.sandbox.config.creds.trello_account(n)
                self.settings[f"H_TRELLO_KEY{account}"] = key
                self.settings[f"H_TRELLO_TOKEN{account}"] = token
            body = CLIENT.format(
                account=account,
                name=cid.title(),
                cid=cid,
                project=project,
                board=board,
                poll=poll,
                sandbox=self.sandbox.url,
            )
            (self.root / "config" / "clients" / f"{cid}.toml").write_text(body)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.root / 'data' / 'syncd.db'}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
        env.update(SECRETS)
        env.update(
            SYNCD_CONFIG_DIR=str(self.root / "config"),
            SYNCD_DATA_DIR=str(self.root / "data"),
            SYNCD_DATABASE_URL=self.db_url,
            SYNCD_BROKER_URL=self.broker_url,
            SYNCD_QUEUE_NAME=self.queue_name,
            SYNCD_BIND=f"127.0.0.1:{self.port}",
            SYNCD_WEBHOOK_BASE_URL=self.url if self.webhooks else "",
            SYNCD_JOB_LEASE_SECONDS=str(self.lease_seconds),
        )
        env.update(self.settings)
        return env

    def start(self, verb: str = "run", *, log_name: str = "daemon.log") -> subprocess.Popen[bytes]:
        log = (self.root / log_name).open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "syncd", verb],
            env=self.env(),
            stdout=log,
            stderr=log,
            cwd=self.root,
        )
        self.procs.append(proc)
        if verb == "run":
            wait_for(lambda: port_open(self.port) or proc.poll() is not None, 60, "daemon port")
            assert proc.poll() is None, self.log_tail()
        return proc

    def log_tail(self, n: int = 4000) -> str:
        path = self.root / "daemon.log"
        return path.read_text(errors="replace")[-n:] if path.exists() else ""

    def kill_all(self, sig: int = signal.SIGKILL) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(sig)
        for proc in self.procs:
            proc.wait(timeout=30)
        self.procs.clear()

    def engine(self) -> Engine:
        return make_engine(self.db_url)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(check: Callable[[], Any], timeout: float, what: str, *, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def stored_counts(engine: Engine) -> dict[str, int]:
    with store.sessions(engine)() as session:
        rows = session.execute(
            select(Item.source, func.count()).where(Item.deleted.is_(False)).group_by(Item.source)
        ).all()
        return {source: int(n) for source, n in rows}


def duplicate_keys(engine: Engine) -> list[Any]:
    with store.sessions(engine)() as session:
        return list(
            session.execute(
                text(
                    "select client, source, key, count(*) from items"
                    " group by client, source, key having count(*) > 1"
                )
            ).all()
        )


def millis(moment: datetime) -> datetime:
    """The APIs show times to the millisecond; the sandbox keeps microseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def cursors_consistent(engine: Engine, sandbox: Sandbox, client: str) -> list[str]:
    """Problems: a change at or before a connector's cursor that the store does not hold.

    A cursor may pass changes that are not items (syncd's own status card), but never an item
    change: everything the remote changed up to the cursor must be stored at least that new.
    """
    problems = []
    with store.sessions(engine)() as session:
        cursors = {
            c.source: c.cursor
            for c in session.execute(select(Cursor).where(Cursor.client == client)).scalars()
        }
        stored = {
            (source, ext): updated
            for source, ext, updated in session.execute(
                select(Item.source, Item.external_id, Item.updated).where(Item.client == client)
            )
        }
    remote: list[tuple[str, str, datetime]] = []
    for issue in sandbox.state.issues.values():
        remote.append((f"{client}-jira", str(issue.id), millis(issue.updated)))
    own = {c.id for b in sandbox.board_ids for c in status_cards(sandbox, b)}
    for card in sandbox.state.cards.values():
        if card.id not in own:
            remote.append((f"{client}-board", card.id, millis(card.date_last_activity)))
    for source, ext, changed in remote:
        cursor = cursors.get(source)
        if cursor is None or source not in {s for s, _ in stored} or changed > cursor:
            continue
        have = stored.get((source, ext))
        if have is None or have < changed:
            problems.append(f"{source}/{ext}: changed {changed}, cursor {cursor}, stored {have}")
    return problems


def registered_webhooks(engine: Engine) -> set[tuple[str, str]]:
    """(client, connector) pairs whose webhook syncd registered and remembered."""
    from syncd.db import Webhook

    with store.sessions(engine)() as session:
        rows = session.execute(select(Webhook.client, Webhook.source)).all()
        return {(client, source) for client, source in rows}


def open_jobs(engine: Engine, kind: str | None = None) -> int:
    with store.sessions(engine)() as session:
        query = select(func.count()).select_from(Job).where(Job.state.in_(("pending", "leased")))
        if kind:
            query = query.where(Job.kind == kind)
        return int(session.execute(query).scalar_one())


def pushed_targets(engine: Engine) -> set[tuple[str, str, str]]:
    with store.sessions(engine)() as session:
        rows = session.execute(select(PushState.client, PushState.source, PushState.target)).all()
        return {tuple(r) for r in rows}  # type: ignore[misc]


def status_comments(sandbox: Sandbox, issue_key: str) -> int:
    """Comments on an issue that carry syncd's marker property."""
    issue = sandbox.state.issues[issue_key]
    return sum(1 for c in issue.comments if c.properties)


def status_cards(sandbox: Sandbox, board: str) -> list[Any]:
    """Open cards on the board that carry syncd's status marker (wherever someone moved them)."""
    return [
        c
        for c in sandbox.state.cards.values()
        if c.id_board == board and not c.closed and "syncd:status" in c.desc
    ]


def card_comments(sandbox: Sandbox, card_id: str) -> int:
    state = sandbox.state
    return sum(
        1
        for a in state.actions.values()
        if a.type == "commentCard" and a.data.get("card", {}).get("id") == card_id
    )


def jira_count(sandbox: Sandbox, project: str) -> int:
    return sum(1 for i in sandbox.state.issues.values() if i.project == project)


def trello_count(sandbox: Sandbox, board: str) -> int:
    """Cards on a board, syncd's own status card excepted."""
    own = {c.id for c in status_cards(sandbox, board)}
    return sum(1 for c in sandbox.state.cards.values() if c.id_board == board and c.id not in own)


@contextmanager
def demo_runtime(root: Path, env: Any) -> Iterator[tuple[Sandbox, runtime.Runtime]]:
    """The demo sandbox, client acme's file under `root`, and this process's runtime on a
    migrated store for it: a pipeline driven in-process, no daemon. `env` is the test's
    `monkeypatch`, which sets the client file's secrets."""
    for name, value in SECRETS.items():
        env.setenv(name, value)
    with Sandbox(SandboxConfig(demo=True, seed=7)) as sb:
        Deployment(root, sb).write_clients([("acme", "ACME", sb.board_ids[0])])
        settings = Settings(config_dir=root / "config", data_dir=root / "data")
        rt = runtime.install(runtime.load(settings))
        upgrade(rt.engine)
        try:
            yield sb, rt
        finally:
            rt.engine.dispose()
