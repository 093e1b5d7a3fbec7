"""Earned value figures: docs/plan-math.md §3.7 to four decimals, and the zero-denominator rules."""

from __future__ import annotations

import pytest

from syncd.plan.evm import measure, planned_fraction


def test_worked_example_earned_value_figures_reproduce() -> None:
    """PV 130, EV 106, AC 120 at day 8 give SPI .8154, CPI .8833 and the EAC family exactly."""
    p = measure(180.0, 130.0, 106.0, 120.0)
    assert (p.sv, p.cv) == (-24.0, -14.0)
    assert round(p.spi or 0, 4) == 0.8154
    assert round(p.cpi or 0, 4) == 0.8833
    assert round(p.eac or 0, 4) == 203.7736
    assert round(p.etc or 0, 4) == 83.7736
    assert round(p.vac or 0, 4) == -23.7736
    assert p.eac_atypical == 194.0
    assert round(p.eac_cpi_spi or 0, 4) == 222.7412
    assert round(p.tcpi_bac or 0, 4) == 1.2333
    assert p.tcpi_eac == pytest.approx(p.cpi)


def test_without_actual_cost_no_cost_figure_is_invented() -> None:
    """With no time tracking, CV, CPI and the EAC family stay None rather than guessed."""
    p = measure(180.0, 130.0, 106.0)
    assert p.ac is None and p.cpi is None and p.eac is None and p.tcpi_bac is None
    assert p.spi == pytest.approx(106 / 130)


def test_ratios_with_zero_denominators_are_none() -> None:
    """Before anything is planned SPI is None, not a division error."""
    assert measure(10.0, 0.0, 0.0, 0.0).spi is None
    assert measure(10.0, 0.0, 0.0, 0.0).cpi is None


def test_planned_fraction_is_linear_and_steps_for_milestones() -> None:
    """A task is planned linearly over its span; a zero-length task all at once at its finish."""
    assert planned_fraction(4, 10, 8) == pytest.approx(4 / 6)
    assert planned_fraction(4, 10, 2) == 0 and planned_fraction(4, 10, 11) == 1
    assert planned_fraction(12, 12, 11.9) == 0 and planned_fraction(12, 12, 12) == 1
