"""normalize_issue over recorded payloads: real ones (tests/fixtures), sandbox-shaped ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.connectors.jira.normalize import normalize_issue, parse_datetime, status_history
from syncd.errors import MappingError
from syncd.model import StatusCategory, WorkItem
from tests.conftest import FIXTURES

PAYLOADS = FIXTURES / "payloads" / "jira"
BERLIN = ZoneInfo("Europe/Berlin")


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def normalize(raw: dict[str, Any], **kwargs: Any) -> WorkItem:
    options: dict[str, Any] = {
        "source": "acme-jira",
        "site_url": "https://acme.atlassian.net",
        "points_field": "customfield_10016",
        "categories": {},
        "tz": BERLIN,
    }
    return normalize_issue(raw, **(options | kwargs))


def sandbox_issue(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": "Speed up onboarding",
        "status": {"name": "In Review", "statusCategory": {"key": "indeterminate"}},
        "issuetype": {"name": "Story"},
        "project": {"key": "ACME"},
        "assignee": {"displayName": "Ada Lovelace", "accountId": "557058:1"},
        "created": "2026-11-02T09:00:00.000+0100",
        "updated": "2026-11-20T10:15:30.000+0100",
        "duedate": "2026-12-01",
        "resolutiondate": None,
        "labels": ["backend", "syncd-rag-amber"],
        "components": [{"name": "API"}],
        "timetracking": {
            "originalEstimateSeconds": 28800,
            "remainingEstimateSeconds": 7200,
            "timeSpentSeconds": 21600,
        },
        "subtasks": [
            {"key": "ACME-8", "fields": {"status": {"statusCategory": {"key": "done"}}}},
            {"key": "ACME-9", "fields": {"status": {"statusCategory": {"key": "new"}}}},
        ],
        "parent": {"key": "ACME-1"},
        "customfield_10016": 5.0,
    }
    changelog = {
        "total": 2,
        "histories": [
            {
                "created": "2026-11-10T09:00:00.000+0100",
                "items": [
                    {"field": "status", "fromString": "In Progress", "toString": "In Review"}
                ],
            },
            {
                "created": "2026-11-03T09:00:00.000+0100",
                "items": [{"field": "status", "fromString": "To Do", "toString": "In Progress"}],
            },
        ],
    }
    return {"id": "10042", "key": "ACME-42", "fields": base | fields, "changelog": changelog}


def test_every_field_of_a_sandbox_issue() -> None:
    """A full v3 issue fills every WorkItem field, in UTC, hours from seconds."""
    item = normalize(sandbox_issue())
    assert (item.external_id, item.key, item.title) == ("10042", "ACME-42", "Speed up onboarding")
    assert item.url == "https://acme.atlassian.net/browse/ACME-42"
    assert (item.type, item.status, item.category) == (
        "Story",
        "In Review",
        StatusCategory.IN_PROGRESS,
    )
    assert item.assignee == "Ada Lovelace"
    assert item.created == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert item.updated == datetime(2026, 11, 20, 9, 15, 30, tzinfo=UTC)
    assert item.due == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert (item.estimate_hours, item.remaining_hours, item.spent_hours) == (8.0, 2.0, 6.0)
    assert item.story_points == 5.0
    assert (item.subitems_done, item.subitems_total) == (1, 2)
    assert item.parent == "ACME-1"
    assert item.labels == ("backend",)
    assert item.components == ("API",)
    assert item.container == "ACME"
    assert item.content_hash


def test_history_is_sorted_and_gives_actual_start() -> None:
    """Status changes come out oldest first, with categories, so actual start is the first move."""
    item = normalize(sandbox_issue())
    assert [c.to_status for c in item.history] == ["In Progress", "In Review"]
    assert item.actual_start == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert item.history[0].to_category is StatusCategory.IN_PROGRESS


def test_replacement_histories_win_over_the_embedded_changelog() -> None:
    """Histories fetched in bulk (epoch-millisecond dates) replace a cut-short changelog."""
    done_at = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    bulk = [
        {
            "created": int(done_at.timestamp() * 1000),
            "items": [{"fieldId": "status", "fromString": "In Review", "toString": "Done"}],
        }
    ]
    raw = sandbox_issue(status={"name": "Done", "statusCategory": {"key": "done"}})
    item = normalize(raw, histories=bulk)
    assert item.actual_finish == done_at


def test_own_labels_do_not_change_the_hash() -> None:
    """syncd-rag-* labels are dropped, so our own writes do not look like content changes."""
    plain = normalize(sandbox_issue(labels=["backend"]))
    ours = normalize(sandbox_issue(labels=["backend", "syncd-rag-red"]))
    assert plain.content_hash == ours.content_hash


def test_epic_link_field_gives_the_parent() -> None:
    """On Data Center the Epic Link custom field names the parent."""
    raw = sandbox_issue(parent=None, customfield_10101="ACME-3")
    assert normalize(raw, epic_field="customfield_10101").parent == "ACME-3"


def test_client_categories_override_jira() -> None:
    """A client mapping of a status name beats Jira's status category."""
    item = normalize(sandbox_issue(), categories={"in review": StatusCategory.DONE})
    assert item.category is StatusCategory.DONE


@pytest.mark.parametrize(
    "fields",
    [{"created": "the day before yesterday"}, {"customfield_10016": "five"}, {"subtasks": "x"}],
)
def test_unreadable_issue_raises_mapping_error(fields: dict[str, Any]) -> None:
    """A value of the wrong shape is a MappingError (the caller quarantines the issue)."""
    with pytest.raises(MappingError):
        normalize(sandbox_issue(**fields))


@pytest.mark.parametrize(
    ("log", "message"),
    [
        ({"started": "2026-11-03T09:00:00.000+0100", "timeSpentSeconds": 60}, "without an id"),
        ({"id": "7", "timeSpentSeconds": 60}, "worklog 7: no start date"),
        ({"id": "7", "started": "2026-11-03", "timeSpentSeconds": 60}, "worklog 7: no start"),
        ({"id": "7", "started": "2026-11-03T09:00:00.000+0100", "timeSpentSeconds": "1h"}, "7"),
        ({"id": "7", "started": "2026-11-03T09:00:00.000+0100", "timeSpentSeconds": -60}, "7"),
    ],
)
def test_malformed_worklog_quarantines_its_issue_without_echoing_it(
    log: dict[str, Any], message: str
) -> None:
    """A worklog missing its id, start or whole seconds is a MappingError naming the worklog;
    the message never repeats the payload (a worklog carries its author's name and address)."""
    author = {"displayName": "Ada Lovelace", "emailAddress": "ada@example.com"}
    worklog = {"total": 1, "maxResults": 20, "worklogs": [log | {"author": author}]}
    with pytest.raises(MappingError, match=message) as raised:
        normalize(sandbox_issue(worklog=worklog))
    assert "Ada" not in str(raised.value) and "example.com" not in str(raised.value)


def test_issue_without_fields_raises_mapping_error() -> None:
    """An id-only issue cannot be normalized."""
    with pytest.raises(MappingError):
        normalize({"id": "1"})


def test_jira_ruby_server_issue() -> None:
    """A real Server v2 issue: name-only status, due date, components, +1300 offsets."""
    item = normalize(load("jira-ruby/issue_10002.json"), points_field=None, site_url="http://jira")
    assert (item.key, item.external_id) == ("SAMPLEPROJECT-1", "10002")
    assert item.category is StatusCategory.TODO
    assert item.components == ("Jamflam", "Jammy")
    assert item.created == datetime(2011, 12, 13, 21, 26, 6, 30000, tzinfo=UTC)
    assert item.assignee == "admin"


def test_jira_ruby_search_page() -> None:
    """Every issue of a real v2 search response normalizes."""
    issues = load("jira-ruby/issue.json")["issues"]
    items = [normalize(raw) for raw in issues]
    assert len({i.key for i in items}) == len(issues) == 11


def test_go_jira_agile_issue_takes_the_epic_as_parent() -> None:
    """A real Cloud agile issue: status category `new`, `epic` object as parent."""
    item = normalize(load("go-jira/issues_in_sprint.json")["issues"][0])
    assert item.key == "AR-86"
    assert item.category is StatusCategory.TODO
    assert item.parent == "AR-37"


def test_jira_cli_trimmed_search() -> None:
    """Trimmed real payloads without ids or categories still normalize, keyed by key."""
    items = [normalize(raw) for raw in load("jira-cli/search.json")["issues"]]
    assert [i.external_id for i in items] == ["TEST-1", "TEST-2", "TEST-3"]
    assert [i.category for i in items] == [
        StatusCategory.TODO,
        StatusCategory.IN_PROGRESS,
        StatusCategory.DONE,
    ]


def test_spec_example_with_a_number_for_a_date_is_quarantined() -> None:
    """The agile spec example carries `"updated": 1`; that is not a date, so it is refused."""
    with pytest.raises(MappingError):
        normalize(load("jira-ruby/sprint_1_issues.json")["issues"][0])


def test_spec_changelog_bulkfetch_histories() -> None:
    """The spec's changelog bulkfetch example parses (epoch dates, non-status items skipped)."""
    logs = load("atlassian-spec-examples/changelog-bulkfetch-POST-200.json")["issueChangeLogs"]
    history = status_history([h for log in logs for h in log["changeHistories"]], {})
    assert all(change.at.tzinfo is UTC for change in history)


def test_zulip_webhook_issue_normalizes() -> None:
    """The issue inside a real `jira:issue_updated` webhook normalizes."""
    raw = load("zulip-webhooks/issue_updated__status.json")["issue"]
    item = normalize(raw)
    assert item.key == raw["key"]
    assert item.category is StatusCategory.IN_PROGRESS


def test_parse_datetime_refuses_naive_values() -> None:
    """A date-time without a zone is refused rather than guessed."""
    with pytest.raises(MappingError):
        parse_datetime("2026-11-20T10:15:30")
