"""Adding a tracker is one folder and one line: the corkboard (`corkboard/`, a service kept in
memory) registered in `KINDS` with one line passes the shipped conformance suite, loads from a
client file, passes `syncd check` (offline and online), and goes through pull, reconcile and
push on a real store; no other file of syncd learns its name, and its folder imports only what a
connector may."""

from __future__ import annotations

import ast
import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from syncd import pipeline, store
from syncd.cli import app
from syncd.clients import load_client, read_config
from syncd.clock import FakeClock
from syncd.connectors import build
from syncd.connectors.base import Connector
from syncd.connectors.config import Secrets
from syncd.connectors.registry import KINDS
from syncd.db import Job
from syncd.store.work import PushJob
from syncd.sync import pull
from syncd.testing import ConformanceSuite, Fault, Harness, HarnessFactory
from tests import test_architecture as architecture
from tests.example_tracker.corkboard import KIND, CorkboardConfig
from tests.example_tracker.corkboard.board import BOARDS, Board, Operation, Trouble

FOLDER = Path(__file__).parent / "corkboard"
TOKEN = "c0rk-t0ken"  # the token the test board accepts
OPERATIONS: dict[str | None, Operation | None] = {"POST": "pin", "PUT": "edit", "GET": "list"}


@pytest.fixture(autouse=True)
def _no_boards_left() -> Iterator[None]:
    """Each test starts and ends with an empty corkboard service."""
    BOARDS.clear()
    yield
    BOARDS.clear()


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The corkboard known to syncd: the one line a new tracker adds, `KINDS[name] = KIND`."""
    monkeypatch.setitem(KINDS, KIND.name, KIND)


def open_board(name: str = "acme") -> Board:
    BOARDS[name] = Board(name, TOKEN)
    return BOARDS[name]


class CorkboardHarness:
    """A `Harness` over one board of 30 notes."""

    name = "corkboard"
    nochange_budget = 1
    status_cards = 0

    def __init__(self, board: Board) -> None:
        self.board = board
        self.clock = FakeClock()

    def connector(self, *, page_size: int = 7, bad_credentials: bool = False) -> Connector:
        """Built as syncd builds every connector: through the kind `KINDS` names."""
        config = CorkboardConfig(
            kind="corkboard", id="acme-board", board=self.board.name, token_env="T",
            page_size=page_size,
        )  # fmt: skip
        token = "wrong" if bad_credentials else TOKEN
        return build(config, Secrets(token=SecretStr(token)), clock=self.clock)

    def item_ids(self) -> set[str]:
        return set(self.board.notes)

    def seed_change(self, count: int = 1) -> list[str]:
        chosen = sorted(self.board.notes)[:count]
        for ident in chosen:
            self.board.touch(ident, column="doing")
        return chosen

    def break_one_item(self) -> str:
        ident = sorted(self.board.notes)[3]
        self.board.notes[ident]["column"] = "somewhere"
        return ident

    def target(self) -> str:
        return self.board.name

    def count_status_comments(self, target: str) -> int:
        return len(BOARDS[target].status_notes())

    def count_status_cards(self) -> int:
        return 0

    def inject(self, fault: Fault) -> None:
        operation = OPERATIONS.get(fault.method)
        self.board.trouble(Trouble(fault.kind, fault.times, operation, fault.retry_after))

    def requests(self) -> int:
        return self.board.requests

    def writes(self) -> int:
        return self.board.writes


@contextmanager
def corkboard() -> Iterator[Harness]:
    """A board of 30 notes."""
    board = open_board()
    for n in range(30):
        board.add(f"Note {n}")
    yield CorkboardHarness(board)


HARNESSES: dict[str, HarnessFactory] = {"corkboard": corkboard}


class TestCorkboardConformance(ConformanceSuite):
    """The shipped conformance suite, run over the corkboard as a tracker package would run it."""

    harnesses = HARNESSES

    @pytest.fixture(autouse=True)
    def _registered(self, registered: None) -> None:
        """Each check with the corkboard in `KINDS`."""


CLIENT = """
name = "Acme on a corkboard"
timezone = "Europe/Berlin"

[[connectors]]
kind = "corkboard"
id = "acme-board"
board = "acme"
token_env = "ACME_BOARD_TOKEN"
page_size = 2

[plan]
file = "../plans/acme.toml"

[progress]
default = "0/100"

[[links]]
by = "wbs_in_title"
"""
PLAN = """
[plan]
name = "Acme"
unit = "hours"

[[tasks]]
wbs = "1"
name = "Discovery"
start = 2026-11-02
finish = 2026-11-06
budget = 40

[[tasks]]
wbs = "2"
name = "Build"
start = 2026-11-09
finish = 2026-11-20
budget = 80
predecessors = "1FS"

[[tasks]]
wbs = "3"
name = "Go-live"
start = 2026-11-23
finish = 2026-11-23
milestone = true
predecessors = "2FS"
"""


def config_dir(tmp_path: Path) -> Path:
    """A config directory with the Acme client on the corkboard, and its plan."""
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    (config / "plans").mkdir()
    (config / "clients" / "acme.toml").write_text(CLIENT, encoding="utf-8")
    (config / "plans" / "acme.toml").write_text(PLAN, encoding="utf-8")
    return config


def acme_board() -> Board:
    """The Acme board: discovery done, build under way, go-live not started."""
    board = open_board()
    board.add("1 Discovery workshop", column="done")
    board.add("2 Build the importer", column="doing")
    board.add("3 Go-live checklist")
    return board


def test_a_client_file_names_the_new_kind_once_registered(registered: None, tmp_path: Path) -> None:
    """`kind = "corkboard"` loads into its config model with its secret resolved; a bad field
    is reported under its entry, and an unknown kind lists the corkboard among the known."""
    config = config_dir(tmp_path)
    client = load_client(config / "clients", "acme", {"ACME_BOARD_TOKEN": TOKEN})
    entry = client.connector("acme-board")
    assert isinstance(entry, CorkboardConfig) and entry.page_size == 2
    assert client.secrets["acme-board"].value("token") == TOKEN
    broken = config / "clients" / "broken.toml"
    broken.write_text(CLIENT.replace("page_size = 2", "page_size = 0"), encoding="utf-8")
    assert read_config(broken)[1] == [
        "connectors[0].page_size: Input should be greater than or equal to 1"
    ]
    broken.write_text(CLIENT.replace('"corkboard"', '"pinboard"'), encoding="utf-8")
    assert read_config(broken)[1] == [
        "connectors[0]: Input tag 'pinboard' found using 'kind' does not match any of the"
        " expected tags: 'jira', 'trello', 'corkboard'"
    ]


def test_an_unregistered_kind_is_refused(tmp_path: Path) -> None:
    """Without its line in `KINDS`, the same client file names a kind syncd does not know."""
    config = config_dir(tmp_path)
    problems = read_config(config / "clients" / "acme.toml")[1]
    assert problems == [
        "connectors[0]: Input tag 'corkboard' found using 'kind' does not match any of the"
        " expected tags: 'jira', 'trello'"
    ]


def test_syncd_check_passes_offline_and_online(
    registered: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`syncd check` finds nothing wrong with the client; `--online` asks the board through
    the connector's probe, with the token from the environment."""
    acme_board()
    config = config_dir(tmp_path)
    monkeypatch.setenv("ACME_BOARD_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    offline = runner.invoke(app, ["check", "--config-dir", str(config)])
    assert offline.exit_code == 0, offline.output
    assert "1 client(s) OK" in offline.stdout
    online = runner.invoke(app, ["check", "--online", "--config-dir", str(config)])
    assert online.exit_code == 0, online.output
    assert "✓ acme › acme-board › board: acme: 3 note(s)" in online.stdout
    monkeypatch.setenv("ACME_BOARD_TOKEN", "stale")
    refused = runner.invoke(app, ["check", "--online", "--config-dir", str(config)])
    assert refused.exit_code == 2
    assert "✗ acme › acme-board › board: corkboard acme: token refused (401)" in refused.stdout


def test_pull_reconcile_and_push_through_the_pipeline(
    registered: None, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The notes are pulled into the store, two pages; the reconciliation links them by the WBS
    code in their titles and queues one push, which pins the status in HTML; reconciling again
    queues nothing, and pushing the same status again writes nothing."""
    board = acme_board()
    client = load_client(config_dir(tmp_path) / "clients", "acme", {"ACME_BOARD_TOKEN": TOKEN})
    stats = asyncio.run(pull(sqlite_engine, client, "acme-board"))
    # a first pull takes no census: nothing is stored yet that it could mark gone
    assert (stats.items, stats.pages, stats.census) == (3, 2, False)
    stored = store.load_items(sqlite_engine, "acme")
    assert sorted(i.title for i in stored) == [
        "1 Discovery workshop", "2 Build the importer", "3 Go-live checklist",
    ]  # fmt: skip
    queued = pipeline.reconcile_and_queue(sqlite_engine, client, as_of=date(2026, 11, 12))
    assert [kind for kind, _ in queued] == ["push"]
    with store.sessions(sqlite_engine)() as session:
        job = session.get(Job, queued[0][1])
        assert job is not None
        push = PushJob.from_wire(job.payload)
    assert push.target == "acme"
    asyncio.run(pipeline.push_target(sqlite_engine, client, push))
    [note] = board.status_notes("acme")
    assert note["body"].startswith("<p><strong>Project status: ")
    assert "<li>" in note["body"]
    writes = board.writes
    assert pipeline.reconcile_and_queue(sqlite_engine, client, as_of=date(2026, 11, 12)) == []
    asyncio.run(pipeline.push_target(sqlite_engine, client, push))
    assert board.writes == writes and len(board.status_notes()) == 1


def test_the_naming_check_finds_nothing_to_add(registered: None) -> None:
    """With the corkboard registered, the architecture test's scan finds no file of syncd
    naming it (the scan reads `KINDS`), and is not blind to it."""
    architecture.test_only_the_tracker_folders_and_the_registry_name_a_tracker()
    found = {
        (str(path.relative_to(architecture.PACKAGE)), what)
        for path in sorted(architecture.PACKAGE.rglob("*.py"))
        for what in architecture.naming(path)
        if "corkboard" in what
    }
    assert found == set()
    assert [what for what in architecture.naming(FOLDER / "__init__.py") if "corkboard" in what]


def imported(path: Path) -> set[str]:
    """The absolute modules a file imports; a relative import as `.` (its own folder)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." if node.level else str(node.module))
    return found


def test_the_example_folder_is_self_contained() -> None:
    """The corkboard's modules import one another, the standard library, syncd's dependencies,
    and of syncd only what a connector may: the model, errors, HTTP, redaction, the mapping's
    types and the connectors' base modules (never a tracker's package, the registry or the
    store); `syncd.testing` is allowed too. Nothing else of the tests."""
    base = {
        f"syncd.connectors.{p.stem}" for p in (architecture.PACKAGE / "connectors").glob("*.py")
    } - {"syncd.connectors.registry", "syncd.connectors.fake", "syncd.connectors.__init__"}
    allowed = architecture.CONNECTORS_MAY_IMPORT | base | {"syncd.connectors", "syncd.testing"}
    wrong = set()
    for path in sorted(FOLDER.glob("*.py")):
        for name in imported(path):
            top = name.split(".")[0]
            if name == "." or top in sys.stdlib_module_names or top == "__future__":
                continue
            if top == "syncd" and name in allowed:
                continue
            if top != "syncd" and top != "tests" and top in architecture.DEPENDENCIES:
                continue
            wrong.add((path.name, name))
    assert wrong == set()
    assert "syncd.connectors.paging" in imported(FOLDER / "connector.py")  # pages through it
