"""Data-quality warnings through the real producer: items pulled into a real store, the client's
file and plan, `pipeline.reconcile_client`; each warning names the figures it makes doubtful,
and the stored snapshot renders it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine

from syncd import store
from syncd.clients import Client, load_client
from syncd.db import Cursor
from syncd.model import PullResult, Quarantined, WorkItem
from syncd.pipeline import reconcile_client, store_and_queue
from syncd.plan.quality import EARNED
from syncd.plan.result import Reconciliation
from syncd.status import load_status
from syncd.store.problems import record_error
from syncd.store.pulls import commit_pull
from tests.plan.conftest import DATA, item, worked_items

DAY_8 = date(2026, 3, 11)
CLIENT = """
name = "Acme"
timezone = "UTC"

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "https://acme.atlassian.net"
email = "bot@example.com"
token_env = "T"
jql = "project = ACME"
{connectors}
[plan]
file = "plan.toml"

[progress]
default = "{technique}"
{progress}
[[links]]
by = "label"
{links}
"""
BOARD = """
[[connectors]]
kind = "trello"
id = "acme-board"
url = "https://api.trello.com/1"
board = "b1"
key_env = "T"
token_env = "T"
"""


def client_of(
    tmp_path: Path,
    *,
    technique: str = "subitems",
    progress: str = "",
    links: str = "",
    connectors: str = "",
) -> Client:
    (tmp_path / "plan.toml").write_text(
        (DATA / "worked_example.toml").read_text("utf-8"), encoding="utf-8"
    )
    body = CLIENT.format(technique=technique, progress=progress, links=links, connectors=connectors)
    (tmp_path / "acme.toml").write_text(body, encoding="utf-8")
    return load_client(tmp_path, "acme", env={"T": "x"})


def pull(engine: Engine, items: list[WorkItem], *quarantined: Quarantined) -> None:
    """One successful pull of acme-jira, as `syncd.sync` commits it."""
    result = PullResult(items=items, quarantined=list(quarantined))
    commit_pull(engine, "acme", "acme-jira", result)


def codes(rec: Reconciliation) -> list[str]:
    return [w.code for w in rec.warnings]


def pointed(points: float | None) -> list[WorkItem]:
    return [replace(i, story_points=points) for i in worked_items()]


def test_a_healthy_client_has_no_warning(tmp_path: Path, sqlite_engine: Engine) -> None:
    """The worked example pulled today, every figure whole: no warning, nothing noted."""
    client = client_of(tmp_path, technique="story_points")
    pull(sqlite_engine, pointed(3.0))
    rec, snapshot, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    assert rec.warnings == ()
    assert snapshot.to_dict()["reconciliation"]["warnings"] == []


def test_story_points_missing_is_noted_beside_ev_and_spi(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """No item carries story points while story points measure every task (the points field
    is not configured): one warning naming the open task B; EV and SPI say "points missing"."""
    client = client_of(tmp_path, technique="story_points")
    pull(sqlite_engine, pointed(None))
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = rec.warnings
    assert w.code == "points_missing" and w.tasks == ("B",)
    assert "none of the 7 item(s)" in w.message and "2 Build" not in w.message
    assert set(w.affects) == set(EARNED)
    assert rec.notes("ev") == rec.notes("spi") == "points missing"
    assert rec.notes("pv") == "" and rec.notes("cpi") == ""


def test_points_all_zero_count_finished_items_and_warn(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """Every item has 0 points: B earns its 2 done stories of 5 (it earned nothing while a
    zero weight hid the done ones), with the points-missing warning."""
    client = client_of(tmp_path, technique="story_points")
    pull(sqlite_engine, pointed(0.0))
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    assert codes(rec) == ["points_missing"]
    assert rec.task("B").performance.ev == 90 * 2 / 5


def test_a_task_whose_items_lack_what_its_technique_reads(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """B is measured by time tracking but none of its stories has any time: B alone is named
    as not measurable, its EV noted; A and C (done) are not."""
    client = client_of(tmp_path, progress='tasks = { B = "time_tracking" }')
    items = worked_items()
    pull(sqlite_engine, [replace(i, spent_hours=None) if i.key[0] == "B" else i for i in items])
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    unmeasured = [w for w in rec.warnings if w.code == "unmeasured"]
    assert [w.tasks for w in unmeasured] == [("B",)]
    assert "'time_tracking' cannot measure it" in unmeasured[0].message
    assert "not measurable" in rec.notes("ev")


def test_a_milestone_with_an_unmeasurable_item_is_no_warning(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """A go-live ticket without points linked to milestone M: M has no budget and earns
    nothing however it is measured, so no figure is marked (the demo marked every one)."""
    client = client_of(tmp_path, technique="story_points")
    pull(sqlite_engine, [*pointed(3.0), item("M-1", task="M", story_points=None)])
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    assert rec.warnings == () and rec.notes("ev") == ""


def test_a_link_map_value_no_item_carries(tmp_path: Path, sqlite_engine: Engine) -> None:
    """A label map with a mistyped label ("dcos" for Docs): the rule and the label are named,
    with the task it maps to; the label that items carry is not."""
    rule = '[[links]]\nby = "label"\nmap = { "build" = "B", "dcos" = "C" }'
    client = client_of(tmp_path, links=rule)
    items = [replace(i, labels=("build",)) if i.key[0] == "B" else i for i in worked_items()]
    pull(sqlite_engine, items)
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "link_unused"]
    assert "[[links]] rule 2 (by = 'label')" in w.message and "'dcos'" in w.message
    assert "'build'" not in w.message and w.tasks == ("C",)


def test_a_trello_list_map_no_card_is_in(tmp_path: Path, sqlite_engine: Engine) -> None:
    """A list map naming a list no card sits in (cards are in "Doing"): named, per source."""
    rule = '[[links]]\nby = "trello_list"\nsource = "acme-jira"\nmap = { "Dooing" = "B" }'
    client = client_of(tmp_path, links=rule)
    pull(sqlite_engine, [replace(i, container="Doing") for i in worked_items()])
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "link_unused"]
    assert "by = 'trello_list'" in w.message and "'Dooing'" in w.message


def test_quarantined_items_say_how_many_and_why(tmp_path: Path, sqlite_engine: Engine) -> None:
    """Three payloads the connector could not read: one warning with the count, the reasons and
    the connector; it doubts every figure."""
    client = client_of(tmp_path)
    bad = [
        Quarantined("acme-jira", f"9{n}", f"ACME-9{n}: status 'Limbo' is unknown") for n in "123"
    ]
    pull(sqlite_engine, worked_items(), *bad)
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "quarantined"]
    assert w.source == "acme-jira" and w.message.startswith("acme-jira: 3 item(s) quarantined")
    assert "status 'Limbo' is unknown" in w.message
    assert rec.notes("ev") == rec.notes("cpi") == "3 item(s) of acme-jira quarantined"


def test_a_failed_last_pull_says_as_of_when(tmp_path: Path, sqlite_engine: Engine) -> None:
    """The pull after a good one failed: the warning quotes the failure and when the items are
    from (the last successful pull)."""
    client = client_of(tmp_path)
    pull(sqlite_engine, worked_items())
    record_error(
        sqlite_engine, "acme", kind="pull", message="acme-jira: HTTP 503", source="acme-jira"
    )
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "pull_failed"]
    assert "the last pull failed (acme-jira: HTTP 503)" in w.message
    assert "its last successful pull, 20" in w.message and w.note.startswith("acme-jira as of 20")
    assert not any(w.code == "stale" for w in rec.warnings)


def test_a_stale_connector_and_one_never_pulled(tmp_path: Path, sqlite_engine: Engine) -> None:
    """Jira last pulled two days ago (poll every 15 minutes): stale, as of that moment; the
    Trello board was never pulled."""
    client = client_of(tmp_path, connectors=BOARD)
    pull(sqlite_engine, worked_items())
    old = datetime.now(UTC) - timedelta(days=2)
    with store.sessions(sqlite_engine).begin() as session:
        session.execute(update(Cursor).values(last_success=old))
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    stale = {w.source: w for w in rec.warnings if w.code == "stale"}
    assert stale["acme-jira"].message.startswith(
        f"acme-jira: no successful pull since {old:%Y-%m-%d %H:%M} UTC"
    )
    assert stale["acme-board"].message == "acme-board: never pulled successfully; it adds nothing"


def test_ac_missing_for_most_items_withholds_cpi(tmp_path: Path, sqlite_engine: Engine) -> None:
    """Time logged on 1 of the 5 started stories: CPI (huge) is not shown but "n/a (AC missing
    for 4 of 5 items)", and RAG does not judge it; the stored report carries CPI null."""
    client = client_of(tmp_path)
    items = [i if i.key == "A-1" else replace(i, spent_hours=None) for i in worked_items()]
    pull(sqlite_engine, items)
    rec, snapshot, stored_items = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "ac_missing"]
    assert w.note == "AC missing for 4 of 5 items" and set(w.affects) == {"ac", "cpi"}
    assert rec.project.cpi is not None and rec.withheld("cpi") == w.note
    assert not any("CPI" in r for r in rec.rag.reasons)
    store_and_queue(sqlite_engine, client, rec, snapshot, stored_items)
    status = load_status(sqlite_engine, "acme")
    assert status.figures.cpi is None and status.withheld("cpi") == w.note


def test_items_covering_a_fraction_of_the_budget_withhold_cpi(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """Every started item has time logged, but the items' whole effort is a tenth of what
    the worked example's items carry: the tasks' budgets are mostly worked outside the
    trackers, so AC is a part of the cost and CPI (ten times too high) is withheld."""
    client = client_of(tmp_path)

    def tenth(value: float | None) -> float | None:
        return None if value is None else value / 10

    items = [
        replace(
            i,
            spent_hours=tenth(i.spent_hours),
            remaining_hours=tenth(i.remaining_hours),
            estimate_hours=tenth(i.estimate_hours),
        )
        for i in worked_items()
    ]
    pull(sqlite_engine, items)  # the whole example warns of nothing (the healthy client test)
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "ac_scope"]
    assert "ac_missing" not in codes(rec)
    assert w.note.startswith("items cover ") and set(w.affects) == {"ac", "cpi"}
    assert rec.withheld("cpi") == w.note and not any("CPI" in r for r in rec.rag.reasons)


def test_ac_on_most_started_items_is_no_warning(tmp_path: Path, sqlite_engine: Engine) -> None:
    """Todo items have no time logged, rightly: AC on every started item is complete."""
    client = client_of(tmp_path)
    pull(sqlite_engine, worked_items())
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    assert "ac_missing" not in codes(rec) and rec.withheld("cpi") is None


def test_a_status_date_before_the_evidence(tmp_path: Path, sqlite_engine: Engine) -> None:
    """As of 2026-03-06 while B-1, B-2 and C-1 were done on 2026-03-10: the status date is
    before the evidence (3 items changed after it), noted beside EV; on day 8 no warning."""
    client = client_of(tmp_path)
    pull(sqlite_engine, worked_items())
    past, _, _ = reconcile_client(sqlite_engine, client, as_of=date(2026, 3, 6))
    (w,) = [w for w in past.warnings if w.code == "before_evidence"]
    assert w.message.startswith("status date 2026-03-06 is before the latest evidence (2026-03-10)")
    assert "3 item(s) were updated or done after it" in w.message
    assert "status date before the evidence" in past.notes("ev")
    now, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    assert "before_evidence" not in codes(now)


def test_items_linked_to_a_summary_task(tmp_path: Path, sqlite_engine: Engine) -> None:
    """An older warning kind keeps its words, now with a code and the task."""
    toml = (DATA / "worked_example.toml").read_text("utf-8")
    client = client_of(tmp_path)
    (tmp_path / "plan.toml").write_text(
        toml + '\n[[tasks]]\nkey = "B1"\nname = "Build part"\nparent = "B"\n'
        "start = 2026-03-06\nfinish = 2026-03-13\nbudget = 10\n",
        encoding="utf-8",
    )
    pull(sqlite_engine, worked_items())
    rec, _, _ = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    (w,) = [w for w in rec.warnings if w.code == "summary_link"]
    assert w.tasks == ("B",) and "summary task Build are not measured" in w.message


def test_an_old_snapshot_with_string_warnings_still_loads(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """A reconciliation stored before warnings had codes: from_dict gives typed warnings with
    the code its words stand for, and the report renders them."""
    client = client_of(tmp_path)
    pull(sqlite_engine, worked_items())
    _rec, snapshot, _items = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    old = [
        "AC is today's logged time: the trackers give no dates for logged time, and 3 item(s) "
        "changed after the status date",
        "something nobody classified",
    ]
    stored = snapshot.to_dict()
    del stored["schema"]  # as syncd stored it then: no schema version yet
    stored["reconciliation"]["warnings"] = old
    back = Reconciliation.from_dict(stored["reconciliation"])
    assert [w.code for w in back.warnings] == ["ac_undated", "note"]
    assert back.notes("ac") == "today's logged time"
    with store.sessions(sqlite_engine).begin() as session:
        store.save_snapshot(session, "acme", DAY_8, baseline_version=1, data=stored)
    status = load_status(sqlite_engine, "acme")
    assert [w.message for w in status.warnings] == old
