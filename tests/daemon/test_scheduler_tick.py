"""A scheduler tick costs what is due, not what is configured: 1,000 clients, a few due.

The work is counted (schedule rows read, client files stat'ed, SQL statements run), never timed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine

from syncd import clientdir, store
from syncd.clientdir import ClientDirectory
from syncd.clock import FakeClock
from syncd.db import Job, Schedule
from syncd.model import utcnow
from syncd.scheduler import DUE_BATCH, Scheduler

ENV = {"T": "token"}
CLIENT = """\
name = "{name}"
poll_minutes = 15
[[connectors]]
kind = "jira"
id = "jira"
url = "https://x.atlassian.net"
email = "bot@example.com"
token_env = "T"
jql = "project = X"
"""
CLIENTS = 1000


def write(directory: Path, stem: str, name: str) -> None:
    part = directory / f".{stem}.part"
    part.write_text(CLIENT.format(name=name), encoding="utf-8")
    part.replace(directory / f"{stem}.toml")


def edit_in_place(path: Path) -> None:
    """Give the client a cron, writing into the same file (same inode, directory untouched)."""
    with path.open("r+", encoding="utf-8") as handle:
        text = handle.read()
        handle.seek(0)
        handle.write("cron = '0 7 * * 1-5'\n" + text)


def many_clients(directory: Path, count: int) -> ClientDirectory:
    directory.mkdir()
    for n in range(count):
        write(directory, f"c{n:04d}", f"Client {n}")
    return ClientDirectory(directory, env=ENV)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def make_due(engine: Engine, client_ids: list[str]) -> None:
    """As if their poll time had come: their rows' due time is past."""
    names = [f"client:{c}" for c in client_ids]
    with store.sessions(engine).begin() as session:
        session.execute(
            update(Schedule)
            .where(Schedule.name.in_(names))
            .values(due_at=utcnow() - timedelta(seconds=1))
        )


def finish_pulls(engine: Engine) -> None:
    """The workers did every queued pull (their dedupe keys free again)."""
    with store.sessions(engine).begin() as session:
        session.execute(update(Job).values(state="done", dedupe=None, lease_until=None))


def test_a_tick_reads_only_the_due_clients_of_a_thousand(engine: Engine, tmp_path: Path) -> None:
    """The first ticks schedule all 1,000 clients, `DUE_BATCH` a tick, each pull sent once.
    Afterwards, with 3
    clients due, a tick reads 3 schedule rows and queues 3 pulls, in as many statements as a
    tick with none due plus a fixed few, and stats a bounded number of client files."""
    clients = many_clients(tmp_path / "clients", CLIENTS)
    sent: list[tuple[str, int]] = []
    scheduler = Scheduler(engine, clients, lambda kind, job_id: sent.append((kind, job_id)))

    for _ in range(CLIENTS // DUE_BATCH):
        scheduler.step()
        assert scheduler.examined == DUE_BATCH
    assert len(sent) == CLIENTS and len(set(sent)) == CLIENTS  # no pull sent twice
    finish_pulls(engine)

    sent.clear()
    with statements(engine) as idle:
        scheduler.step()
    assert scheduler.examined == 0 and sent == []
    assert clients.checked == clientdir.ROTATE  # of 1,000 files

    due = ["c0007", "c0500", "c0999"]
    make_due(engine, due)
    with statements(engine) as busy:
        scheduler.step()
    assert scheduler.examined == len(due)
    with store.sessions(engine)() as session:
        queued = session.execute(select(Job.client).where(Job.state == "pending")).scalars()
        assert sorted(queued) == due
    assert len(sent) == len(due)
    # a due client costs a fixed few statements (its row, the dedupe lookup, the insert in a
    # savepoint), and the tick a fixed few more (marking the pulls sent), none per configured one
    assert len(busy) - len(idle) <= 6 * len(due) + 4
    assert len(idle) < 20


def test_a_clients_next_pull_comes_when_its_poll_interval_has_passed_on_the_clock(
    engine: Engine, tmp_path: Path
) -> None:
    """Clients polled every 15 minutes and pulled now are not due a second before 15 minutes
    have passed on the scheduler's clock, and are due then (a fake clock: no minute passes)."""
    clock = FakeClock()
    clients = many_clients(tmp_path / "clients", 2)
    sent: list[tuple[str, int]] = []
    scheduler = Scheduler(
        engine, clients, lambda kind, job_id: sent.append((kind, job_id)), clock=clock
    )
    scheduler.step()
    assert len(sent) == 2
    finish_pulls(engine)
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    scheduler.step()
    assert scheduler.examined == 0 and len(sent) == 2
    clock.advance(timedelta(seconds=1))
    scheduler.step()
    assert scheduler.examined == 2 and len(sent) == 4


def test_clients_added_and_removed_get_and_lose_their_schedule_row(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A client file added between ticks is pulled at the next tick; a removed one's row goes."""
    clients = many_clients(tmp_path / "clients", 3)
    sent: list[tuple[str, int]] = []
    scheduler = Scheduler(sqlite_engine, clients, lambda kind, job_id: sent.append((kind, job_id)))
    scheduler.step()
    assert len(sent) == 3
    write(tmp_path / "clients", "new", "New")
    (tmp_path / "clients" / "c0001.toml").unlink()
    scheduler.step()
    assert scheduler.examined == 1 and len(sent) == 4
    with store.sessions(sqlite_engine)() as session:
        names = set(session.execute(select(Schedule.name)).scalars())
    assert names == {"scheduler", "client:c0000", "client:c0002", "client:new"}


def test_a_file_edited_in_place_is_seen_within_a_bounded_number_of_refreshes(
    tmp_path: Path,
) -> None:
    """Among 200 files, a refresh stats `ROTATE` of them when the directory is unchanged; an
    edit in place (no rename: the directory does not change) is applied within
    200 / `ROTATE` refreshes, a file renamed into place at the next one."""
    clients = many_clients(tmp_path / "clients", 200)
    path = tmp_path / "clients" / "c0150.toml"
    edit_in_place(path)
    refreshes = 0
    while clients["c0150"].config.cron is None:
        clients.refresh()
        refreshes += 1
        assert clients.checked == clientdir.ROTATE
        assert refreshes <= math.ceil(200 / clientdir.ROTATE)
    write(tmp_path / "clients", "c0003", "Renamed In")
    clients.refresh()
    assert clients["c0003"].config.name == "Renamed In"
    assert clients.checked == 200  # the directory changed: it was listed once


def test_a_job_stats_only_its_own_client_file(tmp_path: Path) -> None:
    """`refresh_client` applies a change of that client's file alone; others wait their turn."""
    clients = many_clients(tmp_path / "clients", 100)
    for stem in ("c0010", "c0020"):
        edit_in_place(tmp_path / "clients" / f"{stem}.toml")
    before = clients.generation
    assert clients.refresh_client("c0010").changed == ("c0010",)
    assert clients.generation == before + 1
    assert clients["c0010"].config.cron == "0 7 * * 1-5"
    assert clients["c0020"].config.cron is None  # not read yet: a job of c0010 stats c0010
    assert clients.refresh_client("../c0020") == clientdir.Changes()
    assert clients.refresh_client("c0020").changed == ("c0020",)


def test_a_file_added_without_moving_the_directorys_time_is_found_within_a_turn(
    tmp_path: Path,
) -> None:
    """On a file system whose directory times are coarse, a file renamed in may leave the
    directory's modification time as it was: the names are compared once per turn of the
    rotation, so the new client still arrives within 200 / `ROTATE` refreshes."""
    clients = many_clients(tmp_path / "clients", 200)
    folder = tmp_path / "clients"
    before = folder.stat()
    write(folder, "late", "Late")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))  # as if it had not moved
    refreshes = 0
    while "late" not in clients:
        clients.refresh()
        refreshes += 1
        assert refreshes <= math.ceil(200 / clientdir.ROTATE)
    assert clients["late"].config.name == "Late"
