"""What the communication plan sends next: cadences that came due, and triggers that fired.

Cadence: an entry's cron, read in the client's time zone, has a `schedule` row
(``comms:<client>:<entry>``). When it comes due, the client's newest status date is delivered
(a week without a new snapshot sends nothing new: the key is the same). Triggers are read from
a freshly built status beside the previous snapshot's: RAG changed, a milestone's slip crossed
`slip_days`, a risk became overdue; a new dead letter fires `dead_letter` entries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd import schedule, store
from syncd.clients import Client
from syncd.clock import SYSTEM, Clock
from syncd.comms.config import CommunicationEntry
from syncd.comms.delivery import queue
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports.model import Status
from syncd.store import timetable
from syncd.store.snapshots import newest_status_date
from syncd.store.work import JobKind

log = logging.getLogger(__name__)


def next_time(client: Client, entry: CommunicationEntry, now: datetime) -> datetime | None:
    """When a cadence entry next goes out (UTC); None for a trigger entry."""
    if entry.cron is None:
        return None
    return schedule.next_due(
        cron=entry.cron, poll_minutes=0, timezone=client.config.timezone, now=now
    )


CADENCE = "comms:"
DUE_BATCH = 500  # cadence rows read per tick at most: the rest wait for the next tick


def row_name(client: Client, entry: CommunicationEntry) -> str:
    return f"{CADENCE}{client.id}:{entry.id}"[:64]


def cadence_rows(engine: Engine, clients: Iterable[Client], *, clock: Clock = SYSTEM) -> None:
    """Give every cron entry of these clients its schedule row, first due at the cron's next
    time, and drop the rows of entries they no longer have. Called for the clients that are
    new or changed (all of them when this process takes the scheduler's lease), so a tick
    never walks every client. A row already there keeps its time: an edited cron applies
    after its next delivery."""
    now = clock.now()
    with store.sessions(engine).begin() as session:
        for client in clients:
            wanted = {row_name(client, e): e for e in client.config.communication if e.cron}
            stored = timetable.names(session, f"{CADENCE}{client.id}:")
            timetable.drop(session, stored - wanted.keys())
            new = {n: next_time(client, e, now) for n, e in wanted.items() if n not in stored}
            timetable.add(session, new)


def due_cadences(
    engine: Engine, clients: Mapping[str, Client], *, clock: Clock = SYSTEM
) -> list[tuple[JobKind, int]]:
    """Queue the deliveries of the cadence entries whose time has come (by `clock`): only the
    due rows are read (the index on `due_at`), whatever the number of clients."""
    now = clock.now()
    queued: list[tuple[JobKind, int]] = []
    with store.sessions(engine).begin() as session:
        for name in timetable.due(session, CADENCE, now, limit=DUE_BATCH):
            client_id = name.removeprefix(CADENCE).split(":", 1)[0]
            client = clients.get(client_id)
            entry = _entry(client, name) if client is not None else None
            if client is None or entry is None:  # the client or its entry is gone
                timetable.drop(session, [name])
                continue
            timetable.set_due(session, {name: next_time(client, entry, now)})
            day = newest_status_date(session, client.id)
            if day is None:
                log.info("%s/%s is due but there is no status yet", client.id, entry.id)
                continue
            job = queue(session, client, entry, day, reason=f"cadence {entry.cron}")
            if job is not None:
                queued.append((JobKind.DELIVER, job))
    return queued


def _entry(client: Client, name: str) -> CommunicationEntry | None:
    return next(
        (e for e in client.config.communication if e.cron and row_name(client, e) == name), None
    )


def events(status: Status) -> dict[str, str]:
    """The triggers that fired since the previous snapshot (RAG, overdue risks), with why."""
    fired: dict[str, str] = {}
    before = status.change.previous_rag
    if before is not None and before is not status.rag.level:
        fired["rag_change"] = f"RAG changed from {before.value} to {status.rag.level.value}"
    since = status.change.previous_as_of
    became = [
        r
        for r in status.risks
        if r.overdue and r.item.due is not None and (since is None or r.item.due >= since)
    ]
    if became:
        fired["risk_overdue"] = f"{len(became)} risk(s) or issue(s) became overdue"
    return fired


def previous_slips(previous: StatusSnapshot | None) -> dict[str, float]:
    """Each milestone's slip in the previous snapshot, by key."""
    if previous is None:
        return {}
    return {m.key: m.slip_days for m in previous.reconciliation.milestones}


def slip_crossed(status: Status, before: Mapping[str, float], threshold: float) -> str:
    """Why a milestone_slip entry fires: a milestone whose slip reached `threshold` since the
    previous snapshot (or, with no previous one, any that is past it)."""
    crossed = [
        m.name
        for m in status.next_milestones
        if m.slip_days >= threshold and before.get(m.key, 0.0) < threshold
    ]
    return f"milestone slip reached {threshold:g} wd: {', '.join(crossed)}" if crossed else ""


def queue_triggered(
    session: Session, client: Client, status: Status, previous: StatusSnapshot | None
) -> list[tuple[JobKind, int]]:
    """Queue, in the snapshot's transaction, every trigger entry whose event fired."""
    fired, before = events(status), previous_slips(previous)
    queued: list[tuple[JobKind, int]] = []
    for entry in client.config.communication:
        if entry.trigger is None or entry.trigger == "dead_letter":
            continue
        if entry.trigger == "milestone_slip":
            reason = slip_crossed(status, before, entry.slip_days)
        else:
            reason = fired.get(entry.trigger, "")
        if reason:
            job = queue(session, client, entry, status.as_of, reason=reason)
            if job is not None:
                queued.append((JobKind.DELIVER, job))
    return queued


def dead_letter(
    engine: Engine, client: Client, *, kind: JobKind, job_id: int, today: date
) -> list[int]:
    """Queue the `dead_letter` entries of a client when one of its jobs died (not a delivery's
    own: a failing channel must not report itself through itself, forever)."""
    if kind == JobKind.DELIVER:
        return []
    out = []
    with store.sessions(engine).begin() as session:
        for entry in client.config.communication:
            if entry.trigger == "dead_letter":
                job = queue(
                    session, client, entry, today, reason=f"{kind} job {job_id} is a dead letter"
                )
                if job is not None:
                    out.append(job)
    return out
