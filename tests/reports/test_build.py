from __future__ import annotations

from datetime import date

import pytest

from syncd.reports.model import Status
from tests.reports.conftest import status_of
from tests.reports.sample import Sample, globex


def test_figures_are_the_reconciliations(acme_sample: Sample, acme_status: Status) -> None:
    """Project PV, EV, SPI, SPI(t) and both forecasts come straight from the snapshot."""
    rec = acme_sample.snapshot(acme_sample.dates[-1]).to_dict()["reconciliation"]
    f = acme_status.figures
    assert (f.pv, f.ev, f.spi) == (
        rec["project"]["pv"],
        rec["project"]["ev"],
        rec["project"]["spi"],
    )
    assert f.spi_t == rec["earned_schedule"]["spi_t"]
    assert acme_status.forecast.cpm_finish == date.fromisoformat(rec["forecast"]["cpm_finish"])
    assert acme_status.forecast.es_finish == date.fromisoformat(rec["forecast"]["es_finish"])
    assert acme_status.rag.level == rec["rag"]["level"]
    assert acme_status.rag.reasons == tuple(rec["rag"]["reasons"])


def test_task_table_holds_leaves_only(acme_sample: Sample, acme_status: Status) -> None:
    """Summary tasks are left out of the variance table; every leaf is there, in plan order."""
    assert [t.key for t in acme_status.tasks] == [t.key for t in acme_sample.leaves]


def test_behind_is_worst_first_and_skips_milestones(acme_status: Status) -> None:
    """Tasks behind plan are sorted by slip, and milestones are reported as milestones."""
    behind = acme_status.behind
    assert behind and all(not t.milestone and t.behind for t in behind)
    assert [t.slip_days for t in behind] == sorted((t.slip_days for t in behind), reverse=True)


def test_milestone_carries_driving_path(acme_status: Status) -> None:
    """The Go-live milestone shows baseline vs forecast and the path that drives it."""
    (go_live,) = acme_status.milestones
    assert go_live.at_risk and go_live.forecast is not None and go_live.forecast > go_live.baseline
    assert go_live.driving_path == ("2.2",)
    assert acme_status.next_milestones == (go_live,)


def test_completed_since_previous_report(acme_status: Status) -> None:
    """Items finished between the previous and this status date are listed as completed."""
    change = acme_status.change
    assert change.previous_as_of == date(2026, 11, 23)
    assert [i.key for i in change.items_completed] == ["ACME-41"]
    assert change.ev_delta is not None and change.ev_delta > 0


def test_first_report_looks_back_a_week(acme_sample: Sample) -> None:
    """Without a previous snapshot, "completed since" covers the week before the status date."""
    status = status_of(acme_sample, 0)
    assert status.change.previous_as_of is None
    assert status.change.since == date(2026, 10, 26)


def test_task_completed_since_previous(acme_sample: Sample) -> None:
    """A task done now and not done in the previous snapshot is reported as completed."""
    status = status_of(acme_sample, 3)
    assert "1.2" in [t.key for t in status.change.tasks_completed]


def test_risks_and_issues_from_type_or_label(acme_status: Status) -> None:
    """A Risk-typed item and an item labelled `issue` are risks/issues, with owner and due date."""
    found = {r.item.key: r for r in acme_status.risks}
    assert set(found) == {"ACME-99", "tr3"}
    assert found["ACME-99"].kind == "risk" and found["ACME-99"].overdue
    assert found["ACME-99"].item.assignee == "Sam Roe"
    assert found["tr3"].kind == "issue"


def test_unplanned_matches_reconcile(acme_sample: Sample, acme_status: Status) -> None:
    """Unplanned work lists exactly the items reconcile linked to no task."""
    rec = acme_sample.snapshot(acme_sample.dates[-1]).to_dict()["reconciliation"]
    assert sorted(i.key for i in acme_status.unplanned.items) == rec["unplanned"]["keys"]
    assert acme_status.unplanned.count == rec["unplanned"]["items"]


def test_progress_by_source(acme_status: Status) -> None:
    """Items are counted per connector and category, each with its last successful pull."""
    by = {s.source: s for s in acme_status.sources}
    assert set(by) == {"acme-jira", "acme-board"}
    assert by["acme-board"].kind == "trello" and by["acme-board"].total == 3
    assert by["acme-jira"].done + by["acme-jira"].in_progress + by["acme-jira"].todo == 11
    assert not by["acme-jira"].stale


def test_source_never_pulled_is_stale(acme_sample: Sample) -> None:
    """A connector without a successful pull is flagged stale."""
    status = status_of(acme_sample, pulls=False)
    assert all(s.stale and s.last_success is None for s in status.sources)


def test_curve_has_one_point_per_snapshot(acme_sample: Sample, acme_status: Status) -> None:
    """The S-curve holds every status date up to this one, oldest first."""
    assert [p.as_of for p in acme_status.curve] == list(acme_sample.dates)


def test_headline_names_the_worst_milestone(acme_status: Status) -> None:
    """The headline reads `Red: SPI 0.68, Go-live +13 working days`."""
    assert acme_status.headline.startswith("Red: SPI 0.")
    assert "Go-live +13 working days" in acme_status.headline


@pytest.mark.parametrize("index", [0, 1, 2])
def test_globex_builds_at_every_date(index: int) -> None:
    """The worked-example client builds at each status date with its milestone."""
    status = status_of(globex(), index)
    assert [m.key for m in status.milestones] == ["M"]
    assert len(status.curve) == index + 1
