from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from syncd.cli.report import report, token_create, token_list, token_revoke
from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.web.auth import lookup
from tests.reports.sample import acme, seed

app = typer.Typer()
app.command("report")(report)
app.command("token")(token_create)
app.command("tokens")(token_list)
app.command("revoke")(token_revoke)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("SYNCD_DATABASE_URL", url)
    monkeypatch.setenv("SYNCD_CONFIG_DIR", str(tmp_path / "config"))
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, [acme()], now=datetime.now(UTC))
    engine.dispose()
    return url


@pytest.mark.parametrize("fmt", ["html", "md", "json", "csv"])
def test_report_writes_each_format(store: str, tmp_path: Path, fmt: str) -> None:
    """`syncd report acme --format F --out FILE` writes that rendering."""
    out = tmp_path / f"r.{fmt}"
    result = CliRunner().invoke(app, ["report", "acme", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert {"html": "<!doctype html>", "md": "# acme", "json": '"schema"', "csv": "wbs,key"}[
        fmt
    ] in text


def test_report_as_of_to_stdout(store: str) -> None:
    """--as-of picks an earlier snapshot; without --out the report goes to stdout."""
    result = CliRunner().invoke(app, ["report", "acme", "-f", "json", "--as-of", "2026-11-10"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == "2026-11-09"


def test_report_of_unknown_client_fails(store: str) -> None:
    """An unknown client is a readable error, not a traceback."""
    result = CliRunner().invoke(app, ["report", "nobody"])
    assert result.exit_code != 0 and "no such client" in str(result.exception)


def test_token_create_prints_a_working_token(store: str) -> None:
    """`syncd token create --client acme` prints a token that is scoped to acme."""
    result = CliRunner().invoke(app, ["token", "--client", "acme"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    engine = make_engine(store)
    principal = lookup(engine, token)
    engine.dispose()
    assert principal is not None and principal.client == "acme"


def test_a_revoked_token_stops_working(store: str) -> None:
    """`syncd token list` shows the token's id and scope, never the token; after
    `syncd token revoke ID` it is refused; an unknown id is an error with exit 1."""
    runner = CliRunner()
    token = runner.invoke(app, ["token", "--client", "acme", "--name", "ci"]).stdout.split()[0]
    listed = runner.invoke(app, ["tokens"])
    assert listed.exit_code == 0 and token not in listed.stdout
    [line] = [row for row in listed.stdout.splitlines() if row.endswith("\tci")]
    token_id, scope = line.split("\t")[:2]
    assert scope == "acme"
    revoked = runner.invoke(app, ["revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    engine = make_engine(store)
    assert lookup(engine, token) is None
    engine.dispose()
    missing = runner.invoke(app, ["revoke", token_id])
    assert missing.exit_code == 1 and "no token with id" in missing.output
