"""Every rendering says which figures data warnings doubt, beside each figure, and lists the
warnings: the CLI summary, Markdown, HTML, JSON (against its schema), CSV, the push bodies and
the dashboard's client page and overview. The status comes from the real producer: items
pulled into a store with story points missing, AC logged on one started item of five, and two
quarantined payloads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv
import pytest
from sqlalchemy.engine import Engine

from syncd.clients import Client, load_client
from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.model import PullResult, Quarantined
from syncd.pipeline import reconcile_client, status_push, store_and_queue
from syncd.plan.result import Reconciliation
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports import render_csv, render_html, render_json, render_markdown
from syncd.reports.model import Status
from syncd.reports.schema import report_schema
from syncd.reports.summary import summary_lines
from syncd.settings import Settings
from syncd.status import load_status
from syncd.store.pulls import commit_pull
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.plan.conftest import DATA, worked_items
from tests.reports.test_data_warnings import CLIENT, DAY_8
from tests.web.conftest import free_port, serve

WITHHELD = "AC missing for 4 of 5 items"
QUARANTINED = "2 item(s) of acme-jira quarantined"
CODES = ("points_missing", "ac_missing", "quarantined")  # reconcile's, then the store's


@dataclass(frozen=True)
class Doubtful:
    """A client whose newest status carries three data warnings."""

    root: Path
    engine: Engine
    client: Client
    rec: Reconciliation
    status: Status


@pytest.fixture(scope="module")
def doubtful(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doubtful]:
    root = tmp_path_factory.mktemp("warned")
    clients = root / "config" / "clients"
    clients.mkdir(parents=True)
    (clients / "plan.toml").write_text((DATA / "worked_example.toml").read_text("utf-8"))
    body = CLIENT.format(technique="story_points", progress="", links="", connectors="")
    (clients / "acme.toml").write_text(body, encoding="utf-8")
    client = load_client(clients, "acme", env={"T": "x"})
    engine = make_engine(f"sqlite:///{root / 'store.db'}")
    upgrade(engine)
    items = [i if i.key == "A-1" else replace(i, spent_hours=None) for i in worked_items()]
    bad = [Quarantined("acme-jira", f"9{n}", f"ACME-9{n}: unknown status 'Limbo'") for n in "12"]
    commit_pull(engine, "acme", "acme-jira", PullResult(items=items, quarantined=bad))
    rec, snapshot, stored = reconcile_client(engine, client, as_of=DAY_8)
    store_and_queue(engine, client, rec, snapshot, stored)
    yield Doubtful(root, engine, client, rec, load_status(engine, "acme"))
    engine.dispose()


def test_the_status_carries_three_warnings(doubtful: Doubtful) -> None:
    """Points missing, AC missing for most items and quarantined payloads, as stored."""
    assert [w.code for w in doubtful.status.warnings] == list(CODES)
    assert doubtful.status.notes("spi") == f"points missing; {QUARANTINED}"
    assert doubtful.status.figures.cpi is None and doubtful.status.withheld("cpi") == WITHHELD


def test_cli_summary_notes_figures_and_lists_warnings(doubtful: Doubtful) -> None:
    """`syncd reconcile`'s lines: SPI with its notes, CPI n/a with why, one line a warning."""
    text = "\n".join(summary_lines("acme", doubtful.rec))
    spi = doubtful.rec.project.spi or 0.0
    assert f"SPI {spi:,.2f} [points missing; {QUARANTINED}]" in text
    assert f"CPI n/a ({WITHHELD})" in text and "CPI 0" not in text and "CPI 1" not in text
    assert "Data warnings (3): figures computed from incomplete data" in text
    assert "  ! story points missing: none of the 7 item(s)" in text
    assert "[affects ac, cpi]" in text


def test_markdown_notes_figures_and_lists_warnings(doubtful: Doubtful) -> None:
    """The standing table marks SPI and shows CPI n/a with why; a Data warnings section."""
    text = render_markdown(doubtful.status)
    spi = doubtful.status.figures.spi or 0.0
    assert f"| SPI | {spi:.2f} ⚠ points missing; {QUARANTINED} |" in text
    assert f"| CPI | n/a ({WITHHELD}) |" in text
    assert "## Data warnings" in text
    assert "- ⚠ acme-jira: 2 item(s) quarantined" in text


def test_html_notes_figures_and_lists_warnings(doubtful: Doubtful) -> None:
    """Each doubted figure card carries its note; CPI reads n/a; each warning is listed."""
    page = render_html(doubtful.status)
    assert f'data-note="figures.spi">⚠ points missing; {QUARANTINED}</div>' in page
    assert f'data-note="figures.cpi">⚠ {WITHHELD}</div>' in page
    assert 'data-field="figures.cpi" data-value="">n/a</div>' in page
    assert '<section id="warnings">' in page
    for code in CODES:
        assert f'data-code="{code}"' in page
    assert 'data-task-note="B">⚠ points missing</span>' in page


def test_json_carries_warnings_notes_and_withheld_figures(doubtful: Doubtful) -> None:
    """The JSON report validates against docs/report-schema.json; CPI is null, with why."""
    data = json.loads(render_json(doubtful.status))
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    assert [w["code"] for w in data["warnings"]] == list(CODES)
    assert data["warnings"][0]["tasks"] == ["B"] and "spi" in data["warnings"][0]["affects"]
    assert data["notes"]["spi"] == f"points missing; {QUARANTINED}"
    assert data["figures"]["cpi"] is None and data["withheld"] == {"cpi": WITHHELD}


def test_csv_names_the_warnings_of_each_task(doubtful: Doubtful) -> None:
    """The last CSV column: B (open, no points) and every task (quarantine) are noted."""
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(render_csv(doubtful.status)))}
    assert rows["B"]["warnings"] == f"points missing; {QUARANTINED}"
    assert rows["A"]["warnings"] == QUARANTINED


def test_push_bodies_note_figures_and_carry_the_warnings(doubtful: Doubtful) -> None:
    """Jira comment (ADF and wiki) and Trello card (Markdown): SPI noted, CPI n/a with why,
    the warnings that change a figure; the machine status has CPI null and the codes."""
    snapshot = StatusSnapshot(doubtful.rec, baseline_version=1)
    push = status_push(doubtful.engine, doubtful.client, snapshot, [])
    assert f"SPI(t) 0.83 (⚠ points missing; {QUARANTINED})" in push.markdown
    assert f"- CPI: n/a ({WITHHELD})" in push.markdown
    assert "- ⚠ Data warning: story points missing" in push.markdown
    assert "* ⚠ Data warning: acme-jira: 2 item(s) quarantined" in push.wiki
    adf = json.dumps(push.adf, ensure_ascii=False)
    assert "⚠ Data warning: " in adf and WITHHELD in adf
    assert push.machine["cpi"] is None and push.machine["withheld"] == {"cpi": WITHHELD}
    assert [w["code"] for w in push.machine["warnings"]] == list(CODES)


def test_dashboard_client_page_and_overview_show_the_warnings(
    doubtful: Doubtful, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client page shows the notes and the warnings section; the overview says how many
    warnings the client has and marks its SPI."""
    monkeypatch.setenv("T", "x")
    settings = Settings(config_dir=doubtful.root / "config", data_dir=doubtful.root)
    app = create_app(engine=doubtful.engine, settings=settings, broker_check=lambda: True)
    server, thread = serve(app, free_port())
    token = create_token(doubtful.engine, name="admin")
    base = f"http://127.0.0.1:{server.config.port}"
    try:
        headers = {"Authorization": f"Bearer {token}"}
        import httpx

        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            page = http.get("/clients/acme").text
            overview = http.get("/").text
            api = http.get("/api/clients/acme").json()
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    assert '<section id="warnings">' in page and 'data-code="ac_missing"' in page
    assert f'data-note="figures.spi">⚠ points missing; {QUARANTINED}</div>' in page
    assert f"⚠ 3 data warning(s): points missing, {WITHHELD}, {QUARANTINED}" in overview
    assert 'data-note="spi"' in overview
    assert [w["code"] for w in api["warnings"]] == list(CODES)
