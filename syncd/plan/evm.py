"""Earned value: PV, EV, AC and what follows from them (docs/plan-math.md §3.1).

AC comes only from real time tracking; it is never derived from % complete, and EV is never
derived from AC (CPI would be 1 by construction). Ratios whose denominator is zero are None.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

_EPS = 1e-12


def ratio(numerator: float, denominator: float | None) -> float | None:
    """numerator / denominator, or None when the denominator is zero or unknown."""
    if denominator is None or abs(denominator) < _EPS:
        return None
    return numerator / denominator


def planned_fraction(start: float, finish: float, at: float) -> float:
    """Share of a task's budget planned by `at` (linear over working time; zero-length: a step)."""
    if finish <= start:
        return 1.0 if at >= finish else 0.0
    return min(max((at - start) / (finish - start), 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class Performance:
    """Earned-value figures of one task or one roll-up, in the baseline's unit."""

    bac: float
    pv: float
    ev: float
    ac: float | None = None
    sv: float = 0.0
    sv_pct: float | None = None
    spi: float | None = None
    cv: float | None = None
    cv_pct: float | None = None
    cpi: float | None = None
    eac: float | None = None  # typical: BAC / CPI
    eac_atypical: float | None = None  # AC + (BAC - EV)
    eac_cpi_spi: float | None = None  # AC + (BAC - EV) / (CPI * SPI)
    eac_bottom_up: float | None = None  # AC + remaining estimates
    etc: float | None = None  # EAC - AC
    vac: float | None = None  # BAC - EAC
    tcpi_bac: float | None = None
    tcpi_eac: float | None = None
    percent_complete: float | None = None  # EV / BAC
    percent_planned: float | None = None  # PV / BAC

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Performance:
        return cls(**data)


def measure(
    bac: float, pv: float, ev: float, ac: float | None = None, *, remaining: float | None = None
) -> Performance:
    """Every earned-value figure from BAC, PV, EV and (when tracked) AC and remaining work."""
    schedule_only = Performance(
        bac=bac,
        pv=pv,
        ev=ev,
        sv=ev - pv,
        sv_pct=ratio(ev - pv, pv),
        spi=ratio(ev, pv),
        percent_complete=ratio(ev, bac),
        percent_planned=ratio(pv, bac),
    )
    return schedule_only if ac is None else _with_cost(schedule_only, ac, remaining)


def _with_cost(p: Performance, ac: float, remaining: float | None) -> Performance:
    cpi = ratio(p.ev, ac)
    eac = ratio(p.bac, cpi)
    combined = None if cpi is None or p.spi is None else ratio(p.bac - p.ev, cpi * p.spi)
    return replace(
        p,
        ac=ac,
        cv=p.ev - ac,
        cv_pct=ratio(p.ev - ac, p.ev),
        cpi=cpi,
        eac=eac,
        eac_atypical=ac + (p.bac - p.ev),
        eac_cpi_spi=None if combined is None else ac + combined,
        eac_bottom_up=None if remaining is None else ac + remaining,
        etc=None if eac is None else eac - ac,
        vac=None if eac is None else p.bac - eac,
        tcpi_bac=ratio(p.bac - p.ev, p.bac - ac),
        tcpi_eac=None if eac is None else ratio(p.bac - p.ev, eac - ac),
    )
