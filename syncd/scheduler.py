"""Enqueues due pulls per client, re-sends jobs no message covers, expires old inbox rows.

Due times live in the `schedule` table. One process schedules at a time: the holder of the
`scheduler` row's lease; others wait for it to lapse.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine

from syncd import inbox, jobs, schedule, store
from syncd.clientdir import ClientDirectory
from syncd.clients import Client
from syncd.comms.due import due_cadences
from syncd.db import Schedule
from syncd.model import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
UPKEEP_EVERY = 3600.0  # seconds between checks for webhooks that lapse soon
Sender = Callable[[str, int], None]


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def hold_lease(engine: Engine, owner: str, *, name: str = "scheduler") -> bool:
    """Take or renew the scheduler lease; True while this owner holds it."""
    now = utcnow()
    with store.sessions(engine).begin() as session:
        if session.get(Schedule, name) is None:
            session.add(Schedule(name=name, owner=None, lease_until=None, due_at=None))
            session.flush()
        result = session.execute(
            update(Schedule)
            .where(
                Schedule.name == name,
                or_(
                    Schedule.owner == owner,
                    Schedule.lease_until.is_(None),
                    Schedule.lease_until < now,
                ),
            )
            .values(owner=owner, lease_until=now + LEASE)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def next_due(client: Client, now: datetime) -> datetime:
    """When a client's next pull is due: its cron (in its time zone), else its poll interval."""
    config = client.config
    return schedule.next_due(
        cron=config.cron, poll_minutes=config.poll_minutes, timezone=config.timezone, now=now
    )


def due_pulls(engine: Engine, clients: list[Client]) -> list[tuple[str, int]]:
    """Queue a pull for every connector of every client whose poll time has come."""
    now = utcnow()
    queued: list[tuple[str, int]] = []
    with store.sessions(engine).begin() as session:
        for client in clients:
            name = f"client:{client.id}"
            row = session.get(Schedule, name)
            if row is None:
                row = Schedule(name=name, due_at=None, owner=None, lease_until=None)
                session.add(row)
            if row.due_at is not None and row.due_at > now:
                continue
            row.due_at = next_due(client, now)
            for conn in client.config.connectors:
                job = jobs.enqueue(
                    session, "pull", client.id, target=conn.id, dedupe=f"pull:{client.id}:{conn.id}"
                )
                if job is not None:
                    session.flush()
                    queued.append(("pull", job.id))
    return queued


def sweep(engine: Engine, send: Sender) -> int:
    """Send every job row that is due and covered by no message (lost, crashed, new)."""
    from syncd.db import Job

    ids = jobs.sendable(engine)
    if not ids:
        return 0
    with store.sessions(engine)() as session:
        kinds = dict(session.query(Job.id, Job.kind).filter(Job.id.in_(ids)).all())
    for job_id in ids:
        try:
            send(kinds[job_id], job_id)
        except Exception:
            log.warning("sweeper could not send job %d", job_id, exc_info=True)
    return len(ids)


class Scheduler(threading.Thread):
    """The scheduling loop: hold the lease, queue due pulls, sweep; every `tick` seconds.
    Now and then (`inbox.EXPIRE_EVERY`) it expires inbox rows older than `inbox_retention`.

    With a `ClientDirectory` it re-reads the client files that changed on every tick (a stat
    each): a new client is pulled at once (and handed to `on_added`), a changed one is pulled at
    once under its new configuration, a removed one is no longer scheduled."""

    def __init__(
        self,
        engine: Engine,
        clients: Mapping[str, Client] | list[Client],
        send: Sender,
        *,
        tick: float = 1.0,
        upkeep: Callable[[], object] | None = None,
        upkeep_every: float = UPKEEP_EVERY,
        inbox_retention: timedelta = inbox.RETENTION,
        on_added: Callable[[list[Client]], object] | None = None,
    ) -> None:
        super().__init__(name="syncd-scheduler", daemon=True)
        self.clients = clients if isinstance(clients, Mapping) else {c.id: c for c in clients}
        self.engine, self.send, self.tick = engine, send, tick
        self.upkeep, self.upkeep_every = upkeep, upkeep_every
        self.upkeep_at = 0.0  # time.monotonic() of the next upkeep
        self.inbox_retention, self.expire_at = inbox_retention, 0.0
        self.on_added = on_added
        self.seen: dict[str, Client] = dict(self.clients)
        self.owner = owner_id()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:
                log.exception("scheduler step failed")
            self.stopping.wait(self.tick)

    def step(self) -> None:
        if isinstance(self.clients, ClientDirectory):
            self.clients.refresh()
        current = dict(self.clients)
        added = [c for k, c in current.items() if k not in self.seen]
        changed = [k for k, c in current.items() if k in self.seen and self.seen[k] != c]
        self.seen = current
        if added and self.on_added is not None:
            self.on_added(added)
        if not hold_lease(self.engine, self.owner):
            return
        if changed:
            reschedule(self.engine, changed)
        for kind, job_id in due_pulls(self.engine, list(current.values())):
            self.send(kind, job_id)
        for kind, job_id in due_cadences(self.engine, list(current.values())):
            self.send(kind, job_id)
        sweep(self.engine, self.send)
        if time.monotonic() >= self.expire_at:
            self.expire_at = time.monotonic() + inbox.EXPIRE_EVERY
            inbox.expire(self.engine, keep=self.inbox_retention)
        if self.upkeep is not None and time.monotonic() >= self.upkeep_at:
            self.upkeep_at = time.monotonic() + self.upkeep_every
            self.upkeep()  # extending webhooks that lapse soon: rare, short, this thread

    def stop(self) -> None:
        self.stopping.set()


def reschedule(engine: Engine, client_ids: list[str]) -> None:
    """Make the next pull of these clients due now (their configuration changed)."""
    names = [f"client:{client_id}" for client_id in client_ids]
    with store.sessions(engine).begin() as session:
        session.execute(update(Schedule).where(Schedule.name.in_(names)).values(due_at=None))
