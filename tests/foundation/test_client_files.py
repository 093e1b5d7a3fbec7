"""Client files are read one by one: a broken file is a problem of its own, never a crash; plan
paths stay in the config directory; an `*_env` holding a secret is never printed back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.clients import load_client, load_clients
from syncd.errors import ConfigError

TOKEN = "ATATT3xFfGF0-pasted-secret-9f8e7d6c5b4a"
ENV = {"GOOD_JIRA_TOKEN": "s3cr3t-jira-token-value"}
JIRA = """
[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "GOOD_JIRA_TOKEN"
jql = "project = X"
"""
PLAN = """
[plan]
name = "P"
[[tasks]]
key = "1"
name = "Build"
start = 2026-01-05
finish = 2026-01-09
budget = 40
"""
DEEP = "name = " + "[" * 5000 + "]" * 5000 + "\n"


def run_check(config_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")} | ENV
    return subprocess.run(
        [sys.executable, "-m", "syncd", "check", "--config-dir", str(config_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def client_dir(root: Path, files: dict[str, str | bytes]) -> Path:
    clients = root / "clients"
    clients.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        target = clients / name
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body, encoding="utf-8")
    return clients


def test_non_utf8_and_deeply_nested_files_are_problems_of_their_own(tmp_path: Path) -> None:
    """`syncd check` names a Latin-1 file and a 5,000-deep array as problems of those files
    (exit 2, no traceback) and loads the good client beside them."""
    client_dir(
        tmp_path,
        {
            "latin.toml": 'name = "Caf\xe9"\n'.encode("latin-1") + JIRA.encode(),
            "deep.toml": DEEP,
            "good.toml": 'name = "Good"\n' + JIRA,
        },
    )
    done = run_check(tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert "latin.toml › (file): byte 11: not UTF-8 text" in lines
    assert "deep.toml › (toml): nested too deeply to read" in lines
    assert not any(line.startswith("good.toml") for line in lines)
    clients, _ = load_clients(tmp_path / "clients", env=ENV)
    assert [c.id for c in clients] == ["good"]


@pytest.mark.parametrize("given", ["../../../../../../../../etc/passwd", "../../outside.toml"])
def test_relative_plan_path_may_not_leave_the_config_directory(tmp_path: Path, given: str) -> None:
    """A relative `[plan] file` that climbs out of the config directory is a config error that
    names the file and field, and nothing of the target is read or printed."""
    (tmp_path / "outside.toml").write_text(PLAN, encoding="utf-8")
    config = tmp_path / "deploy" / "config"
    client_dir(config, {"c.toml": f'name = "C"\n{JIRA}\n[plan]\nfile = "{given}"\n'})
    done = run_check(config)
    assert done.returncode == 2
    problem = f"c.toml › plan.file: {given} leaves the config directory {config.resolve()};"
    assert done.stderr.startswith(problem), done.stderr
    assert "root:" not in done.stdout + done.stderr
    with pytest.raises(ConfigError, match=r"c\.toml › plan\.file: "):
        load_client(config / "clients", "c", env=ENV)


def test_plan_inside_the_config_directory_or_absolute_is_read(tmp_path: Path) -> None:
    """`../plans/x.toml` (inside the config directory) and an explicit absolute path both load."""
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text(PLAN, encoding="utf-8")
    config = tmp_path / "config"
    (config / "plans").mkdir(parents=True)
    (config / "plans" / "p.toml").write_text(PLAN, encoding="utf-8")
    client_dir(
        config,
        {
            "inside.toml": f'name = "I"\n{JIRA}\n[plan]\nfile = "../plans/p.toml"\n',
            "absolute.toml": f'name = "A"\n{JIRA}\n[plan]\nfile = "{elsewhere}"\n',
        },
    )
    clients, problems = load_clients(config / "clients", env=ENV)
    assert problems == []
    paths = {c.id: c.plan_path for c in clients}
    assert paths == {"absolute": elsewhere, "inside": (config / "plans" / "p.toml").resolve()}


def test_secret_pasted_into_an_env_field_is_not_printed(tmp_path: Path) -> None:
    """A token pasted where its variable's name belongs is reported without being echoed; an
    unset variable name is still named."""
    client_dir(
        tmp_path,
        {
            "pasted.toml": 'name = "P"\n' + JIRA.replace("GOOD_JIRA_TOKEN", TOKEN),
            "unset.toml": 'name = "U"\n' + JIRA.replace("GOOD_JIRA_TOKEN", "NOT_SET_TOKEN"),
        },
    )
    done = run_check(tmp_path)
    assert done.returncode == 2
    assert TOKEN not in done.stdout + done.stderr
    assert TOKEN[:12] not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert "pasted.toml › connectors[0].token_env: names no set environment variable;" in (
        "\n".join(lines)
    )
    assert (
        "unset.toml › connectors[0].token_env: environment variable NOT_SET_TOKEN is not set"
        in lines
    )
