"""Enqueues due pulls per client, re-sends jobs no message covers, expires old inbox rows.

Due times live in the `schedule` table, one row per configured client (``client:<id>``), and a
tick reads only the rows that are due (through an index on `due_at`), so its cost follows the
clients due, not the clients configured: a client gets its row when the scheduler takes the
lease or the client is added, and loses it when the client is removed. One process schedules
at a time: the holder of the `scheduler` row's lease; others wait for it to lapse.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from syncd import schedule, store
from syncd.clientdir import ClientDirectory
from syncd.clients import Client
from syncd.clock import SYSTEM, Clock
from syncd.comms.due import cadence_rows, due_cadences
from syncd.store import inbox, jobs, timetable
from syncd.store.work import JobKind, PullJob

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
UPKEEP_EVERY = 3600.0  # seconds between checks for webhooks that lapse soon
DUE_BATCH = 500  # clients a tick queues at most; the rest are due still at the next tick
PREFIX = "client:"
Sender = Callable[[JobKind, int], None]


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def hold_lease(
    engine: Engine, owner: str, *, name: str = "scheduler", clock: Clock = SYSTEM
) -> bool:
    """Take or renew the scheduler lease; True while this owner holds it."""
    now = clock.now()
    return timetable.take_lease(engine, name, owner, now=now, lease=LEASE)


def next_due(client: Client, now: datetime) -> datetime:
    """When a client's next pull is due: its cron (in its time zone), else its poll interval."""
    config = client.config
    return schedule.next_due(
        cron=config.cron, poll_minutes=config.poll_minutes, timezone=config.timezone, now=now
    )


def due_pulls(
    engine: Engine, clients: Mapping[str, Client], *, limit: int = DUE_BATCH, clock: Clock = SYSTEM
) -> tuple[list[tuple[JobKind, int]], int]:
    """Queue a pull for every connector of every client whose poll time has come; the jobs to
    send, and how many schedule rows were read (the due ones: a row of a client no longer
    configured is dropped). The new rows count as sent: the caller sends them at once."""
    now = clock.now()
    queued: list[tuple[JobKind, int]] = []
    with store.sessions(engine).begin() as session:
        names = timetable.due(session, PREFIX, now, limit=limit, unset=True)
        due = {name: clients.get(name.removeprefix(PREFIX)) for name in names}
        timetable.drop(session, [name for name, client in due.items() if client is None])
        found = {name: client for name, client in due.items() if client is not None}
        timetable.set_due(session, {name: next_due(c, now) for name, c in found.items()})
        for client in found.values():
            for conn in client.config.connectors:
                job = jobs.enqueue(
                    session,
                    PullJob(),
                    client.id,
                    target=conn.id,
                    dedupe=f"pull:{client.id}:{conn.id}",
                    clock=clock,
                )
                if job is not None:
                    session.flush()
                    queued.append((JobKind.PULL, job.id))
        sent = set(jobs.mark_sent(session, [job_id for _, job_id in queued], now))
    return [(kind, job_id) for kind, job_id in queued if job_id in sent], len(names)


def align(engine: Engine, client_ids: Collection[str]) -> None:
    """Exactly these clients have a schedule row: a missing one is added, due now; the rows of
    clients no longer configured go."""
    names = {PREFIX + client_id for client_id in client_ids}
    with store.sessions(engine).begin() as session:
        stored = timetable.names(session, PREFIX)
        timetable.drop(session, stored - names)
        timetable.add(session, dict.fromkeys(sorted(names - stored)))


def add_rows(engine: Engine, client_ids: Collection[str]) -> None:
    """Schedule rows for new clients, due now (a row already there is left as it is)."""
    names = {PREFIX + client_id for client_id in client_ids}
    with store.sessions(engine).begin() as session:
        stored = timetable.present(session, names)
        timetable.add(session, dict.fromkeys(sorted(names - stored)))


def drop_rows(engine: Engine, client_ids: Collection[str]) -> None:
    with store.sessions(engine).begin() as session:
        timetable.drop(session, {PREFIX + client_id for client_id in client_ids})


def sweep(engine: Engine, send: Sender, *, clock: Clock = SYSTEM) -> int:
    """Send every job row that is due and covered by no message (lost, crashed, new)."""
    ids = jobs.sendable(engine, clock=clock)
    if not ids:
        return 0
    kinds = jobs.kinds(engine, ids)
    for job_id in ids:
        try:
            send(kinds[job_id], job_id)
        except Exception:
            log.warning("sweeper could not send job %d", job_id, exc_info=True)
    return len(ids)


class Scheduler(threading.Thread):
    """The scheduling loop: hold the lease, queue due pulls, sweep; every `tick` seconds.
    Now and then (`inbox.EXPIRE_EVERY`) it expires inbox rows older than `inbox_retention`.

    With a `ClientDirectory` it re-reads the client files that changed on every tick (a bounded
    number of stats, `ClientDirectory.refresh`): a new client is pulled at once (and handed to
    `on_added`), a changed one is pulled at once under its new configuration, a removed one is
    no longer scheduled. `examined` is how many schedule rows the last tick read. Due times,
    leases and the intervals between ticks, upkeeps and expiries are read from `clock`."""

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
        clock: Clock = SYSTEM,
    ) -> None:
        super().__init__(name="syncd-scheduler", daemon=True)
        self.clients = clients if isinstance(clients, Mapping) else {c.id: c for c in clients}
        self.engine, self.send, self.tick = engine, send, tick
        self.upkeep, self.upkeep_every = upkeep, upkeep_every
        self.clock = clock
        self.upkeep_at = clock.monotonic()  # when the next upkeep is due: the first step
        self.inbox_retention, self.expire_at = inbox_retention, clock.monotonic()
        self.on_added = on_added
        self.seen: dict[str, Client] = dict(self.clients)
        self.generation: int | None = getattr(self.clients, "generation", None)
        self.holding = False  # whether the last tick held the lease
        self.examined = 0
        self.owner = owner_id()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:
                log.exception("scheduler step failed")
            self.clock.wait(self.stopping, self.tick)

    def step(self) -> None:
        if isinstance(self.clients, ClientDirectory):
            self.clients.refresh()
        added, changed, removed = self.changes()
        if added and self.on_added is not None:
            self.on_added([self.clients[k] for k in added if k in self.clients])
        self.examined = 0
        if not hold_lease(self.engine, self.owner, clock=self.clock):
            self.holding = False
            return
        self.keep_rows(added, changed, removed)
        queued, self.examined = due_pulls(self.engine, self.clients, clock=self.clock)
        for kind, job_id in queued:
            self.send(kind, job_id)
        for kind, job_id in due_cadences(self.engine, self.clients, clock=self.clock):
            self.send(kind, job_id)
        sweep(self.engine, self.send, clock=self.clock)
        self.housekeeping()

    def keep_rows(self, added: list[str], changed: list[str], removed: list[str]) -> None:
        """The schedule's rows follow the clients: all of them when the lease is new to this
        process, else those added, changed and removed since the last tick."""
        if not self.holding:  # the lease is new to this process: every client gets its row
            align(self.engine, list(self.clients))
            cadence_rows(self.engine, self.clients.values(), clock=self.clock)
            self.holding = True
        elif added or removed:
            add_rows(self.engine, added)
            drop_rows(self.engine, removed)
        if changed:
            reschedule(self.engine, changed)
        if added or changed:
            cadence_rows(
                self.engine,
                [self.clients[k] for k in [*added, *changed] if k in self.clients],
                clock=self.clock,
            )

    def housekeeping(self) -> None:
        """What is due now and then: expiring old webhook deliveries, the webhook upkeep."""
        if self.clock.monotonic() >= self.expire_at:
            self.expire_at = self.clock.monotonic() + inbox.EXPIRE_EVERY
            inbox.expire(self.engine, keep=self.inbox_retention, clock=self.clock)
        if self.upkeep is not None and self.clock.monotonic() >= self.upkeep_at:
            self.upkeep_at = self.clock.monotonic() + self.upkeep_every
            self.upkeep()  # extending webhooks that lapse soon: rare, short, this thread

    def changes(self) -> tuple[list[str], list[str], list[str]]:
        """Clients added, changed and removed since the last tick. A `ClientDirectory` counts
        its changes (`generation`): when it did not move, nothing is compared."""
        generation = getattr(self.clients, "generation", None)
        if generation is not None and generation == self.generation:
            return [], [], []
        self.generation = generation
        current = dict(self.clients)
        added = [k for k in current if k not in self.seen]
        changed = [k for k, c in current.items() if k in self.seen and self.seen[k] != c]
        removed = [k for k in self.seen if k not in current]
        self.seen = current
        return added, changed, removed

    def stop(self) -> None:
        self.stopping.set()


def reschedule(engine: Engine, client_ids: list[str]) -> None:
    """Make the next pull of these clients due now (their configuration changed)."""
    names = [f"client:{client_id}" for client_id in client_ids]
    with store.sessions(engine).begin() as session:
        timetable.due_now(session, names)
