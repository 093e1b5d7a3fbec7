"""One line per client for the overview, worst first: RAG and the reason in words, SPI and CPI
judged by the client's thresholds, scope growth, the next milestone, the trend since the
previous snapshot, data freshness and sync health; and the portfolio line above them.

Read from stored snapshots alone (no items), so the overview of many clients stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from syncd.mapping.config import Thresholds
from syncd.plan import quality
from syncd.plan.quality import DataWarning
from syncd.plan.rag import Rag
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports import snapshot as snap
from syncd.reports.model import ClientInfo, Milestone

Trend = Literal["up", "down", "flat", "new", "none"]
Judged = Literal["good", "warn", "bad", ""]
TREND_POINTS = 6
FLAT = 0.01
DUE_WITHIN = timedelta(days=14)  # the portfolio counts milestones due this soon
RANK = {Rag.RED: 0, Rag.AMBER: 1, None: 2, Rag.GREEN: 3}  # worst first; no status before green


@dataclass(frozen=True, slots=True)
class FailingTarget:
    """A target whose status pushes failed for good: one problem however often it was tried."""

    target: str  # `connector:target`, as the jobs name it
    failed: int  # its dead pushes

    @property
    def name(self) -> str:
        """The target as the tracker names it (the issue key), without its connector."""
        return self.target.split(":", 1)[-1]


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the store says about a client's sync, for the overview's health badge."""

    oldest_pull: datetime | None = None  # the oldest last successful pull of its connectors
    stale: tuple[str, ...] = ()  # connectors whose last successful pull is too old, or none
    quarantined: int = 0  # open quarantined items
    failed_pulls: int = 0  # open failed pulls
    dead: int = 0  # dead letters (failed pushes or pulls, waiting for a replay)
    dead_pushes: int = 0  # of which pushes: the status never reached the tools
    lapsed: tuple[str, ...] = ()  # connectors whose webhook registration has lapsed
    push_targets: tuple[FailingTarget, ...] = ()  # where those pushes failed, the worst first

    @property
    def badges(self) -> tuple[tuple[str, str], ...]:
        """(short text, what it is) for each kind of trouble; empty when all is well."""
        out = []
        if self.push_targets:
            out.append((failing_pushes(self.push_targets), "dead"))
        if self.dead > self.dead_pushes:
            out.append(
                (_count(self.dead - self.dead_pushes, "dead letter", "dead letters"), "dead")
            )
        if self.failed_pulls:
            out.append((f"{self.failed_pulls} failed pull(s)", "pull"))
        if self.stale:
            out.append((f"stale: {', '.join(self.stale)}", "stale"))
        if self.quarantined:
            out.append((f"{self.quarantined} quarantined", "quarantine"))
        if self.lapsed:
            out.append((f"webhook lapsed: {', '.join(self.lapsed)}", "webhook"))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """A client at a glance, from its newest snapshot."""

    id: str
    name: str
    as_of: date | None
    rag: Rag | None
    headline: str
    spi: float | None
    spi_t: float | None
    percent_complete: float | None
    trend: Trend
    spi_history: tuple[float | None, ...]
    next_milestone: Milestone | None
    problems: tuple[str, ...] = ()  # configuration problems of the client's file
    warnings: tuple[DataWarning, ...] = ()  # data-quality warnings of the newest snapshot
    reason: str = ""  # the headline reason of the colour, in words
    reasons: tuple[str, ...] = ()  # every reason of the colour, worst first
    cpi: float | None = None
    spi_delta: float | None = None  # SPI now minus SPI at the previous snapshot
    growth: float | None = None  # unplanned items / planned items
    unplanned: int = 0  # unplanned items
    due_soon: int = 0  # open milestones forecast within `DUE_WITHIN` of the status date
    thresholds: Thresholds = field(default_factory=Thresholds)
    owner: str = ""
    tags: tuple[str, ...] = ()
    sync: SyncState = field(default_factory=SyncState)

    @property
    def spi_note(self) -> str:
        """The notes of the warnings that make this client's SPI doubtful."""
        return quality.notes(self.warnings, "spi")

    @property
    def cpi_note(self) -> str:
        """The notes of the warnings that make this client's CPI doubtful."""
        return quality.notes(self.warnings, "cpi")

    @property
    def spi_judged(self) -> Judged:
        return judge(self.spi, self.thresholds.spi_amber, self.thresholds.spi_red)

    @property
    def cpi_judged(self) -> Judged:
        return judge(self.cpi, self.thresholds.cpi_amber, self.thresholds.cpi_red)

    @property
    def growth_judged(self) -> Judged:
        t = self.thresholds
        if self.growth is None:
            return ""
        if self.growth >= t.scope_growth_red:
            return "bad"
        return "warn" if self.growth >= t.scope_growth_amber else "good"

    @property
    def slip(self) -> float:
        """The next milestone's slip in working days (0 without one)."""
        return self.next_milestone.slip_days if self.next_milestone else 0.0

    @property
    def rank(self) -> tuple[int, float, str]:
        """Sort key, worst first: red, amber, no status, green; then the larger slip."""
        return (RANK[self.rag], -self.slip, self.name.lower())


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def failing_pushes(targets: Sequence[FailingTarget]) -> str:
    """The badge of failed pushes, by target: a status that cannot reach one issue is one
    problem, however many cycles tried ("Push to INI-99 failing (2 attempts)")."""
    tries = sum(t.failed for t in targets)
    attempts = f" ({tries} attempts)" if tries > 1 else ""
    if len(targets) == 1:
        return f"Push to {targets[0].name} failing{attempts}"
    return f"Pushes to {len(targets)} targets failing{attempts}"


def judge(value: float | None, amber: float, red: float) -> Judged:
    """An index against a client's thresholds: below red is bad, below amber warn."""
    if value is None:
        return ""
    return "bad" if value < red else "warn" if value < amber else "good"


def reason(reasons: Sequence[str], headline: str) -> str:
    """The reason a PMO lead reads first: a late milestone (it says what drives it), else the
    worst reason, else the headline (an on-plan client has no reasons)."""
    late = [r for r in reasons if r.startswith("Milestone") and "driven by" in r]
    text = late[0] if late else reasons[0] if reasons else headline.split(": ", 1)[-1]
    return text.removeprefix("Milestone ").replace(" forecast ", " ")


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The line above the clients: how many of each colour, what is due, unplanned work."""

    clients: int
    red: int
    amber: int
    green: int
    unknown: int
    due_soon: int
    unplanned: int
    troubled: int  # clients with a health badge


def portfolio(rows: Iterable[ClientSummary]) -> Portfolio:
    listed = list(rows)
    return Portfolio(
        clients=len(listed),
        red=sum(r.rag is Rag.RED for r in listed),
        amber=sum(r.rag is Rag.AMBER for r in listed),
        green=sum(r.rag is Rag.GREEN for r in listed),
        unknown=sum(r.rag is None for r in listed),
        due_soon=sum(r.due_soon for r in listed),
        unplanned=sum(r.unplanned for r in listed),
        troubled=sum(bool(r.sync.badges) for r in listed),
    )


def worst_first(rows: Iterable[ClientSummary]) -> list[ClientSummary]:
    return sorted(rows, key=lambda r: r.rank)


def trend(values: Sequence[float | None]) -> Trend:
    """Whether SPI rose, fell or held since the previous snapshot."""
    known = [v for v in values if v is not None]
    if not known:
        return "none"
    if len(known) == 1:
        return "new"
    delta = known[-1] - known[-2]
    return "flat" if abs(delta) < FLAT else ("up" if delta > 0 else "down")


def summarize(
    info: ClientInfo,
    newest: StatusSnapshot | None,
    earlier: Sequence[float | None] = (),
    sync: SyncState | None = None,
) -> ClientSummary:
    """The overview line of a client from its newest snapshot (None: no status yet) and the SPI
    of the snapshots before it, oldest first, for the trend."""
    sync = sync or SyncState()
    if newest is None:
        return ClientSummary(
            info.id,
            info.name,
            None,
            None,
            "Configuration problem" if info.problems else "No status yet",
            None,
            None,
            None,
            "none",
            (),
            None,
            info.problems,
            thresholds=info.thresholds,
            owner=info.owner,
            tags=info.tags,
            sync=sync,
        )
    from syncd.reports.build import headline

    rec = newest.reconciliation
    figures = snap.figures(rec)
    stones = snap.milestones(rec, snap.tasks(rec))
    rag, doubts, day = rec.rag, rec.warnings, newest.as_of
    spis = (*earlier, figures.spi)[-TREND_POINTS:]
    upcoming = sorted((m for m in stones if not m.done), key=lambda m: m.forecast or m.baseline)
    line = headline(rag, figures, stones, spi_note=quality.notes(doubts, "spi"))
    known = [v for v in spis if v is not None]
    return ClientSummary(
        id=info.id,
        name=info.name,
        as_of=day,
        rag=rag.level,
        headline=line,
        spi=figures.spi,
        spi_t=figures.spi_t,
        percent_complete=figures.percent_complete,
        trend=trend(spis),
        spi_history=spis,
        next_milestone=upcoming[0] if upcoming else None,
        problems=info.problems,
        warnings=doubts,
        reason=reason(rag.reasons, line),
        reasons=rag.reasons,
        cpi=figures.cpi,
        spi_delta=known[-1] - known[-2] if len(known) > 1 and len(spis) > 1 else None,
        growth=rec.unplanned.growth_items,
        unplanned=rec.unplanned.items,
        due_soon=sum(1 for m in upcoming if (m.forecast or m.baseline) - day <= DUE_WITHIN),
        thresholds=info.thresholds,
        owner=info.owner,
        tags=info.tags,
        sync=sync,
    )
