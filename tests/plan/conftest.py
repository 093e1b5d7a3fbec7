"""Shared fixtures for plan tests: the worked example of plan-math.md §3.7 and the real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.plan import Baseline, load_plan

DATA = Path(__file__).resolve().parent / "data"
# CI places shared/ beside the clone, as on the dev machine: <repo>/../shared/reference/plans
PLANS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "plans"


@pytest.fixture(scope="session")
def worked() -> Baseline:
    return load_plan(DATA / "worked_example.toml")
