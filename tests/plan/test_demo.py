"""The demo plan against demo-like Jira epics and Trello cards, as `syncd demo` will run it."""

from __future__ import annotations

from datetime import date

from syncd.mapping import MappingConfig
from syncd.model import WorkItem
from syncd.plan import DEMO_PLAN, load_plan, reconcile

from .conftest import DOING, DONE, item

CONFIG = MappingConfig.model_validate(
    {
        "statuses": {"acme-trello": {"Doing": "in_progress", "Done": "done"}},
        "progress": {"default": "story_points", "tasks": {"3": "0/100"}},
        "links": [{"by": "epic"}, {"by": "wbs_in_title"}, {"by": "trello_label"}],
        "calendar": {"holidays": ["2026-12-25"]},
    }
)


def demo_items() -> list[WorkItem]:
    epics = [
        item(
            "ACME-1",
            title="1.1 Discovery",
            status=DONE,
            started="2026-10-01",
            finished="2026-10-14",
        ),
        item("ACME-2", title="1.2 Design", status=DOING, started="2026-10-15"),
        item("ACME-4", title="2.1 Build API"),
    ]
    stories = [
        item("ACME-10", parent="ACME-2", status=DONE, story_points=5.0, finished="2026-10-20"),
        item("ACME-11", parent="ACME-2", status=DOING, story_points=5.0, started="2026-10-19"),
        item("ACME-12", parent="ACME-1", status=DONE, story_points=3.0, finished="2026-10-14"),
    ]
    cards = [
        item(
            "c1",
            source="acme-trello",
            labels=("1.3",),
            container="Doing",
            status=DOING,
            started="2026-10-26",
            story_points=2.0,
        ),
        item("c2", source="acme-trello", title="Office party", container="Doing", story_points=1.0),
    ]
    return epics + stories + cards


def test_demo_plan_links_epics_stories_and_cards_and_reports_scope_growth() -> None:
    """Epics link by title, stories by their epic, cards by label; one card is unplanned."""
    r = reconcile(load_plan(DEMO_PLAN), demo_items(), as_of=date(2026, 10, 30), config=CONFIG)
    links = {lk.key: lk.task for lk in r.links}
    assert links["ACME-1"] == "1.1" and links["ACME-10"] == "1.2" and links["c1"] == "1.3"
    assert links["c2"] is None and r.unplanned.keys == ("c2",)
    assert r.task("1.1").status == "done" and r.task("1.1").performance.ev == 120.0
    assert r.task("1.2").performance.ev == 100.0  # 5 of 10 points of a 200 h task
    assert r.task("1.3").status == "in_progress"  # the Trello list "Doing" maps to in_progress
    assert r.baseline.label == "Contract baseline v1"
    assert r.forecast.es_finish is not None and r.forecast.cpm_finish >= date(2027, 1, 22)
    go_live = r.milestones[0]
    assert go_live.key == "3" and go_live.deadline == date(2027, 1, 29)
