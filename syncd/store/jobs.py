"""Durable jobs: every queued message is the shadow of a row committed first.

A row is `pending` until a worker claims it (`leased`, with a lease), then `done` or `dead`.
`lease_until` on a pending row is how long its in-flight message is trusted; the sweeper
re-sends pending rows that are due and no longer covered, and leased rows whose lease ran out
(a crashed worker). A row that fails permanently, or too often, becomes a dead letter, which
`replay` makes pending again. `dedupe` keeps one live row per key (one pending pull per
connector); it is released when the row ends.

A push carries the whole status, so the newest push to a target is all that needs to land
(`LATEST_WINS`): a target's dead pushes are one failure (`failures`), a replay sends the
newest again and sets the older ones aside (`superseded`), and a push that lands sets aside
the older dead pushes of its target. Replaying them all wrote every stale status in turn, in
no set order, so the target could end on an old one.

Fairness: with `per_client`, `claim` refuses a job whose client already runs that many (live
leases, every worker of every process counted), so one client with many or long jobs never
holds every worker; the refused job is deferred (`defer`) behind the others in the queue.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, literal, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syncd import redact
from syncd.clock import SYSTEM, Clock
from syncd.db import Job
from syncd.errors import PermanentError
from syncd.model import Failure
from syncd.store.base import CHUNK, sessions
from syncd.store.work import JobKind, W, Work, work_of


class JobState(StrEnum):
    """Where a row is in its life; the value is the `jobs.state` column."""

    PENDING = "pending"  # waiting for a worker, perhaps covered by a message in flight
    LEASED = "leased"  # a worker holds it until `lease_until`
    DONE = "done"
    DEAD = "dead"  # failed for good, or too often: a dead letter until replayed
    SUPERSEDED = "superseded"  # a dead push made moot by a newer push to its target


LATEST_WINS = frozenset({JobKind.PUSH})  # kinds whose newest row of a target is all that counts


SEND_COVER = timedelta(seconds=60)  # a sent message is trusted this long before a re-send
COVER_DOUBLINGS = 5  # a re-sent message is trusted longer, up to 32 x SEND_COVER
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
AGAIN = "_again"  # payload key: requests that arrived while the row was running
BUSY = "_busy"  # payload key: deferred because its client was busy (`defer`), until woken
BUSY_WAIT = (2.0, 5.0)  # seconds a job of a busy client waits before it is tried again
CLIENT_LOCK = 0x7379  # PostgreSQL advisory lock class under which one client's claims queue


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds: what to do and for whom. `payload` is the row's JSON as claimed
    (`complete` compares it with the row's to see a request made meanwhile); `carried` reads
    the typed work from it."""

    id: int
    kind: JobKind
    client: str
    target: str | None
    payload: dict[str, Any]
    attempts: int

    def carried(self, shape: type[W]) -> W:
        """The work this job carries, as the value its kind queues; PermanentError when the job
        is of another kind, KeyError when its payload lacks what the kind needs."""
        work = work_of(self.kind, self.payload)
        if not isinstance(work, shape):
            raise PermanentError(f"job {self.id} is a {self.kind} job, not a {shape.kind} job")
        return work


def enqueue(
    session: Session,
    work: Work,
    client: str,
    *,
    target: str | None = None,
    dedupe: str | None = None,
    delay: float = 0.0,
    max_attempts: int = 5,
    clock: Clock = SYSTEM,
) -> Job | None:
    """Add a job doing `work` in the caller's transaction; with `dedupe`, only if no live row
    holds that key. The row's kind is the work's, its payload the work's wire form.

    Returns the new row, or None when a live row with the same key already exists: a pending
    row is then refreshed with the newer payload, so the latest status wins; a running one is
    marked to run again when it ends (`complete`), so no request made while it ran is lost.
    """
    now = clock.now()
    kind, payload = work.kind, work.wire() or None  # nothing carried: a live row keeps its own
    if dedupe is not None:
        live = (
            session.execute(select(Job).where(Job.dedupe == dedupe).with_for_update())
            .scalars()
            .first()
        )
        if live is not None:
            if payload is not None and live.state == JobState.PENDING:
                live.payload, live.updated = payload, now
            elif live.state == JobState.LEASED and kind != JobKind.WEBHOOK:
                # It is running, and what it read may predate this request: it runs once more.
                # (A webhook's key is its delivery: the same one again is not new work.)
                base = payload if payload is not None else dict(live.payload)
                live.payload = {**base, AGAIN: int(live.payload.get(AGAIN, 0)) + 1}
                live.updated = now
            return None
    job = Job(
        kind=kind,
        client=client,
        target=target,
        dedupe=dedupe,
        payload=payload or {},
        state=JobState.PENDING,
        attempts=0,
        max_attempts=max_attempts,
        due_at=now + timedelta(seconds=delay),
        created=now,
        updated=now,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # a concurrent writer took the key first
        return None
    return job


class ClientBusy(Exception):
    """The job's client already runs as many jobs as it may (`per_client`): it must wait."""


def claim(
    engine: Engine,
    job_id: int,
    *,
    lease: timedelta,
    kind: JobKind | None = None,
    per_client: int = 0,
    clock: Clock = SYSTEM,
) -> Claimed | None:
    """Take a due job for `lease`; None if it is done, dead, not due or held by a live lease.

    With `kind`, a row of another kind is not taken: a message that names it came from
    somewhere else (another deployment on the same broker) and is ignored. With `per_client`,
    `ClientBusy` when the client already holds that many live leases (the row is left as it was).
    """
    now = clock.now()
    with sessions(engine).begin() as session:
        conn = session.connection()
        if per_client and conn.dialect.name == "postgresql":
            # two claims of one client at once must not both count the other's lease as absent
            owner = conn.execute(_OWNER, {"job": job_id}).scalar()
            conn.execute(_CLIENT_LOCK, {"cls": CLIENT_LOCK, "client": owner or ""})
        params = {"job": job_id, "of_kind": kind, "now": now, "until": now + lease}
        row = conn.execute(_TAKE[kind is not None], params).first()
        if row is None:
            return None
        kind_, client, target, payload, attempts = row
        if per_client and running(session, client, now, besides=job_id) >= per_client:
            raise ClientBusy(client)  # the transaction rolls back: the row is untouched
        payload = dict(payload or {})
        if BUSY in payload:  # it runs: no longer waiting for a place (a retry must not wake)
            payload = {k: v for k, v in payload.items() if k != BUSY}
            conn.execute(_PAYLOAD, {"job": job_id, "new_payload": payload})
        return Claimed(job_id, JobKind(kind_), client, target, payload, attempts)


def _take(by_kind: bool) -> Any:
    """The claim's one statement: the row leased if it is due and free (of `kind` when
    `by_kind`), and what the worker needs of it. Built once: a claim runs for every job."""
    table = _JOBS
    c = table.c
    due = [c.id == bindparam("job"), c.due_at <= bindparam("now")]
    if by_kind:
        due.append(c.kind == bindparam("of_kind"))
    free = or_(
        c.state == JobState.PENDING,
        (c.state == JobState.LEASED) & (c.lease_until < bindparam("now")),
    )
    return (
        update(table)
        .where(*due, free)
        .values(
            state=JobState.LEASED,
            lease_until=bindparam("until"),
            attempts=c.attempts + 1,
            updated=bindparam("now"),
        )
        .returning(c.kind, c.client, c.target, c.payload, c.attempts)
    )


_JOBS = cast(Table, Job.__table__)
_TAKE = {False: _take(False), True: _take(True)}
_OWNER = select(_JOBS.c.client).where(_JOBS.c.id == bindparam("job"))
_CLIENT_LOCK = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:client))")
_PAYLOAD = (
    update(_JOBS).where(_JOBS.c.id == bindparam("job")).values(payload=bindparam("new_payload"))
)


def running(session: Session, client: str, now: datetime, *, besides: int | None = None) -> int:
    """How many jobs of `client` hold a live lease (`besides` one not counted)."""
    query = select(func.count()).where(
        Job.client == client, Job.state == JobState.LEASED, Job.lease_until >= now
    )
    if besides is not None:
        query = query.where(Job.id != besides)
    return int(session.execute(query).scalar_one())


def defer(engine: Engine, job_id: int, *, clock: Clock = SYSTEM) -> float:
    """Make a pending job due again after a short jittered wait, covered meanwhile by the
    delayed message the caller sends, and mark it deferred: when one of its client's jobs
    ends first, `wake` brings it forward. Returns the wait in seconds."""
    wait = random.uniform(*BUSY_WAIT)  # noqa: S311 -- jitter, not secrecy
    due = clock.now() + timedelta(seconds=wait)
    with sessions(engine).begin() as session:
        row = session.get(Job, job_id, with_for_update=True)
        if row is not None and row.state == JobState.PENDING:
            row.due_at, row.lease_until = due, due + SEND_COVER
            row.payload = {**row.payload, BUSY: 1}
    return wait


def wake(engine: Engine, client: str, *, clock: Clock = SYSTEM) -> tuple[JobKind, int] | None:
    """The oldest job of `client` deferred while it was busy, made due now: one of its jobs
    has just ended, so a place is free. The caller sends its message; its own delayed message
    finds it taken or done. None when none waits. Without this a deferred job waited out its
    2 to 5 s even when the job that held its place ended at once."""
    now = clock.now()
    with sessions(engine).begin() as session:
        waiting = session.execute(
            select(Job)
            .where(Job.client == client, Job.state == JobState.PENDING, Job.due_at > now)
            .order_by(Job.id)
            .with_for_update()
        ).scalars()
        row = next((r for r in waiting if BUSY in (r.payload or {})), None)
        if row is None:
            return None
        row.payload = {k: v for k, v in row.payload.items() if k != BUSY}
        row.due_at, row.lease_until, row.updated = now, now + SEND_COVER, now
        return JobKind(row.kind), row.id


def renew(engine: Engine, job: Claimed, *, lease: timedelta, clock: Clock = SYSTEM) -> bool:
    """Extend the lease of a job this worker still holds; False if it holds it no more."""
    with sessions(engine).begin() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state == JobState.LEASED, Job.attempts == job.attempts)
            .values(lease_until=clock.now() + lease)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def complete(engine: Engine, job: Claimed, *, clock: Clock = SYSTEM) -> bool:
    """Mark a held job done. True when it was asked for again while it ran: it is then pending,
    due now, for the caller to send once more.

    A worker whose lease ran out and was taken over does not touch the row (it is not its own).
    """
    now = clock.now()
    with sessions(engine).begin() as session:
        row = session.get(Job, job.id, with_for_update=True)
        if row is None or row.state != JobState.LEASED or row.attempts != job.attempts:
            return False
        row.lease_until, row.last_error, row.updated = None, None, now
        if row.payload != job.payload:
            row.state, row.due_at, row.attempts = JobState.PENDING, now, 0
            row.lease_until = now + SEND_COVER
            return True
        row.state = JobState.DONE
        row.dedupe = row.dedupe if row.kind == JobKind.WEBHOOK else None
        if row.kind in LATEST_WINS:
            _set_aside(session, _dead_at(row.client, row.kind, row.target, before=row.id), now)
        return False


def backoff(attempts: int) -> float:
    """Jittered exponential backoff in seconds for the given attempt number."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 -- jitter, not secrecy


class LeaseLost(Exception):
    """The row is no longer held by this worker: its lease ran out and another took it over."""


def fail(
    engine: Engine,
    job: Claimed,
    error: str,
    *,
    permanent: bool,
    retry_after: float | None = None,
    clock: Clock = SYSTEM,
) -> float | None:
    """Record a failure of a held job. Returns the delay before the retry, or None if the job is
    now dead; raises `LeaseLost` if another worker holds it now."""
    now = clock.now()
    with sessions(engine).begin() as session:
        row = session.get(Job, job.id, with_for_update=True)
        if row is None or row.state != JobState.LEASED or row.attempts != job.attempts:
            raise LeaseLost(f"job {job.id} is no longer held by this worker")
        row.last_error, row.updated = redact.text(error)[:2000], now
        if permanent or row.attempts >= row.max_attempts:
            row.state, row.lease_until = JobState.DEAD, None
            row.dedupe = row.dedupe if row.kind == JobKind.WEBHOOK else None
            return None
        delay = retry_after if retry_after is not None else backoff(row.attempts)
        row.state = JobState.PENDING
        row.due_at = now + timedelta(seconds=delay)
        row.lease_until = row.due_at + SEND_COVER
        return delay


def sendable(engine: Engine, *, limit: int = 500, clock: Clock = SYSTEM) -> list[int]:
    """Rows to (re-)send now: due pending rows no message covers, and leases that ran out.

    A row that has waited long is re-sent with a longer cover (`cover`): when the workers are
    behind, its first message is most likely still queued, and re-sending it every minute
    filled the broker with copies (a 26-minute backlog of 2,000 jobs: 15,000 messages)."""
    now = clock.now()
    with sessions(engine).begin() as session:
        due = session.execute(
            select(Job.id, Job.due_at).where(*_unsent(now)).order_by(Job.due_at).limit(limit)
        ).all()
        groups: dict[timedelta, list[int]] = {}
        for job_id, due_at in due:
            groups.setdefault(cover(now - due_at), []).append(job_id)
        marked = {
            job_id
            for length, ids in groups.items()
            for job_id in mark_sent(session, ids, now, cover=length)
        }
        return [job_id for job_id, _ in due if job_id in marked]


def cover(waited: timedelta) -> timedelta:
    """How long a message for a row due `waited` ago is trusted: `SEND_COVER`, doubled as often
    as it fits into the wait (at most `COVER_DOUBLINGS` times), so a row waiting for an hour is
    re-sent about six times, not sixty."""
    length = SEND_COVER
    for _ in range(COVER_DOUBLINGS):
        if waited < length * 2:
            break
        length *= 2
    return length


def _unsent(now: datetime) -> tuple[Any, ...]:
    """Due, not ended, and covered by neither a live lease nor a recent message."""
    return (
        Job.due_at <= now,
        or_(Job.state == JobState.PENDING, Job.state == JobState.LEASED),
        or_(Job.lease_until.is_(None), Job.lease_until < now),
    )


def mark_sent(
    session: Session, ids: list[int], now: datetime, *, cover: timedelta = SEND_COVER
) -> list[int]:
    """Cover `ids` by a message about to be sent, for `cover`; the ones still unsent, that is. A
    worker may have claimed one since it was read (SQLite reads outside the write transaction),
    and its fresh lease must not be turned back into a pending row that a second worker would
    run."""
    if not ids:
        return []
    marked = session.execute(
        update(Job)
        .where(Job.id.in_(ids), *_unsent(now))
        .values(state=JobState.PENDING, lease_until=now + cover)
        .returning(Job.id)
    ).scalars()
    return sorted(marked, key=ids.index)


def list_dead(engine: Engine, client: str | None = None) -> list[Job]:
    with sessions(engine)() as session:
        query = select(Job).where(Job.state == JobState.DEAD).order_by(Job.updated.desc())
        if client is not None:
            query = query.where(Job.client == client)
        return list(session.execute(query).scalars())


def live_key(kind: JobKind, client: str, target: str) -> str:
    """The dedupe key of the one live row of a `LATEST_WINS` kind for a target."""
    return f"{kind}:{client}:{target}"


@dataclass(frozen=True)
class Replayed:
    """What a replay did: the dead letter made pending again (None when a live row of its
    target already carries newer work) and the older dead letters of its target set aside."""

    queued: int | None
    set_aside: tuple[int, ...] = ()


def replay(engine: Engine, job_id: int, *, clock: Clock = SYSTEM) -> bool:
    """Replay a dead letter (`replay_job`); False if it is not dead."""
    return replay_job(engine, job_id, clock=clock) is not None


def replay_job(engine: Engine, job_id: int, *, clock: Clock = SYSTEM) -> Replayed | None:
    """Make a dead letter pending again with fresh attempts; None if it is not dead.

    A dead push replays its target: the newest dead push there is the one made pending (any of
    them may be named: the older statuses are not worth writing), it takes the target's live
    key back, and the others are set aside. When a push of that target is live already, it
    carries a newer status than any of them: they are all set aside, none is queued.
    """
    now = clock.now()
    with sessions(engine).begin() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.DEAD:
            return None
        if job.kind not in LATEST_WINS or job.target is None:
            _revive(session, job.id, now)
            return Replayed(job.id)
        kind = JobKind(job.kind)
        dead = _dead_at(job.client, kind, job.target)
        ids = list(session.execute(dead.order_by(Job.id.desc()).with_for_update()).scalars())
        key = live_key(kind, job.client, job.target)
        queued = ids[0] if _revive(session, ids[0], now, dedupe=key) else None
        aside = tuple(i for i in ids if i != queued)
        _set_aside(session, aside, now)
        return Replayed(queued, aside)


def _revive(session: Session, job_id: int, now: datetime, *, dedupe: str | None = None) -> bool:
    """Make a dead row pending, due now; with `dedupe`, only if no live row holds that key,
    and the row takes it (False when another holds it)."""
    values: dict[str, Any] = {
        "state": JobState.PENDING,
        "attempts": 0,
        "due_at": now,
        "lease_until": None,
        "updated": now,
    }
    if dedupe is not None:
        if live_id(session, dedupe) is not None:
            return False
        values["dedupe"] = dedupe
    try:
        with session.begin_nested():
            session.execute(update(Job).where(Job.id == job_id).values(**values))
    except IntegrityError:  # a concurrent writer queued a row with that key first
        return False
    return True


def _dead_at(client: str, kind: str, target: str | None, *, before: int | None = None) -> Any:
    """The ids of a client's dead letters of one kind at one target (older than `before`)."""
    query = select(Job.id).where(
        Job.client == client,
        Job.kind == kind,
        Job.target.is_(None) if target is None else Job.target == target,
        Job.state == JobState.DEAD,
    )
    return query if before is None else query.where(Job.id < before)


def _set_aside(session: Session, ids: Any, now: datetime) -> None:
    """Mark dead rows superseded: a newer row of their target is queued, or has landed."""
    session.execute(
        update(Job)
        .where(Job.id.in_(ids), Job.state == JobState.DEAD)
        .values(state=JobState.SUPERSEDED, updated=now)
        .execution_options(synchronize_session=False)
    )


def replay_all(engine: Engine, client: str | None = None) -> list[Replayed]:
    """Replay every dead letter (of `client`): a target's dead pushes once, by the newest."""
    done = []
    for job in list_dead(engine, client):
        replayed = replay_job(engine, job.id)
        if replayed is not None:  # None: set aside with a newer one of its target
            done.append(replayed)
    return done


def failures(
    engine: Engine, client: str | None = None, *, limit: int | None = None
) -> list[Failure]:
    """Dead letters as the problems they are, the latest first: every dead push to one target
    is one failure (how many, the first and the latest, the latest error, and the newest, which
    a replay sends again); any other dead letter is one by itself."""
    by_target = case((Job.kind.in_(LATEST_WINS), literal(0)), else_=Job.id)
    newest = func.max(Job.id)
    query = (
        select(Job.client, Job.kind, Job.target, func.count(), func.min(Job.updated))
        .add_columns(func.max(Job.updated), newest)
        .where(Job.state == JobState.DEAD)
        .group_by(Job.client, Job.kind, Job.target, by_target)
        .order_by(func.max(Job.updated).desc(), newest.desc())
    )
    if client is not None:
        query = query.where(Job.client == client)
    if limit is not None:
        query = query.limit(limit)
    with sessions(engine)() as session:
        rows = session.execute(query).all()
        errors = _errors(session, [row[-1] for row in rows])
    return [
        Failure(
            kind=kind,
            client=owner,
            target=target,
            failed=int(count),
            message=redact.text(errors.get(job_id) or f"{kind} job failed"),
            first_at=first,
            last_at=last,
            job_id=job_id,
        )
        for owner, kind, target, count, first, last, job_id in rows
    ]


def _errors(session: Session, ids: list[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Job.id, Job.last_error).where(Job.id.in_(ids[start : start + CHUNK]))
        )
        found.update((job_id, error) for job_id, error in rows)
    return found


def pending(engine: Engine, client: str, *, kind: JobKind | None = None) -> list[Job]:
    """A client's pending rows (of one kind), oldest first."""
    with sessions(engine)() as session:
        query = select(Job).where(Job.client == client, Job.state == JobState.PENDING)
        if kind is not None:
            query = query.where(Job.kind == kind)
        return list(session.execute(query.order_by(Job.id)).scalars())


def get(engine: Engine, job_id: int) -> Job | None:
    """One row as it is now (state, target, last error), or None."""
    with sessions(engine)() as session:
        return session.get(Job, job_id)


def release_leases(session: Session) -> int:
    """Drop every live row's lease and message cover (the embedded broker's sole worker has
    restarted: they belong to a dead process); how many rows."""
    result = session.execute(
        update(Job)
        .where(Job.state.in_((JobState.LEASED, JobState.PENDING)))
        .values(lease_until=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def kinds(engine: Engine, ids: list[int]) -> dict[int, JobKind]:
    """The kind of each of these rows, by id."""
    with sessions(engine)() as session:
        rows = session.query(Job.id, Job.kind).filter(Job.id.in_(ids)).all()
    return {job_id: JobKind(kind) for job_id, kind in rows}


def owner(engine: Engine, job_id: int) -> str | None:
    """The client a row belongs to; None when there is no such row."""
    with sessions(engine)() as session:
        return session.execute(select(Job.client).where(Job.id == job_id)).scalar_one_or_none()


def dead_work(session: Session, client: str, *, kind: JobKind, target: str) -> list[Work]:
    """The work of a client's dead letters of one kind for one target (a row whose payload
    does not read as its kind's is left out)."""
    payloads = session.execute(
        select(Job.payload).where(
            Job.client == client, Job.kind == kind, Job.target == target, Job.state == JobState.DEAD
        )
    ).scalars()
    found = []
    for payload in payloads:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            found.append(work_of(kind, payload))
    return found


def depth(engine: Engine) -> list[tuple[str, str, int]]:
    """How many rows there are of each kind and state: (kind, state, count)."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
        )
        return [(kind, state, int(n)) for kind, state, n in rows]


def dead_by_client(engine: Engine) -> list[tuple[str, int]]:
    """How many dead letters each client has (clients with none are not listed)."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Job.client, func.count()).where(Job.state == JobState.DEAD).group_by(Job.client)
        )
        return [(client, int(n)) for client, n in rows]


def live_id(session: Session, dedupe: str) -> int | None:
    """The id of the row holding a dedupe key (a row lets its key go when it ends, but a
    webhook's)."""
    found = session.execute(select(Job.id).where(Job.dedupe == dedupe)).scalar()
    return int(found) if found is not None else None
