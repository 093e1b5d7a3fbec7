"""What the CLI prints of text it did not write: no emoji codes, no terminal control sequences."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from syncd.db import make_engine
from syncd.migrate import upgrade
from tests.web.conftest import dead_job

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
JIRA = """
[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "SOME_JIRA_TOKEN"
jql = "project = X"
"""


def syncd(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env |= {
        "SYNCD_CONFIG_DIR": str(root / "config"),
        "SYNCD_DATA_DIR": str(root / "data"),
        "SOME_JIRA_TOKEN": "t",
    }
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def test_error_messages_show_emoji_codes_as_written(tmp_path: Path) -> None:
    """A problem quoting `:x:` prints `:x:`, not a cross emoji."""
    clients = tmp_path / "config" / "clients"
    clients.mkdir(parents=True)
    (clients / "c.toml").write_text(f'name = "C"\ncron = ":x: :smile:"\n{JIRA}', encoding="utf-8")
    done = syncd("check", root=tmp_path)
    assert done.returncode == 2
    assert "not a cron expression: ':x: :smile:'" in done.stderr
    assert "❌" not in done.stderr and "😄" not in done.stderr


def test_tracker_text_cannot_send_control_sequences(tmp_path: Path) -> None:
    """A dead letter whose error holds ESC sequences, BEL and a C1 CSI lists without any of them:
    each shows as U+FFFD."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'syncd.db'}")
    try:
        upgrade(engine)
        dead_job(engine, "acme", error="boom \x1b]0;owned\x07\x1b[2J\x9b31m :x: end")
    finally:
        engine.dispose()
    done = syncd("dlq", "list", root=tmp_path)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "boom" in x)
    assert line.endswith("boom \ufffd]0;owned\ufffd\ufffd[2J\ufffd31m :x: end")
    assert not CONTROL.search(done.stdout.replace("\t", "").replace("\n", ""))
