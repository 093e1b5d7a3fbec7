"""One line per client for the overview: RAG, SPI and its trend, the next milestone.

Read from stored snapshots alone (no items), so the overview of many clients stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from syncd.plan import quality
from syncd.plan.quality import DataWarning
from syncd.reports import snapshot as snap
from syncd.reports.model import ClientInfo, Milestone, RagColour

Trend = Literal["up", "down", "flat", "new", "none"]
TREND_POINTS = 6
FLAT = 0.01


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """A client at a glance, from its newest snapshot."""

    id: str
    name: str
    as_of: date | None
    rag: RagColour | None
    headline: str
    spi: float | None
    spi_t: float | None
    percent_complete: float | None
    trend: Trend
    spi_history: tuple[float | None, ...]
    next_milestone: Milestone | None
    problems: tuple[str, ...] = ()  # configuration problems of the client's file
    warnings: tuple[DataWarning, ...] = ()  # data-quality warnings of the newest snapshot

    @property
    def spi_note(self) -> str:
        """The notes of the warnings that make this client's SPI doubtful."""
        return quality.notes(self.warnings, "spi")


def trend(values: Sequence[float | None]) -> Trend:
    """Whether SPI rose, fell or held since the previous snapshot."""
    known = [v for v in values if v is not None]
    if not known:
        return "none"
    if len(known) == 1:
        return "new"
    delta = known[-1] - known[-2]
    return "flat" if abs(delta) < FLAT else ("up" if delta > 0 else "down")


def summarize(info: ClientInfo, history: Sequence[Mapping[str, Any]]) -> ClientSummary:
    """The overview line of a client from its snapshots, oldest first (none: no status yet)."""
    if not history:
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
        )
    from syncd.reports.build import fallback_rag, headline

    rec = snap.reconciliation(history[-1])
    figures = snap.figures(rec)
    stones = snap.milestones(rec, snap.tasks(rec))
    rag = snap.rag(rec) or fallback_rag(figures, stones)
    doubts = snap.warnings(rec)
    spis = tuple(snap.figures(snap.reconciliation(h)).spi for h in history[-TREND_POINTS:])
    upcoming = sorted((m for m in stones if not m.done), key=lambda m: m.forecast or m.baseline)
    return ClientSummary(
        id=info.id,
        name=info.name,
        as_of=snap.as_of(history[-1]),
        rag=rag.status,
        headline=headline(rag, figures, stones, spi_note=quality.notes(doubts, "spi")),
        spi=figures.spi,
        spi_t=figures.spi_t,
        percent_complete=figures.percent_complete,
        trend=trend(spis),
        spi_history=spis,
        next_milestone=upcoming[0] if upcoming else None,
        problems=info.problems,
        warnings=doubts,
    )
