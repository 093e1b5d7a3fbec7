"""A seeded store, a client file with a communication plan, and a real SMTP server."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from syncd.clients import Client, load_client
from syncd.comms.sink import MailSink
from tests.reports.sample import acme, seed

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ENV = {
    "ACME_TOKEN": "acme-jira-token-value",
    "ACME_SLACK": "http://127.0.0.1:9/slack/hook/T0/B0/s3cr3t-slack-path",
    "ACME_TEAMS": "http://127.0.0.1:9/teams/hook/s3cr3t-teams-path",
}
CLIENT = """\
name = "Acme rollout"
timezone = "Europe/Berlin"
dashboard_url = "https://syncd.example/clients/acme"

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "https://acme.atlassian.net"
email = "bot@example.com"
token_env = "ACME_TOKEN"
jql = "project = ACME"

[[communication]]
id = "weekly"
channel = "email"
audience = ["Ana Lima <ana@client.example>", "pmo@client.example"]
cron = "0 9 * * mon"
form = "full"

[[communication]]
id = "review"
channel = "email"
audience = ["Ana Lima <ana@client.example>"]
cron = "0 14 * * thu"
form = "review-pack"
paper = "Letter"

[[communication]]
id = "rag-slack"
channel = "slack"
webhook_env = "ACME_SLACK"
trigger = "rag_change"

[[communication]]
id = "rag-teams"
channel = "teams"
webhook_env = "ACME_TEAMS"
trigger = "rag_change"
"""


def write_client(directory: Path, text: str = CLIENT, env: dict[str, str] | None = None) -> Client:
    (directory / "clients").mkdir(parents=True, exist_ok=True)
    (directory / "clients" / "acme.toml").write_text(text, encoding="utf-8")
    return load_client(directory / "clients", "acme", env=env or ENV)


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Engine:
    """A store holding Acme's five weekly snapshots and its items."""
    seed(sqlite_engine, [acme()], now=NOW)
    return sqlite_engine


@pytest.fixture
def client(tmp_path: Path) -> Client:
    return write_client(tmp_path / "config")


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client
    context that trusts exactly that certificate."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


@pytest.fixture
def smtp_server(tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[MailSink]:
    """A real SMTP server requiring STARTTLS and a login."""
    with MailSink(tls=tls_pair[0], login=("syncd", "mail-password-value")) as sink:
        yield sink
