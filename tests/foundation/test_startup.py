"""Start-up: a command imports only what it uses; a current schema costs no Alembic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from syncd.db import make_engine
from syncd.migrate import HEAD, alembic_config, is_current, upgrade

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "alembic", "httpx", "starlette", "jinja2", "dramatiq", "uvicorn")
CLIENT = """\
name = "Startup"
timezone = "UTC"

[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "STARTUP_JIRA_TOKEN"
jql = "project = X"
"""


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """Which of HEAVY a fresh interpreter holds after running `code`."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def command(*args: str) -> str:
    """Code that runs `syncd ARGS` as the console script does, its output discarded."""
    return (
        "import contextlib, io, sys\n"
        f"sys.argv = ['syncd', *{list(args)!r}]\n"
        "from syncd.cli import main\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
    )


def test_help_loads_no_database_http_or_web_library() -> None:
    assert loaded_after(command("--help")) == []


def test_check_loads_no_database_http_or_web_library(tmp_path: Path) -> None:
    clients = tmp_path / "config" / "clients"
    clients.mkdir(parents=True)
    (clients / "startup.toml").write_text(CLIENT, encoding="utf-8")
    env = {"SYNCD_CONFIG_DIR": str(tmp_path / "config"), "STARTUP_JIRA_TOKEN": "t0ken-value"}
    assert loaded_after(command("check"), env) == []


def test_head_is_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert scripts.get_current_head() == HEAD


def test_upgrade_of_a_current_schema_loads_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'syncd.db'}"
    engine = make_engine(url)
    assert not is_current(engine)  # no schema yet
    upgrade(engine)
    assert is_current(engine)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()
    again = (
        "from syncd.db import make_engine\n"
        "from syncd.migrate import upgrade\n"
        f"upgrade(make_engine({url!r}))"
    )
    assert "alembic" not in loaded_after(again)


def test_a_schema_behind_head_is_still_upgraded(tmp_path: Path) -> None:
    from alembic import command as alembic_command

    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    upgrade(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        alembic_command.downgrade(config, "0003")
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)
    engine.dispose()
