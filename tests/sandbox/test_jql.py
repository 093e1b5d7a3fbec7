"""JQL subset: operators, zones, ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.sandbox import SandboxConfig
from syncd.sandbox.jql import JqlError, parse
from syncd.sandbox.world import generate

BERLIN = ZoneInfo("Europe/Berlin")
STATE = generate(SandboxConfig(seed=3, jira_issues=120))


def run(text: str) -> list[str]:
    query = parse(text, BERLIN, now=STATE.clock.now(), projects=STATE.projects)
    return [i.key for i in query.run(STATE.issues.values())]


def test_updated_literal_is_read_in_account_zone() -> None:
    """`updated >= "yyyy-MM-dd HH:mm"` compares against that minute in the account zone."""
    issue = STATE.issues["ACME-7"]
    local = issue.updated.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
    assert issue.key in run(f'key = ACME-7 AND updated >= "{local}"')
    later = (issue.updated + timedelta(minutes=1)).astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
    assert run(f'key = ACME-7 AND updated >= "{later}"') == []
    utc = (issue.updated + timedelta(minutes=1)).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert issue.key in run(f'key = ACME-7 AND updated >= "{utc}"')


def test_order_by_updated_then_key() -> None:
    """ORDER BY updated ASC, key ASC sorts by time, ties by key."""
    keys = run("project in (ACME, BETA) ORDER BY updated ASC, key ASC")
    times = [STATE.issues[k].updated for k in keys]
    assert times == sorted(times) and len(keys) == 120


def test_key_in_and_not() -> None:
    """`key in (...)` and `NOT` combine as expected."""
    assert sorted(run("key in (ACME-1, BETA-2) AND NOT key = BETA-2")) == ["ACME-1"]


def test_unknown_project_is_an_error() -> None:
    """A project that does not exist is a JQL error, as in Jira."""
    with pytest.raises(JqlError, match="does not exist"):
        run("project = NOPE")


def test_unknown_field_is_an_error() -> None:
    """An unknown field name is a JQL error."""
    with pytest.raises(JqlError):
        run("colour = red")


def test_relative_dates() -> None:
    """`updated >= -2d` is relative to the simulated now."""
    cutoff = STATE.clock.now() - timedelta(days=2)
    expected = sorted(k for k, i in STATE.issues.items() if i.updated >= cutoff)
    assert sorted(run("updated >= -2d")) == expected


def test_same_seed_same_world() -> None:
    """The generator is deterministic in its seed."""
    again = generate(SandboxConfig(seed=3, jira_issues=120))
    assert [(i.key, i.summary, i.status_id, i.updated) for i in again.issues.values()] == [
        (i.key, i.summary, i.status_id, i.updated) for i in STATE.issues.values()
    ]
    assert datetime(2026, 1, 1, tzinfo=UTC) < STATE.clock.now()


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("(project = ACME) AND updated >= -30d ORDER BY updated ASC", {"ACME"}),
        ("project in (ACME, BETA) AND project = BETA", {"BETA"}),
        ("project = ACME OR key = BETA-1", None),
        ("NOT project = ACME", None),
        ("assignee is EMPTY", None),
    ],
)
def test_a_query_confined_to_projects_reads_only_their_issues(
    text: str, scope: set[str] | None
) -> None:
    """A query whose top-level conjuncts name projects (no OR, not under NOT) carries them; the
    state's project index then gives the same result as reading every issue."""
    query = parse(text, BERLIN, now=STATE.clock.now(), projects=STATE.projects)
    assert query.projects == (frozenset(scope) if scope is not None else None)
    scoped = [i.key for i in query.run(STATE.issues_in(query.projects))]
    assert scoped == run(text)
    if scope is not None:
        assert all(STATE.issues[k].project in scope for k in scoped)
