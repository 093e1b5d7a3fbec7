"""When the plan sends: cadences in the client's time zone, triggers once per status date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from syncd import store
from syncd.clients import Client
from syncd.comms import delivery
from syncd.comms.due import (
    cadence_rows,
    dead_letter,
    due_cadences,
    events,
    next_time,
    slip_crossed,
)
from syncd.db import Delivery, Schedule
from syncd.plan.rag import Rag
from syncd.store.comms import get_delivery
from tests.comms.conftest import CLIENT, write_client
from tests.reports.conftest import status_of
from tests.reports.sample import acme


def test_next_time_reads_the_cron_in_the_clients_zone(client: Client) -> None:
    """Mondays 09:00 in Berlin is 08:00 UTC in winter; a trigger entry has no next time."""
    weekly = delivery.entry_of(client, "weekly")
    after = next_time(client, weekly, datetime(2026, 12, 2, 12, tzinfo=UTC))
    assert after == datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert next_time(client, delivery.entry_of(client, "rag-slack"), after) is None


def test_a_cadence_sends_once_per_status_date(seeded: Engine, client: Client) -> None:
    """A client's cron entries get their rows, first due at the cron's next time; when due, the
    newest status date is queued; due again with no new status, nothing more is queued."""
    cadence_rows(seeded, [client])
    assert due_cadences(seeded, {client.id: client}) == []
    with store.sessions(seeded)() as session:
        names = session.query(Schedule.name).filter(Schedule.name.like("comms:acme:%")).all()
    assert sorted(n for (n,) in names) == ["comms:acme:review", "comms:acme:weekly"]
    with store.sessions(seeded).begin() as session:
        session.execute(
            update(Schedule)
            .where(Schedule.name.like("comms:acme:%"))
            .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    first = due_cadences(seeded, {client.id: client})
    assert sorted(kind for kind, _ in first) == ["deliver", "deliver"]  # weekly and review
    row = get_delivery(seeded, "acme:weekly:2026-11-30")
    assert row is not None and row.reason == "cadence 0 9 * * mon"
    with store.sessions(seeded).begin() as session:
        session.execute(
            update(Schedule)
            .where(Schedule.name.like("comms:acme:%"))
            .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert due_cadences(seeded, {client.id: client}) == []
    with store.sessions(seeded)() as session:
        assert session.query(Delivery).count() == 2


def test_a_tick_reads_only_the_due_cadence_rows(seeded: Engine, client: Client) -> None:
    """Cadence rows of a thousand clients that are not due are not read; a due row of a client
    no longer configured is dropped, not sent."""
    many = {f"c{i:04d}": replace(client, id=f"c{i:04d}") for i in range(1000)}
    cadence_rows(seeded, many.values())
    gone = many.pop("c0007")
    with store.sessions(seeded).begin() as session:
        session.execute(
            update(Schedule)
            .where(Schedule.name.like("comms:c0007:%"))
            .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(seeded, "before_cursor_execute", count)
    try:
        assert due_cadences(seeded, many) == []
    finally:
        event.remove(seeded, "before_cursor_execute", count)
    assert len(statements) <= 4  # one select of the due rows, the deletes of the two gone ones
    with store.sessions(seeded)() as session:
        left = session.query(Schedule).filter(Schedule.name.like(f"comms:{gone.id}:%")).count()
        assert left == 0
        assert session.query(Schedule).filter(Schedule.name.like("comms:c%")).count() == 1998


def test_rag_and_overdue_triggers_read_the_change_since_the_previous_status() -> None:
    """RAG moved: rag_change fires; a risk whose due date passed since: risk_overdue fires."""
    status = status_of(acme())
    assert events(status) == {}  # red before and after; the risk was overdue already
    moved = replace(status, change=replace(status.change, previous_rag=Rag.AMBER))
    assert events(moved)["rag_change"] == "RAG changed from amber to red"
    risk = status.risks[0]
    fresh = replace(risk, item=replace(risk.item, due=status.as_of - timedelta(days=1)))
    assert "risk_overdue" in events(replace(status, risks=(fresh,)))


def test_milestone_slip_fires_when_the_threshold_is_crossed() -> None:
    """A slip that reached the threshold since the previous status fires; one past it before
    does not."""
    status = status_of(acme())
    go_live = status.next_milestones[0]
    assert slip_crossed(status, {go_live.key: 0.0}, 5).startswith("milestone slip reached 5 wd")
    assert slip_crossed(status, {go_live.key: go_live.slip_days}, 5) == ""


def test_a_dead_letter_fires_its_entries_but_a_delivery_s_own_never(
    seeded: Engine, tmp_path: Path
) -> None:
    """A pull that died queues the dead_letter entry; a delivery that died queues nothing."""
    text = CLIENT + '\n[[communication]]\nid = "ops"\nchannel = "email"\n'
    text += 'audience = ["ops@consultancy.example"]\ntrigger = "dead_letter"\n'
    client = write_client(tmp_path / "other", text)
    today = date(2026, 12, 1)
    assert dead_letter(seeded, client, kind="deliver", job_id=7, today=today) == []
    assert len(dead_letter(seeded, client, kind="pull", job_id=8, today=today)) == 1
    row = get_delivery(seeded, "acme:ops:2026-12-01")
    assert row is not None and row.reason == "pull job 8 is a dead letter"
