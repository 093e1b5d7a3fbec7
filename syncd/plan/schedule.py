"""Earned schedule (Lipke; docs/plan-math.md §3.2): when was today's EV planned to be reached?

The PV curve is cumulative PV at the end of each working day of the baseline (PV₀ = 0 at the
origin), linear within a task; ES inverts it, so ES = AT exactly while work runs to plan.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from syncd.plan.evm import ratio

_EPS = 1e-9


def pv_curve(spans: Sequence[tuple[int, int, float]], periods: int) -> list[float]:
    """Cumulative PV at positions 0..periods from (start, finish, budget) spans; O(n + periods)."""
    rate_change = [0.0] * (periods + 2)
    steps = [0.0] * (periods + 1)
    for start, finish, budget in spans:
        if finish <= start:
            steps[min(max(finish, 0), periods)] += budget
            continue
        rate = budget / (finish - start)
        rate_change[max(start, 0) + 1] += rate
        rate_change[min(finish, periods) + 1] -= rate
    curve = [steps[0]]
    rate = 0.0
    for n in range(1, periods + 1):
        rate += rate_change[n]
        curve.append(curve[-1] + rate + steps[n])
    return curve


@dataclass(frozen=True, slots=True)
class EarnedSchedule:
    """ES and its indicators, in working days from the baseline start."""

    es: float
    at: float
    pd: float
    sv_t: float
    spi_t: float | None
    ieac_t: float | None  # forecast duration, PD / SPI(t)
    tspi_t: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def earned_time(curve: Sequence[float], ev: float) -> float:
    """ES = C + I: C the last period with PV_C ≤ EV, I the fraction into the next one."""
    pd = len(curve) - 1
    c = bisect_right(curve, ev + _EPS) - 1
    if c < 0:
        return 0.0
    if c >= pd:
        return float(pd)
    return c + (ev - curve[c]) / (curve[c + 1] - curve[c])


def earned_schedule(curve: Sequence[float], ev: float, at: float) -> EarnedSchedule:
    """ES, SV(t), SPI(t), IEAC(t) and TSPI(t) for EV earned by actual time `at`."""
    pd = float(len(curve) - 1)
    es = earned_time(curve, ev)
    spi_t = ratio(es, at)
    ieac = ratio(pd, spi_t) if spi_t else None
    if at < pd:
        tspi = ratio(pd - es, pd - at)
    else:
        tspi = None if ieac is None else ratio(pd - es, ieac - at)
    return EarnedSchedule(es=es, at=at, pd=pd, sv_t=es - at, spi_t=spi_t, ieac_t=ieac, tspi_t=tspi)
