"""`syncd check`: the example passes; broken files list every problem with file and field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.clients import load_client, load_clients
from syncd.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = {
    "ACME_JIRA_TOKEN": "s3cr3t-jira-token-value",
    "ACME_JIRA_WEBHOOK_SECRET": "s3cr3t-hook",
    "TRELLO_KEY": "s3cr3t-trello-key",
    "ACME_TRELLO_TOKEN": "s3cr3t-trello-token",
    "TRELLO_SECRET": "s3cr3t-trello-secret",
}
SECRETS = list(EXAMPLE_ENV.values())

GOOD_JIRA = """
[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "ACME_JIRA_TOKEN"
jql = "project = X"
"""


def example_config(tmp_path: Path) -> Path:
    """A copy of the shipped example (client and plan), so a user's own clients never count."""
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    shutil.copy(REPO / "config" / "clients" / "example.toml", config / "clients")
    shutil.copytree(REPO / "config" / "plans", config / "plans")
    return config


def run_check(config_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in EXAMPLE_ENV} | env
    return subprocess.run(
        [sys.executable, "-m", "syncd", "check", "--config-dir", str(config_dir)],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=60,
    )


def test_example_passes(tmp_path: Path) -> None:
    """The shipped example client is valid when its environment variables are set."""
    done = run_check(example_config(tmp_path), EXAMPLE_ENV)
    assert done.returncode == 0, done.stderr
    assert "1 client(s) OK" in done.stdout and "example" in done.stdout


def write(clients: Path, name: str, text: str) -> None:
    clients.mkdir(parents=True, exist_ok=True)
    (clients / name).write_text(text, encoding="utf-8")


def test_broken_directory_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    """Bad TOML, unknown key, missing env var, duplicate id, wrong type: each named, exit 2."""
    clients = tmp_path / "clients"
    write(clients, "badtoml.toml", 'name = "x"\nconnectors = [\n')
    write(clients, "unknown.toml", 'name = "U"\ncolour = "blue"\n' + GOOD_JIRA)
    write(
        clients, "noenv.toml", 'name = "N"\n' + GOOD_JIRA.replace("ACME_JIRA_TOKEN", "NOPE_TOKEN")
    )
    write(clients, "dup.toml", 'name = "D"\n' + GOOD_JIRA + GOOD_JIRA)
    write(clients, "types.toml", 'name = "T"\npoll_minutes = "often"\n' + GOOD_JIRA)
    write(clients, "fine.toml", 'name = "F"\n' + GOOD_JIRA)
    done = run_check(tmp_path, EXAMPLE_ENV)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    expected = [
        "badtoml.toml › (toml):",
        "unknown.toml › colour: Extra inputs are not permitted",
        "noenv.toml › connectors[0].token_env: environment variable NOPE_TOKEN is not set",
        "dup.toml › connectors[1].id: duplicate connector id 'j' (also connectors[0])",
        "types.toml › poll_minutes: Input should be a valid number",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, lines)
    assert not any(line.startswith("fine.toml") for line in lines)
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr


def test_secret_values_never_print(tmp_path: Path) -> None:
    """A loaded client's repr, str and secrets show no secret value."""
    config = example_config(tmp_path)
    client = load_client(config / "clients", "example", env=EXAMPLE_ENV)
    text = repr(client) + str(client) + repr(client.secrets) + str(client.config)
    for secret in SECRETS:
        assert secret not in text
    assert client.secrets["acme-jira"].value("token") == EXAMPLE_ENV["ACME_JIRA_TOKEN"]


def test_wrong_values_are_reported_with_their_path(tmp_path: Path) -> None:
    """Bad URL scheme, unknown time zone and an unknown connector kind name their fields."""
    clients = tmp_path / "clients"
    write(
        clients,
        "c.toml",
        'name = "C"\ntimezone = "Mars/Olympus"\n'
        + GOOD_JIRA.replace("https://x.atlassian.net", "ftp://x")
        + '[[connectors]]\nkind = "asana"\nid = "a"\n',
    )
    _, problems = load_clients(clients, env=EXAMPLE_ENV)
    text = "\n".join(problems)
    assert "c.toml › timezone: Value error, unknown time zone 'Mars/Olympus'" in text
    assert "c.toml › connectors[0].url: Value error, must start with https://" in text
    assert "c.toml › connectors[1]: Input tag 'asana' found using 'kind'" in text


def test_load_client_raises_config_error_with_all_problems(tmp_path: Path) -> None:
    """Loading one invalid client raises ConfigError carrying every problem."""
    clients = tmp_path / "clients"
    write(clients, "x.toml", 'name = ""\ncolour = 1\n' + GOOD_JIRA)
    with pytest.raises(ConfigError) as info:
        load_client(clients, "x", env=EXAMPLE_ENV)
    assert len(info.value.problems) == 2
