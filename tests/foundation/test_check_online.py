"""`syncd check --online` against the sandbox over real HTTP: a good client passes every check;
each broken setting gives its red line and exit 2; no credential is ever printed; every request
is read-only and valid against the official contracts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd.check.online import check_online
from syncd.clients import load_client
from syncd.sandbox import Sandbox, SandboxConfig
from tests.contracts import contract_errors

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "config" / "plans" / "example.toml"

CLIENT = """
name = "Sandbox client"
[[connectors]]
kind = "jira"
id = "sb-jira"
url = "{jira}"
deployment = "{deployment}"
{email}
token_env = "SB_JIRA_TOKEN"
jql = "project in (ACME, BETA)"
webhook_secret_env = "SB_JIRA_HOOK"
[connectors.push]
issues = ["ACME-1"]
[[connectors]]
kind = "trello"
id = "sb-board"
url = "{trello}"
board = "{board}"
key_env = "SB_TRELLO_KEY"
token_env = "SB_TRELLO_TOKEN"
secret_env = "SB_TRELLO_SECRET"
[connectors.push]
list = "Review"
[plan]
file = "../plans/example.toml"
[[links]]
by = "trello_list"
source = "sb-board"
map = {{ "Doing" = "2.1" }}
[[links]]
by = "trello_label"
map = {{ "Backend" = "2.1", "Frontend" = "2.2" }}
[[links]]
by = "field"
source = "sb-board"
field = "WBS"
"""


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=1, jira_issues=30, trello_cards=10)) as sandbox:
        yield sandbox


def secrets(sb: Sandbox, *, cloud: bool = True) -> dict[str, str]:
    c = sb.creds
    return {
        "SB_JIRA_TOKEN": c.jira_token if cloud else c.jira_pat,
        "SB_JIRA_HOOK": c.jira_webhook_secret,
        "SB_TRELLO_KEY": c.trello_key,
        "SB_TRELLO_TOKEN": c.trello_token,
        "SB_TRELLO_SECRET": c.trello_secret,
    }


def client_dir(tmp_path: Path, sb: Sandbox, *, cloud: bool = True, **edits: str) -> Path:
    """A config directory with one client on the sandbox; `edits` replace text in its file."""
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    (config / "plans").mkdir()
    shutil.copy(PLAN, config / "plans")
    text = CLIENT.format(
        jira=sb.jira_cloud_url if cloud else sb.jira_dc_url,
        deployment="cloud" if cloud else "datacenter",
        email=f'email = "{sb.creds.jira_email}"' if cloud else "",
        trello=sb.trello_url,
        board=sb.board_ids[0],
    )
    for old, new in edits.values():
        assert old in text, old
        text = text.replace(old, new)
    (config / "clients" / "sb.toml").write_text(text, encoding="utf-8")
    return config


def run_check(config: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """`syncd check --online` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", "check", "--online", "--config-dir", str(config), *options],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "NO_COLOR": "1"},
        check=False,
        timeout=120,
    )


def lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stdout.splitlines() if line[:1] in ("✓", "✗")]


def red(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in lines(done) if line.startswith("✗")]


def assert_no_secret(sb: Sandbox, done: subprocess.CompletedProcess[str]) -> None:
    for value in secrets(sb).values():
        assert value not in done.stdout + done.stderr


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_a_good_client_passes_every_check(tmp_path: Path, sb: Sandbox, cloud: bool) -> None:
    """Every check green, one line each, exit 0; the JQL's count and the field id are shown."""
    done = run_check(client_dir(tmp_path, sb, cloud=cloud), secrets(sb, cloud=cloud))
    assert done.returncode == 0, done.stdout + done.stderr
    assert red(done) == []
    text = "\n".join(lines(done))
    for check in (
        "sb › sb-jira › site:",
        "sb › sb-jira › credentials: valid",
        "sb › sb-jira › jql: parses; matches",
        "sb › sb-jira › story points field 'Story Points': exists (customfield_",
        "sb › sb-jira › status issue ACME-1: exists and is writable",
        "sb › sb-jira › webhook: possible",
        "sb › sb-board › credentials: valid",
        "sb › sb-board › board:",
        "sb › sb-board › push.list 'Review': exists",
        "sb › sb-board › links[0].map list 'Doing': exists",
        "sb › sb-board › links[1].map label 'Backend': exists",
        "sb › sb-board › links[2] field 'WBS': exists",
        "sb › sb-board › status card: the token may write to the board",
        "sb › sb-board › webhook: possible",
    ):
        assert check in text, (check, text)
    assert "1 client(s) OK" in done.stdout
    assert_no_secret(sb, done)


def test_no_credential_is_printed_even_at_debug(tmp_path: Path, sb: Sandbox) -> None:
    """At DEBUG (httpx logs every URL, Trello's token sits in one path) no secret shows."""
    done = run_check(client_dir(tmp_path, sb), secrets(sb), "--log-level", "DEBUG")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/tokens/***" in done.stderr  # the request was made, and logged, masked
    assert_no_secret(sb, done)


def test_a_bad_token_is_red_and_stops_that_connector(tmp_path: Path, sb: Sandbox) -> None:
    """A wrong Jira token: the credentials line is red, names the variable, not the value."""
    env = secrets(sb) | {"SB_JIRA_TOKEN": "not-the-token-0123"}
    done = run_check(client_dir(tmp_path, sb), env)
    assert done.returncode == 2
    assert red(done) == [
        "✗ sb › sb-jira › credentials: refused (HTTP 401): check email 'bot@example.com' with"
        " the API token in $SB_JIRA_TOKEN"
    ]
    assert not any("sb-jira › jql" in line for line in lines(done))
    assert "not-the-token-0123" not in done.stdout + done.stderr
    assert_no_secret(sb, done)


def test_a_bad_trello_token(tmp_path: Path, sb: Sandbox) -> None:
    """A wrong Trello token: one red line saying Trello's reason."""
    env = secrets(sb) | {"SB_TRELLO_TOKEN": "wrong-trello-token-42"}
    done = run_check(client_dir(tmp_path, sb), env)
    assert done.returncode == 2
    assert red(done) == [
        "✗ sb › sb-board › credentials: invalid token (HTTP 401): check $SB_TRELLO_KEY and"
        " $SB_TRELLO_TOKEN"
    ]
    assert "wrong-trello-token-42" not in done.stdout + done.stderr


def test_a_wrong_board_id(tmp_path: Path, sb: Sandbox) -> None:
    """A board id that is no board: red, naming the id."""
    wrong = "0" * 24
    config = client_dir(tmp_path, sb, board=(sb.board_ids[0], wrong))
    done = run_check(config, secrets(sb))
    assert done.returncode == 2
    assert red(done) == [
        f"✗ sb › sb-board › board: no board '{wrong}' (or this token may not see it)"
    ]


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_a_jql_syntax_error(tmp_path: Path, sb: Sandbox, cloud: bool) -> None:
    """JQL Jira cannot parse: red with Jira's own message."""
    config = client_dir(
        tmp_path, sb, cloud=cloud, jql=("project in (ACME, BETA)", "project in (ACME, BETA")
    )
    done = run_check(config, secrets(sb, cloud=cloud))
    assert done.returncode == 2
    [line] = red(done)
    assert line.startswith("✗ sb › sb-jira › jql: Jira refuses 'project in (ACME, BETA': ")


def test_a_missing_story_points_field_names_look_alikes(tmp_path: Path, sb: Sandbox) -> None:
    """A story-points field the site lacks: red, with the fields that look like it."""
    config = client_dir(
        tmp_path,
        sb,
        points=('jql = "project in', 'story_points_field = "Story Pts"\njql = "project in'),
    )
    done = run_check(config, secrets(sb))
    assert done.returncode == 2
    [line] = red(done)
    assert line.startswith(
        "✗ sb › sb-jira › story points field 'Story Pts': no field of that name on the site;"
        " fields that look like it: 'Story Points' (customfield_10016)"
    )


def test_a_missing_list_and_label(tmp_path: Path, sb: Sandbox) -> None:
    """A link map naming a list and a label the board does not have: one red line each."""
    config = client_dir(
        tmp_path,
        sb,
        lists=('"Doing" = "2.1"', '"In progress" = "2.1"'),
        labels=('"Frontend" = "2.2"', '"Front end" = "2.2"'),
    )
    done = run_check(config, secrets(sb))
    assert done.returncode == 2
    found = red(done)
    assert len(found) == 2
    assert found[0].startswith(
        "✗ sb › sb-board › links[0].map list 'In progress': not on the board: items will never"
        " match it"
    )
    assert found[1].startswith("✗ sb › sb-board › links[1].map label 'Front end': not on the board")
    assert "'Frontend'" in found[1]


def test_a_status_list_that_looks_like_a_typo(tmp_path: Path, sb: Sandbox) -> None:
    """push.list 'Reveiw' beside a 'Review' list: red, since syncd would add a second list."""
    done = run_check(
        client_dir(tmp_path, sb, status=('list = "Review"', 'list = "Reveiw"')), secrets(sb)
    )
    assert done.returncode == 2
    assert red(done) == [
        "✗ sb › sb-board › push.list 'Reveiw': not on the board, but 'Review' is: a typo?"
        " syncd would add a second list"
    ]


def test_a_missing_custom_field(tmp_path: Path, sb: Sandbox) -> None:
    """A `by = "field"` rule for this board naming a field it lacks: red with look-alikes."""
    done = run_check(
        client_dir(tmp_path, sb, field=('field = "WBS"', 'field = "WBS code"')), secrets(sb)
    )
    assert done.returncode == 2
    [line] = red(done)
    assert line.startswith("✗ sb › sb-board › links[2] field 'WBS code': no such field")
    assert "'WBS'" in line


def test_a_status_issue_that_does_not_exist(tmp_path: Path, sb: Sandbox) -> None:
    """A status issue key no issue has: red."""
    done = run_check(client_dir(tmp_path, sb, issue=('"ACME-1"', '"ACME-9999"')), secrets(sb))
    assert done.returncode == 2
    assert red(done) == [
        "✗ sb › sb-jira › status issue ACME-9999: does not exist, or this account may not see it"
    ]


def test_a_status_issue_that_is_not_writable(tmp_path: Path, sb: Sandbox) -> None:
    """An account that may not edit issues: the status issue is red, naming the permission."""
    sb.state.jira_denied.add("EDIT_ISSUES")
    done = run_check(client_dir(tmp_path, sb), secrets(sb))
    assert done.returncode == 2
    assert red(done) == [
        "✗ sb › sb-jira › status issue ACME-1: exists, but this account lacks 'EDIT_ISSUES':"
        " syncd cannot write"
    ]


def test_a_webhook_that_cannot_be_registered(tmp_path: Path, sb: Sandbox) -> None:
    """A webhook secret set for an account that is no Jira administrator: red."""
    sb.state.jira_denied.add("ADMINISTER")
    done = run_check(client_dir(tmp_path, sb), secrets(sb))
    assert done.returncode == 2
    [line] = red(done)
    assert line.startswith("✗ sb › sb-jira › webhook: not possible: an admin webhook needs")


def test_a_read_only_trello_token(tmp_path: Path, sb: Sandbox) -> None:
    """A Trello token granted read access only cannot hold the status card: red."""
    sb.state.trello_token_writes = False
    done = run_check(client_dir(tmp_path, sb), secrets(sb))
    assert done.returncode == 2
    assert red(done) == [
        "✗ sb › sb-board › status card: the token is read-only on this board: syncd cannot write"
    ]


def test_an_unreachable_site(tmp_path: Path, sb: Sandbox) -> None:
    """A site nothing answers on: the site line is red, and nothing more is asked of it."""
    with socket_closed() as url:
        done = run_check(client_dir(tmp_path, sb, site=(sb.jira_cloud_url, url)), secrets(sb))
    assert done.returncode == 2
    [line] = red(done)
    assert line.startswith("✗ sb › sb-jira › site: no answer")


class socket_closed:
    """A loopback URL whose port nothing listens on (one of the tests' own, never served)."""

    def __enter__(self) -> str:
        from tests.ports import free_port

        return f"http://127.0.0.1:{free_port()}"

    def __exit__(self, *exc: object) -> None:
        return None


class ContractTransport(httpx.AsyncBaseTransport):
    """Every exchange checked against the official OpenAPI documents; methods recorded."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.problems: list[str] = []
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.seen.append((request.method, request.url.path))
        self.problems.extend(contract_errors(request, response))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_every_request_is_read_only_and_within_the_contract(
    tmp_path: Path, sb: Sandbox, cloud: bool
) -> None:
    """The checks send only GETs (and Cloud's approximate count), each valid per the documents,
    and change nothing in the sandbox."""
    config = client_dir(tmp_path, sb, cloud=cloud)
    client = load_client(config / "clients", "sb", env=secrets(sb, cloud=cloud))
    transport = ContractTransport()
    before = snapshot(sb)
    found = check_online([client], transport=transport)
    assert [line.text for line in found if not line.finding.ok] == []
    assert transport.problems == []
    writes = [(m, p) for m, p in transport.seen if m != "GET"]
    assert writes == ([("POST", "/cloud/rest/api/3/search/approximate-count")] if cloud else [])
    assert snapshot(sb) == before


def snapshot(sb: Sandbox) -> Any:
    """What a write would change: issues' comments, properties and labels; cards; hooks."""
    state = sb.state
    return (
        {k: (len(i.comments), dict(i.properties), list(i.labels)) for k, i in state.issues.items()},
        sorted(state.cards),
        sorted(state.lists),
        len(state.jira_webhooks),
        len(state.trello_webhooks),
    )


def test_an_oauth_app_is_checked_through_the_gateway(tmp_path: Path, sb: Sandbox) -> None:
    """A Cloud connector that is an OAuth app: every check green through api.atlassian.com,
    the rotated refresh token kept, every exchange within the contract."""
    from syncd.clients import Client, ClientConfig
    from syncd.connectors.jira.oauth import MemoryKeeper
    from tests.connectors.harness_jira import oauth_config, oauth_grant, oauth_secrets

    jira = oauth_config(sb, push={"issues": ["ACME-1"]})
    config = ClientConfig.model_validate({"name": "OAuth", "connectors": [jira.model_dump()]})
    client = Client("app", tmp_path / "app.toml", config, {jira.id: oauth_secrets(oauth_grant(sb))})
    transport, keeper = ContractTransport(), MemoryKeeper()
    found = check_online([client], keeper=keeper, transport=transport)
    assert [line.text for line in found if not line.finding.ok] == []
    wanted = "app › acme-jira › webhook: possible: the app may register"
    assert any(line.text.startswith(wanted) for line in found)
    assert len(keeper.tokens) == 1  # the refresh token Atlassian rotated is kept
    assert transport.problems == []
