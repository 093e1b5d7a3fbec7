"""Hostile input: every parser that takes outside data answers with a clear error, never a crash.

Each property feeds mutated real payloads or arbitrary data into one parser and accepts exactly
two outcomes: a value, or syncd's own error for that input (MappingError, PlanError,
ConfigError, or a 4xx answer). Anything else is a defect.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import string
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from syncd.clients import load_clients
from syncd.connectors.jira.normalize import normalize_issue
from syncd.connectors.trello.normalize import normalize_card
from syncd.errors import MappingError, PlanError
from syncd.model import StatusCategory, WorkItem
from syncd.plan import load_plan
from syncd.web.webhooks import Receiver
from tests.conftest import FIXTURES

PAYLOADS = FIXTURES / "payloads"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _load(path: Path) -> Any:
    if not path.is_file():
        pytest.skip(f"reference payload {path} is not beside the repository")
    return json.loads(path.read_text(encoding="utf-8"))


def _mutate(data: Any, path: list[Any], value: Any) -> Any:
    """Replace the value at a random path (chosen by hypothesis) with `value`."""
    data = copy.deepcopy(data)
    node = data
    for step in path[:-1]:
        if isinstance(node, dict) and node:
            node = node[sorted(node)[step % len(node)]]
        elif isinstance(node, list) and node:
            node = node[step % len(node)]
    if isinstance(node, dict) and node:
        node[sorted(node)[path[-1] % len(node)]] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node)] = value
    return data


paths = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6)


@FUZZ
@given(path=paths, value=json_values)
def test_jira_normalize_gives_an_item_or_a_mapping_error(path: list[int], value: Any) -> None:
    """A real Jira issue with any one value replaced normalizes, or raises MappingError."""
    raw = _mutate(_load(PAYLOADS / "jira" / "jira-cli" / "issue.json"), path, value)
    try:
        item = normalize_issue(
            raw,
            source="j",
            site_url="https://x.atlassian.net",
            points_field="customfield_10016",
            categories={},
            tz=ZoneInfo("UTC"),
        )
    except MappingError:
        return
    assert isinstance(item, WorkItem) and isinstance(item.category, StatusCategory)
    for moment in (item.created, item.updated, item.due, item.resolved):
        assert moment is None or moment.tzinfo is not None


@FUZZ
@given(path=paths, value=json_values)
def test_trello_normalize_gives_an_item_or_a_mapping_error(path: list[int], value: Any) -> None:
    """A real Trello card with any one value replaced normalizes, or raises MappingError."""
    cards = _load(PAYLOADS / "trello" / "adlio-trello" / "cards_list-cards-api-example.json")
    raw = _mutate(cards[0] if isinstance(cards, list) else cards, path, value)
    try:
        item = normalize_card(raw, source="t", lists={}, labels={}, members={}, custom_fields={})
    except MappingError:
        return
    assert isinstance(item, WorkItem)


@FUZZ
@given(raw=json_values)
def test_jira_normalize_survives_arbitrary_json(raw: Any) -> None:
    """Anything at all in place of an issue is a MappingError, not a crash."""
    if not isinstance(raw, dict):
        raw = {"fields": raw}
    with contextlib.suppress(MappingError):
        normalize_issue(
            raw,
            source="j",
            site_url="https://x",
            points_field=None,
            categories={},
            tz=ZoneInfo("UTC"),
        )


toml_text = st.text(alphabet=string.printable, max_size=300)


@FUZZ
@given(text=toml_text, env=st.dictionaries(st.sampled_from(["T", "K"]), st.text(max_size=5)))
def test_client_config_gives_problems_never_a_crash(text: str, env: dict[str, str]) -> None:
    """Any text as a client file yields a client or a list of `file › field: message` problems."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "c.toml").write_text(text, encoding="utf-8")
        clients, problems = load_clients(Path(tmp), env=env)
    assert len(clients) + bool(problems) >= 1
    assert all(p.startswith("c.toml › ") for p in problems)


PLAN_SUFFIXES = [".toml", ".csv", ".xml", ".xer"]


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from(PLAN_SUFFIXES))
def test_plan_files_of_any_bytes_fail_with_plan_error(data: bytes, suffix: str) -> None:
    """Random bytes as a plan file: a Baseline or a PlanError naming the file, never a crash."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, f"plan{suffix}")
        path.write_bytes(data)
        try:
            load_plan(path)
        except PlanError as exc:
            assert "plan" in str(exc)


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    """A billion-laughs MS Project file is refused with a PlanError, not expanded."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol3;</Name></Project>'
    )
    path = tmp_path / "bomb.xml"
    path.write_text(bomb)
    with pytest.raises(PlanError):
        load_plan(path)


def test_external_entities_are_refused(tmp_path: Path) -> None:
    """An MS Project file that reads a local file through an external entity is refused."""
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Project xmlns="http://schemas.microsoft.com/project"><Name>&x;</Name></Project>'
    )
    path = tmp_path / "xxe.xml"
    path.write_text(xxe)
    with pytest.raises(PlanError):
        load_plan(path)


def test_huge_plan_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    """A plan file far beyond any real plan is refused with a PlanError naming its size."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write(b"key,name,baseline_start,baseline_finish\n")
        fh.seek(200 * 1024 * 1024)
        fh.write(b"\n")
    with pytest.raises(PlanError):
        load_plan(path)


CLIENT = """
name = "Acme"
[[connectors]]
kind = "jira"
id = "j"
url = "https://acme.atlassian.net"
email = "bot@acme.example"
token_env = "T"
jql = "project = ACME"
[[connectors]]
kind = "trello"
id = "t"
board = "b1"
key_env = "T"
token_env = "T"
"""


@pytest.fixture(scope="module")
def receiver_app(tmp_path_factory: pytest.TempPathFactory) -> Starlette:
    from syncd.db import make_engine
    from syncd.migrate import upgrade

    tmp = tmp_path_factory.mktemp("hooks")
    (tmp / "acme.toml").write_text(CLIENT)
    clients, problems = load_clients(tmp, env={"T": "x"})
    assert not problems
    engine = make_engine(f"sqlite:///{tmp / 'db.sqlite'}")
    upgrade(engine)
    receiver = Receiver(engine, {"acme": clients[0]}, lambda k, i: None, base_url="http://x")
    return Starlette(routes=receiver.routes())


header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()),
    kind=st.sampled_from(["jira/acme/j", "trello/acme/t", "jira/acme/t", "trello/nobody/t"]),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-Hub-Signature",
                "X-Trello-Webhook",
                "X-Atlassian-Webhook-Identifier",
                "Content-Type",
            ]
        ),
        header_values,
        max_size=4,
    ),
)
def test_webhook_bodies_and_headers_never_cause_a_server_error(
    receiver_app: Starlette, body: bytes, kind: str, headers: dict[str, str]
) -> None:
    """Any body and headers at a webhook endpoint get a 2xx or 4xx answer, never a 5xx."""

    async def go() -> int:
        transport = httpx.ASGITransport(app=receiver_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
            response = await http.post(f"/webhooks/{kind}", content=body, headers=headers)
            return response.status_code

    assert asyncio.run(go()) < 500


def test_csv_with_an_enormous_field_is_a_plan_error(tmp_path: Path) -> None:
    """A CSV whose one cell is a megabyte long is refused with a PlanError naming the file."""
    path = tmp_path / "wide.csv"
    path.write_text("key,name,baseline_start,baseline_finish\n1," + "x" * 1_000_000 + ",a,b\n")
    with pytest.raises(PlanError, match=r"wide\.csv"):
        load_plan(path)
