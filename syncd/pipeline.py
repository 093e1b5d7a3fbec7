"""Where store, plan, mapping and reports meet: import a plan, reconcile a client into a
snapshot and its outbox, push one queued status to one target.

The snapshot and the push rows it decides are written in one transaction, so a crash leaves
either both or neither. A target whose last pushed digest equals the new one gets no row.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd import metrics, store
from syncd.clients import Client
from syncd.clock import SYSTEM, Clock
from syncd.connectors.registry import kind_of
from syncd.errors import ConfigError
from syncd.model import BodyFormat, StatusPush, WorkItem
from syncd.plan import Baseline, load_plan
from syncd.plan.codec import dump
from syncd.plan.quality import DataWarning
from syncd.plan.reconcile import reconcile
from syncd.plan.recorded import Recorded, read_recorded, uses_recorded
from syncd.plan.result import Reconciliation
from syncd.plan.snapshot import StatusSnapshot
from syncd.store import jobs
from syncd.store import snapshots as stored
from syncd.store.base import digest
from syncd.store.baselines import load_baseline, newest_version, save_baseline
from syncd.store.health import SyncState, sync_state
from syncd.store.items import item_hashes, link_items, load_items
from syncd.store.problems import record_error
from syncd.store.pushes import known_remote, pushed_digest, record_push
from syncd.store.work import JobKind, PushJob

if TYPE_CHECKING:
    from syncd.reports.model import Status

log = logging.getLogger(__name__)


def import_plan(
    engine: Engine, client: Client, file: Path | None = None, *, baseline: int | None = None
) -> tuple[int, bool, Baseline]:
    """Read a plan file (default: the client's `[plan]`) and store it as a baseline version.

    The returned plan carries the stored version and label (`stored_as`), whatever the file
    called its own version, so every later print of it names the version the store holds.
    """
    path = file or client.plan_path
    if path is None:
        raise ConfigError(f"{client.path.name} › plan.file: no plan configured; give a file")
    configured = client.config.plan.baseline if client.config.plan else None
    number = baseline if baseline is not None else configured
    fmt = client.config.plan.format if client.config.plan and file is None else None
    plan = load_plan(path, baseline_number=number, fmt=fmt)
    label = plan.label or f"{Path(path).name} ({plan.format or Path(path).suffix})"
    version, created = save_baseline(
        engine, client.id, plan.to_dict(), label=label, source_file=str(path)
    )
    row = load_baseline(engine, client.id, version)
    return version, created, stored_as(plan, version, row.label if row else label)


def stored_as(plan: Baseline, version: int, label: str) -> Baseline:
    """`plan` named as the store names it: version `version` (its number as text), `label`."""
    return replace(plan, version=str(version), label=label)


def current_baseline(engine: Engine, client: Client) -> tuple[int, Baseline]:
    """The newest stored baseline, named by its stored version and label; the client's plan
    file is imported when none is stored."""
    row = load_baseline(engine, client.id)
    if row is None:
        version, _, plan = import_plan(engine, client)
        return version, plan
    return row.version, stored_as(Baseline.from_dict(row.data), row.version, row.label)


def today(client: Client, *, clock: Clock = SYSTEM) -> date:
    """The date it is now (by `clock`) in the client's time zone."""
    return clock.now().astimezone(ZoneInfo(client.config.timezone)).date()


def recorded_progress(client: Client) -> Recorded | None:
    """The progress the client's plan file records now, when a task is measured by it
    (technique ``plan``); None otherwise."""
    path, ref = client.plan_path, client.config.plan
    if path is None or ref is None or not uses_recorded(client.mapping):
        return None
    return read_recorded(path, baseline_number=ref.baseline, fmt=ref.format)


def reconcile_client(
    engine: Engine,
    client: Client,
    *,
    as_of: date | None = None,
    clock: Clock = SYSTEM,
    sync: SyncState | None = None,
) -> tuple[Reconciliation, StatusSnapshot, list[WorkItem]]:
    """Reconcile the stored items against the current baseline, as of `as_of` (else today on
    `clock`), with the store's view of the sync (`sync`, read when not given); nothing is
    written."""
    version, plan = current_baseline(engine, client)
    items = load_items(engine, client.id)
    recorded = recorded_progress(client)
    try:
        rec = reconcile(
            plan,
            items,
            as_of=as_of or today(client, clock=clock),
            config=client.mapping,
            zone=ZoneInfo(client.config.timezone),
            recorded=recorded,
        )
    except ConfigError as exc:  # a task reference in the client file names two tasks
        raise ConfigError([f"{client.path.name} › {p}" for p in exc.problems]) from None
    found = sync_warnings(engine, client, items, sync=sync)
    rec = replace(rec, warnings=(*rec.warnings, *found))
    snapshot = StatusSnapshot(rec, baseline_version=version, baseline_label=plan.label)
    return rec, snapshot, with_links(items, rec)


def with_links(items: list[WorkItem], rec: Reconciliation) -> list[WorkItem]:
    """The items with `plan_task` set to the task reconciliation linked each to (None: none)."""
    tasks = {link.item: link.task for link in rec.links}
    return [
        i if tasks.get(i.ident) == i.plan_task else replace(i, plan_task=tasks.get(i.ident))
        for i in items
    ]


def sync_warnings(
    engine: Engine, client: Client, items: list[WorkItem], *, sync: SyncState | None = None
) -> list[DataWarning]:
    """What the store says about the data behind a reconciliation (`sync`, read when not
    given): quarantined items, failed or stale pulls (stored with the snapshot, so every
    rendering shows them)."""
    from syncd.reports.build import client_info
    from syncd.reports.freshness import sync_warnings as warnings_of

    state = sync or sync_state(engine, client.id)
    return warnings_of(client_info(client), items, state.health, state.quarantine)


def status_push(
    engine: Engine,
    client: Client,
    snapshot: StatusSnapshot,
    items: list[WorkItem],
    *,
    public_url: str = "",
) -> StatusPush:
    """The consolidated status for the tools, built by the same report model as the dashboard."""
    from syncd.reports.push import push_bodies

    status, _ = client_status(engine, client, snapshot, items, public_url=public_url)
    return push_bodies(status, dashboard_url=status.client.dashboard_url, formats=formats(client))


def client_status(
    engine: Engine,
    client: Client,
    snapshot: StatusSnapshot,
    items: list[WorkItem],
    *,
    public_url: str = "",
    sync: SyncState | None = None,
) -> tuple[Status, StatusSnapshot | None]:
    """The report model of a snapshot not yet stored, and the snapshot before it."""
    from syncd.reports.build import build_status, client_info
    from syncd.status import curve_points, recent
    from syncd.store.health import health

    before = snapshot.as_of - timedelta(days=1)
    found = recent(engine, client.id, before)
    previous = found[-1] if found else None
    history = curve_points(engine, client.id, before)  # all the S-curve reads of each
    info = client_info(client, public_url=public_url)
    state = sync.health if sync is not None else health(engine, client.id)
    status = build_status(info, snapshot, previous, items, state, history=history)
    return status, previous


def formats(client: Client) -> list[BodyFormat]:
    """The status body formats the client's connectors take."""
    return sorted({kind_of(conn).body(conn) for conn in client.config.connectors})


def targets(client: Client, items: list[WorkItem]) -> list[tuple[str, str]]:
    """(connector id, target) pairs: status issues, linked epics when asked, status cards."""
    return [
        (conn.id, target)
        for conn in client.config.connectors
        for target in kind_of(conn).targets(conn, items)
    ]


def reconcile_and_queue(
    engine: Engine,
    client: Client,
    *,
    as_of: date | None = None,
    public_url: str = "",
    inputs: str | None = None,
    sync: SyncState | None = None,
) -> list[tuple[JobKind, int]]:
    """Reconcile, then store the snapshot and the pushes it decides (`store_and_queue`);
    `inputs` is the digest of what it reads (`reconcile_inputs`), kept with the snapshot. The
    store's view of the sync (`sync`) is read once for both."""
    state = sync or sync_state(engine, client.id)
    rec, snapshot, items = reconcile_client(engine, client, as_of=as_of, sync=state)
    return store_and_queue(
        engine, client, rec, snapshot, items, public_url=public_url, inputs=inputs, sync=state
    )


def reconcile_if_changed(
    engine: Engine, client: Client, *, public_url: str = "", clock: Clock = SYSTEM
) -> list[tuple[JobKind, int]] | None:
    """The reconcile actor's work: `reconcile_and_queue` as of today, unless the last reconcile
    of today read exactly what this one would (`reconcile_inputs`) and every push it decided is
    written (or died with that very status). Its snapshot is then the one this would store, by
    construction, and it queues nothing: None, and nothing is done.

    Every pull asks for a reconcile, and most pulls find nothing new: a full reconcile per
    unchanged pull was most of what an unchanged cycle cost (bench/scale.py)."""
    day = today(client, clock=clock)
    sync = sync_state(engine, client.id)
    inputs = reconcile_inputs(engine, client, day, public_url=public_url, sync=sync)
    if inputs is None and newest_version(engine, client.id) is None:
        import_plan(engine, client)  # what the reconcile would do first; then its inputs count
        inputs = reconcile_inputs(engine, client, day, public_url=public_url, sync=sync)
    if inputs is not None and _settled(engine, client, day, inputs):
        metrics.RECONCILES.labels(client.id, "unchanged").inc()
        log.debug("%s: nothing changed since its reconcile of %s", client.id, day)
        return None
    queued = reconcile_and_queue(
        engine, client, as_of=day, public_url=public_url, inputs=inputs, sync=sync
    )
    metrics.RECONCILES.labels(client.id, "stored").inc()
    return queued


def reconcile_inputs(
    engine: Engine,
    client: Client,
    day: date,
    *,
    public_url: str = "",
    sync: SyncState | None = None,
) -> str | None:
    """A digest of everything a reconcile of `day` reads: syncd's own code, the client file,
    the public URL (the dashboard link), the status date, the newest baseline, the plan file's
    bytes, each item's content hash, the sync warnings its health gives now (failed and stale
    pulls, quarantine) and the earlier snapshots. None when there is no baseline yet (the
    reconcile imports the plan file) or the plan file cannot be located."""
    baseline = newest_version(engine, client.id)
    if baseline is None:
        return None
    try:
        plan = _file_digest(client.plan_path)
    except ConfigError:
        return None
    with store.sessions(engine)() as session:
        items = item_hashes(session, client.id)
        earlier = stored.earlier(session, client.id, day)
    # The warnings read only which connectors hold items: one stand-in item for each.
    holders = sorted({source for source, _, _ in items})
    stand_ins = [WorkItem(source=s, external_id="", key="", title="") for s in holders]
    warnings = [dump(w) for w in sync_warnings(engine, client, stand_ins, sync=sync)]
    return digest(
        {
            "code": _code_digest(),
            "client": [client.id, client.config.model_dump(mode="json")],
            "public_url": public_url,
            "day": day.isoformat(),
            "baseline": baseline,
            "plan": plan,
            "items": items,
            "warnings": warnings,
            "earlier": earlier,
        }
    )


def _file_digest(path: Path | None) -> str:
    """The SHA-256 of a file's bytes; empty when there is no such file."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else ""
    except OSError:
        return ""


@cache
def _code_digest() -> str:
    """A digest of syncd's own modules, once per process: a syncd that computes differently
    reconciles again, whatever its version says."""
    root = Path(__file__).parent
    found = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        found.update(path.relative_to(root).as_posix().encode())
        found.update(path.read_bytes())
    return found.hexdigest()


def _settled(engine: Engine, client: Client, day: date, inputs: str) -> bool:
    """Whether the snapshot of `day` was stored from `inputs`, and each target it decided holds
    its status (or a dead letter does): a reconcile now would store and queue nothing new."""
    with store.sessions(engine)() as session:
        done = stored.outcome(session, client.id, day)
        if done is None or done.get("inputs") != inputs:
            return False
        status = str(done.get("push") or "")
        return all(
            pushed_digest(session, client.id, source, target) == status
            or _dead_with(session, client.id, f"{source}:{target}", status)
            for source, target in done.get("targets") or []
        )


def store_and_queue(
    engine: Engine,
    client: Client,
    rec: Reconciliation,
    snapshot: StatusSnapshot,
    items: list[WorkItem],
    *,
    public_url: str = "",
    inputs: str | None = None,
    sync: SyncState | None = None,
) -> list[tuple[JobKind, int]]:
    """Store a reconciliation's snapshot, the plan task of each item it linked and, in the same
    transaction, a push row per changed target and a delivery per communication trigger that
    fired. With `inputs` (what the reconcile read), the snapshot keeps them beside the push
    digest and targets it decided, for `reconcile_if_changed`."""
    from syncd.comms.due import queue_triggered
    from syncd.reports.push import push_bodies

    status, previous = client_status(
        engine, client, snapshot, items, public_url=public_url, sync=sync
    )
    push = push_bodies(status, dashboard_url=status.client.dashboard_url, formats=formats(client))
    pairs = targets(client, items)
    outcome = None
    if inputs is not None:
        outcome = {"inputs": inputs, "push": push.digest, "targets": [list(p) for p in pairs]}
    queued: list[tuple[JobKind, int]] = []
    with store.sessions(engine).begin() as session:
        save_snapshot(session, client.id, snapshot, outcome=outcome)
        link_items(session, client.id, {link.item: link.task for link in rec.links})
        for source, target in pairs:
            if pushed_digest(session, client.id, source, target) == push.digest:
                continue
            if _dead_with(session, client.id, f"{source}:{target}", push.digest):
                continue  # this very status already failed for good; replay it from the DLQ
            job = jobs.enqueue(
                session,
                PushJob(source=source, target=target, status=push),
                client.id,
                target=f"{source}:{target}",
                dedupe=jobs.live_key(JobKind.PUSH, client.id, f"{source}:{target}"),
            )
            if job is not None:
                session.flush()
                queued.append((JobKind.PUSH, job.id))
        if client.config.communication:
            queued += queue_triggered(session, client, status, previous)
    return queued


def save_snapshot(
    session: Session,
    client: str,
    snapshot: StatusSnapshot,
    *,
    outcome: dict[str, Any] | None = None,
) -> None:
    """Store (or replace) `snapshot` as the client's for its status date, in its schema, with
    the `outcome` of the reconcile that made it."""
    if snapshot.baseline_version is None:
        raise ValueError("a snapshot is stored with the baseline version it was measured against")
    stored.save_snapshot(
        session,
        client,
        snapshot.as_of,
        baseline_version=snapshot.baseline_version,
        data=snapshot.to_dict(),
        outcome=outcome,
    )


def _dead_with(session: Session, client: str, target: str, digest: str) -> bool:
    """Whether a dead letter already holds this exact status for this target."""
    dead = jobs.dead_work(session, client, kind=JobKind.PUSH, target=target)
    return any(isinstance(work, PushJob) and work.status.digest == digest for work in dead)


async def push_target(engine: Engine, client: Client, push: PushJob) -> None:
    """Write one queued status to one target and remember what was written where."""
    from syncd.sync import build_connector

    source, target, status = push.source, push.target, push.status
    known = known_remote(engine, client.id, source, target)
    connector = build_connector(client, source, engine=engine)
    try:
        outcome = await connector.push(status, target=target, known=known)
    finally:
        await connector.aclose()
    record_push(engine, client.id, source, target, remote=outcome.remote, digest=status.digest)
    metrics.PUSHES.labels(client.id, f"{source}:{target}", "ok").inc()
    metrics.PUSH_WRITES.labels(client.id, source).inc(outcome.writes)
    for warning in outcome.warnings:
        record_error(engine, client.id, kind="warning", message=warning, source=source)
    log.info("pushed %s to %s/%s: %d write(s)", client.id, source, target, outcome.writes)
