"""Build a client's consolidated status for a status date.

`build_status` is pure: client info, the current and previous snapshots (typed, as
`StatusSnapshot.from_dict` reads them), the client's items and its sync health in, a `Status`
out. The caller reads them from the store (`syncd.status.load_status`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from syncd import schedule
from syncd.connectors.registry import kind_of
from syncd.mapping.config import AcceptanceConfig, Registers, Thresholds
from syncd.model import Health, StatusCategory, WorkItem
from syncd.plan import quality
from syncd.plan.rag import RagStatus
from syncd.plan.result import Reconciliation
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports import registers
from syncd.reports import snapshot as snap
from syncd.reports.model import (
    Change,
    ClientInfo,
    CurvePoint,
    Figures,
    ItemRef,
    Milestone,
    SourceInfo,
    SourceProgress,
    Status,
    TaskRow,
    Unplanned,
)

Section = TypeVar("Section", Registers, AcceptanceConfig, Thresholds)
DEFAULT_WINDOW = timedelta(days=7)  # "completed since" when there is no previous report


def build_status(
    client: ClientInfo,
    current: StatusSnapshot,
    previous: StatusSnapshot | None,
    items: Sequence[WorkItem],
    health: Health,
    *,
    history: Sequence[StatusSnapshot | CurvePoint] = (),
) -> Status:
    """The consolidated status of `client` from its snapshot of the status date.

    `previous` is the snapshot of the report before (for "completed since"); `history` is every
    snapshot up to this one, oldest first, for the S-curve: the snapshots or their points.
    """
    rec, as_of = current.reconciliation, current.as_of
    rows = snap.tasks(rec)
    doubts = rec.warnings
    figures = snap.figures(rec)
    if quality.withheld(doubts, "cpi"):
        figures = replace(figures, cpi=None)  # too little AC logged for CPI to mean anything
    forecast = snap.forecast(rec)
    milestones = snap.milestones(rec, rows)
    zone = ZoneInfo(client.timezone)
    live = [i for i in items if not i.deleted and not i.archived]
    linked = snap.links(rec)
    refs = tuple(
        sorted(
            (item_ref(i, zone, task=linked.get(i.ident, i.plan_task)) for i in live),
            key=lambda r: (r.source, natural(r.key)),
        )
    )
    rag = rec.rag
    entries = registers.register(live, refs, client.registers, as_of)
    return Status(
        client=client,
        as_of=as_of,
        baseline_version=current.baseline_version,
        baseline_label=current.baseline_label,
        rag=rag,
        headline=headline(rag, figures, milestones, spi_note=quality.notes(doubts, "spi")),
        figures=figures,
        forecast=forecast,
        milestones=milestones,
        tasks=rows,
        critical_path=rec.critical_path,
        baseline_critical_path=rec.baseline_critical_path,
        unplanned=unplanned(rec, refs, linked=bool(linked)),
        sources=source_progress(client, live, health),
        problems=health.problems,
        risks=registers.open_risks(entries),
        change=change(previous, rows, figures, refs, as_of=as_of),
        curve=curve(history, current),
        items=refs,
        warnings=doubts,
        register=entries,
        acceptance=registers.acceptance(milestones, refs, client.acceptance),
    )


def client_info(client: Any, *, public_url: str = "") -> ClientInfo:
    """ClientInfo of a loaded `syncd.clients.Client` (typed loosely: reports know no loader).

    The dashboard link is the client's `dashboard_url`, else ``{public_url}/clients/{id}``.
    """
    config = client.config
    sources = tuple(
        SourceInfo(id=c.id, kind=c.kind, url=kind_of(c).site_url(c)) for c in config.connectors
    )
    return ClientInfo(
        id=client.id,
        name=config.name,
        timezone=config.timezone,
        sources=sources,
        poll_minutes=config.poll_minutes,
        cron=config.cron,
        dashboard_url=config.dashboard_url or _page(public_url, client.id),
        registers=_section(Registers, config.mapping.get("registers")),
        acceptance=_section(AcceptanceConfig, config.mapping.get("acceptance")),
        thresholds=_section(Thresholds, config.mapping.get("thresholds")),
        owner=config.owner,
        tags=tuple(config.tags),
    )


def _section(model: type[Section], raw: Any) -> Section:
    """A mapping section of a client file (its defaults when it is invalid: `syncd check`
    reports that, and the report still shows what the defaults give)."""
    try:
        return model.model_validate(raw or {})
    except ValueError:
        return model()


def _page(public_url: str, client_id: str) -> str:
    return f"{public_url.rstrip('/')}/clients/{client_id}" if public_url else ""


@functools.lru_cache(maxsize=1 << 16)
def natural(key: str) -> tuple[tuple[int, str], ...]:
    """A sort key that puts ACME-2 before ACME-10 (kept: every status sorts the same keys)."""
    parts = _DIGITS.split(key)
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts if p)


_DIGITS = re.compile(r"(\d+)")


def safe_url(url: str) -> str:
    """The URL when it is http(s); empty otherwise (a `javascript:` link never reaches a page)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def _local_day(value: datetime | None, zone: ZoneInfo) -> date | None:
    return None if value is None else value.astimezone(zone).date()


def item_ref(item: WorkItem, zone: ZoneInfo, *, task: str | None = None) -> ItemRef:
    """How a report shows one tracker item."""
    return ItemRef(
        source=item.source,
        key=item.key,
        title=item.title,
        url=safe_url(item.url),
        type=item.type,
        status=item.status,
        category=item.category.value,
        assignee=item.assignee,
        due=_local_day(item.due, zone),
        resolved=_local_day(item.actual_finish, zone),
        story_points=item.story_points,
        estimate_hours=item.estimate_hours,
        plan_task=task,
        labels=item.labels,
    )


def headline(
    rag: RagStatus, figures: Figures, milestones: Sequence[Milestone], *, spi_note: str = ""
) -> str:
    """One line: ``Amber: SPI 0.91, Go-live +3 working days``; ``SPI 0.50 (points missing)``
    when a data warning doubts SPI."""
    parts = [f"SPI {figures.spi:.2f}" if figures.spi is not None else "SPI n/a"]
    if spi_note:
        parts[0] += f" ({spi_note})"
    late = [m for m in milestones if not m.done and m.slip_days > 0]
    if late:
        worst = max(late, key=lambda m: m.slip_days)
        parts.append(f"{worst.name} {_days(worst.slip_days)} working days")
    elif any(not m.done for m in milestones):
        parts.append("milestones on track")
    return f"{rag.level.value.capitalize()}: {', '.join(parts)}"


def _days(value: float) -> str:
    return f"{value:+.0f}" if abs(value - round(value)) < 0.05 else f"{value:+.1f}"


def unplanned(rec: Reconciliation, refs: Sequence[ItemRef], *, linked: bool) -> Unplanned:
    """Items reconcile linked to no plan task: scope growth, never silently dropped."""
    keys = set(rec.unplanned.keys)
    if linked or not keys:
        chosen = [r for r in refs if r.plan_task is None]
    else:
        chosen = [r for r in refs if r.key in keys]
    planned = len(refs) - len(chosen)
    return Unplanned(
        items=tuple(chosen),
        count=len(chosen),
        points=sum(r.story_points or 0.0 for r in chosen),
        hours=sum(r.estimate_hours or 0.0 for r in chosen),
        growth=len(chosen) / planned if planned else None,
    )


def source_progress(
    client: ClientInfo, items: Sequence[WorkItem], health: Health
) -> tuple[SourceProgress, ...]:
    """Items per connector by category, with the last successful pull and whether it is stale."""
    kinds = {s.id: s.kind for s in client.sources}
    pulls = dict(health.pulls)
    names = list(dict.fromkeys([*kinds, *pulls, *sorted({i.source for i in items})]))
    stale_before = schedule.stale_before(
        cron=client.cron,
        poll_minutes=client.poll_minutes,
        timezone=client.timezone,
        now=health.checked_at,
    )
    out = []
    for name in names:
        mine = [i for i in items if i.source == name]
        last = pulls.get(name)
        out.append(
            SourceProgress(
                source=name,
                kind=kinds.get(name, ""),
                total=len(mine),
                done=sum(i.category is StatusCategory.DONE for i in mine),
                in_progress=sum(i.category is StatusCategory.IN_PROGRESS for i in mine),
                todo=sum(i.category is StatusCategory.TODO for i in mine),
                last_success=last,
                stale=last is None or last < stale_before,
            )
        )
    return tuple(out)


def change(
    previous: StatusSnapshot | None,
    rows: Sequence[TaskRow],
    figures: Figures,
    refs: Sequence[ItemRef],
    *,
    as_of: date,
) -> Change:
    """What was completed since the previous report, and how the figures moved."""
    prev_as_of = previous.as_of if previous else None
    since = prev_as_of or as_of - DEFAULT_WINDOW
    items_done = tuple(
        r for r in refs if r.category == "done" and r.resolved and since < r.resolved <= as_of
    )
    if previous is None:
        return Change(since=since, items_completed=items_done)
    prev_rec = previous.reconciliation
    before = {r.key: r for r in snap.tasks(prev_rec)}
    tasks_done = tuple(r for r in rows if r.done and not (r.key in before and before[r.key].done))
    prev_fig = snap.figures(prev_rec)
    return Change(
        since=since,
        previous_as_of=prev_as_of,
        tasks_completed=tasks_done,
        items_completed=items_done,
        ev_delta=figures.ev - prev_fig.ev,
        pv_delta=figures.pv - prev_fig.pv,
        spi_delta=None
        if figures.spi is None or prev_fig.spi is None
        else figures.spi - prev_fig.spi,
        previous_rag=prev_rec.rag.level,
    )


def curve(
    history: Sequence[StatusSnapshot | CurvePoint], current: StatusSnapshot
) -> tuple[CurvePoint, ...]:
    """The S-curve: one point per stored status date up to the current one (whose own point
    wins its date); `history` gives the earlier ones as snapshots or as their points."""
    points = {
        p.as_of: p
        for p in (h if isinstance(h, CurvePoint) else snap.curve_point(h) for h in history)
    }
    points[current.as_of] = snap.curve_point(current)
    return tuple(points[d] for d in sorted(points) if d <= current.as_of)
