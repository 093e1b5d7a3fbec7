"""Shared fixtures for plan tests: the worked example (docs/plan-math.md §3.7), the real files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from syncd.mapping import MappingConfig
from syncd.model import StatusCategory, StatusChange, WorkItem
from syncd.plan import Baseline, load_plan

DATA = Path(__file__).resolve().parent / "data"
PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"  # real files: see SOURCES.md


@pytest.fixture(scope="session")
def worked() -> Baseline:
    return load_plan(DATA / "worked_example.toml")


def at(day: str) -> datetime:
    """Noon UTC on an ISO date."""
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


def item(
    key: str,
    *,
    task: str | None = None,
    status: StatusCategory = StatusCategory.TODO,
    started: str | None = None,
    finished: str | None = None,
    source: str = "acme-jira",
    **fields: Any,
) -> WorkItem:
    """A WorkItem labelled with its plan task, with history for its actual dates."""
    history: list[StatusChange] = []
    if started:
        history.append(
            StatusChange(at(started), "To Do", "In Progress", StatusCategory.IN_PROGRESS)
        )
    if finished:
        history.append(StatusChange(at(finished), "In Progress", "Done", StatusCategory.DONE))
    labels = fields.pop("labels", (task,) if task else ())
    return WorkItem(
        source=source,
        external_id=key,
        key=key,
        title=fields.pop("title", key),
        category=status,
        labels=labels,
        history=tuple(history),
        **fields,
    )


DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO
BY_LABEL = MappingConfig.model_validate(
    {"links": [{"by": "label"}], "progress": {"default": "subitems"}}
)


def worked_items() -> list[WorkItem]:
    """§3.7 at the end of day 8: A and C done, B 2 of 5 stories done; AC 50 + 45 + 25."""
    stories = [
        item(
            f"B-{n}",
            task="B",
            status=DONE if n <= 2 else (DOING if n == 3 else TODO),
            started="2026-03-06" if n <= 3 else None,
            finished="2026-03-10" if n <= 2 else None,
            spent_hours=15.0 if n <= 3 else None,
        )
        for n in range(1, 6)
    ]
    return [
        item(
            "A-1",
            task="A",
            status=DONE,
            started="2026-03-02",
            finished="2026-03-05",
            spent_hours=50.0,
        ),
        *stories,
        item(
            "C-1",
            task="C",
            status=DONE,
            started="2026-03-06",
            finished="2026-03-10",
            spent_hours=25.0,
        ),
    ]
