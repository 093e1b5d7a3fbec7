"""Red / amber / green from a client's thresholds, always with the reason in words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from syncd.mapping.config import Thresholds


class Rag(StrEnum):
    """Status colour; order is severity."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


_ORDER = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}


@dataclass(frozen=True, slots=True)
class RagStatus:
    """A colour and why; a green status has no reasons."""

    level: Rag = Rag.GREEN
    reasons: tuple[str, ...] = ()


def worst(statuses: Iterable[RagStatus]) -> RagStatus:
    """The most severe level, with the reasons of every status at that level."""
    found = list(statuses)
    level = max((s.level for s in found), key=_ORDER.__getitem__, default=Rag.GREEN)
    reasons = tuple(r for s in found if s.level is level for r in s.reasons)
    return RagStatus(level, reasons if level is not Rag.GREEN else ())


def index_rag(name: str, value: float | None, amber: float, red: float) -> RagStatus:
    """An index (SPI, CPI, SPI(t)) below amber is amber, below red is red."""
    if value is None or value >= amber:
        return RagStatus()
    level = Rag.RED if value < red else Rag.AMBER
    limit = red if level is Rag.RED else amber
    return RagStatus(level, (f"{name} {value:.2f} < {limit:.2f}",))


def slip_rag(what: str, slip: float, t: Thresholds, driven_by: Sequence[str] = ()) -> RagStatus:
    """A forecast slip in working days against the slip thresholds."""
    if slip < t.slip_days_amber:
        return RagStatus()
    level = Rag.RED if slip >= t.slip_days_red else Rag.AMBER
    reason = f"{what} forecast +{_days(slip)} working days"
    if driven_by:
        reason += f", driven by {' → '.join(driven_by)}"
    return RagStatus(level, (reason,))


def growth_rag(growth: float | None, t: Thresholds) -> RagStatus:
    """Unplanned work as a share of planned items."""
    if growth is None or growth < t.scope_growth_amber:
        return RagStatus()
    level = Rag.RED if growth >= t.scope_growth_red else Rag.AMBER
    return RagStatus(level, (f"Unplanned work {growth:.0%} of planned items (scope growth)",))


def performance_rag(spi: float | None, cpi: float | None, t: Thresholds) -> list[RagStatus]:
    return [
        index_rag("SPI", spi, t.spi_amber, t.spi_red),
        index_rag("CPI", cpi, t.cpi_amber, t.cpi_red),
    ]


def _days(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
