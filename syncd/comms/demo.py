"""The communication plan in `syncd demo`: a local SMTP sink, Slack and Teams webhooks on the
sandbox, a plan for the Acme client, and a first round sent as soon as Acme has a status.

`attach` is all `syncd.demo` calls: it starts the sink, adds the plan to Acme's file, points
the daemon's settings at the sink, and registers the pages that show what was caught.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from syncd.comms import showcase
from syncd.comms.sink import MailSink
from syncd.settings import Settings

log = logging.getLogger(__name__)

PLAN = """
[registers]
risk = {{ types = ["Risk"], labels = ["risk"] }}

[[communication]]
id = "weekly"
channel = "email"
audience = ["Dana Client <dana@acme.example>", "pmo@acme.example"]
cron = "0 9 * * mon"
form = "full"

[[communication]]
id = "review"
channel = "email"
audience = ["Dana Client <dana@acme.example>"]
cron = "0 14 * * thu"
form = "review-pack"

[[communication]]
id = "digest"
channel = "email"
audience = ["team@consultancy.example"]
cron = "*/15 * * * *"
form = "summary"

[[communication]]
id = "rag-slack"
channel = "slack"
webhook_env = "DEMO_SLACK_WEBHOOK"
trigger = "rag_change"

[[communication]]
id = "rag-teams"
channel = "teams"
webhook_env = "DEMO_TEAMS_WEBHOOK"
trigger = "rag_change"
"""
FIRST_ROUND = ("weekly", "review", "rag-slack", "rag-teams")


def attach(settings: Settings, sandbox: Any, client_file: Path) -> Settings:
    """Start the sink, give Acme a communication plan, and return settings that use the sink."""
    sink = MailSink().start()
    hooks = {
        "DEMO_SLACK_WEBHOOK": f"{sandbox.url}/chat/slack/T0DEMO/B0DEMO/demo-slack-hook",
        "DEMO_TEAMS_WEBHOOK": f"{sandbox.url}/chat/teams/workflows/demo-teams-hook",
    }
    os.environ.update(hooks)
    # for `syncd` commands run beside the demo: the sandbox's port changes with every run
    env_file = settings.data_dir / "comms.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in hooks.items()), encoding="utf-8")
    env_file.chmod(0o600)
    with client_file.open("a", encoding="utf-8") as out:
        out.write(PLAN.format())
    showcase.mail_sources.append(lambda: [c.message for c in sink.messages()])
    showcase.chat_sources.append(lambda: [(m.service, m.body) for m in sandbox.chat.all()])
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_security": "none"}
    )


def first_round(settings: Settings, client_id: str, stop: threading.Event) -> None:
    """Once the client has a status, queue one delivery of each showcased entry (the daemon's
    sweeper sends them), so the demo's pages have mail and chat to show at once."""
    from syncd.clients import load_client
    from syncd.comms import delivery
    from syncd.db import make_engine
    from syncd.store import sessions
    from syncd.store.snapshots import newest_status_date

    engine = make_engine(settings.db_url)
    try:
        client = load_client(settings.clients_dir, client_id)
        while not stop.wait(2.0):
            with sessions(engine)() as session:
                day = newest_status_date(session, client_id)
            if day is None:
                continue
            for entry_id in FIRST_ROUND:
                entry = delivery.entry_of(client, entry_id)
                delivery.request(engine, client, entry, day, reason="demo: the first round")
            return
    except Exception:
        log.warning("the demo's first round of the communication plan failed", exc_info=True)
    finally:
        engine.dispose()


def start(settings: Settings, stop: threading.Event, announce: Any) -> None:
    """Announce the pages and send the first round in the background."""
    web = settings.public_url
    announce(f"communication plan: {web}/clients/acme/communication")
    announce(f"caught mail: {web}/demo/mail · chat messages: {web}/demo/chat")
    threading.Thread(
        target=first_round, args=(settings, "acme", stop), name="demo-comms", daemon=True
    ).start()
