from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.reports import Health, Status, build_status
from tests.reports.sample import Sample, acme

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def status_of(sample: Sample, index: int = -1, *, pulls: bool = True) -> Status:
    """The built status of `sample` at its `index`-th status date, with the snapshots before it."""
    dates = sample.dates[: len(sample.dates) + index + 1 if index < 0 else index + 1]
    snaps = [sample.snapshot(d) for d in dates]
    last = [(s.id, NOW) for s in sample.info.sources] if pulls else []
    health = Health(checked_at=NOW, pulls=tuple(last))
    previous = snaps[-2] if len(snaps) > 1 else None
    return build_status(
        sample.info, snaps[-1], previous, sample.items(dates[-1]), health, history=snaps[:-1]
    )


@pytest.fixture(scope="session")
def acme_sample() -> Sample:
    return acme()


@pytest.fixture(scope="session")
def acme_status(acme_sample: Sample) -> Status:
    """Acme's status on its last status date (2026-11-30)."""
    return status_of(acme_sample)
