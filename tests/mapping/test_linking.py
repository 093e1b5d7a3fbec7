"""Linking rules: each kind, first match wins, conflicts reported, unplanned stays None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.mapping import LinkRule
from syncd.mapping.linking import link_items

from .conftest import make

TASKS = {"1.1": "1.1", "1.2": "1.2", "2.1": "2.1", "T-9": "T-9", "3": "3"}


def rules(*specs: dict[str, object]) -> list[LinkRule]:
    return [LinkRule.model_validate(s) for s in specs]


def test_wbs_code_in_title_links_and_walks_up_to_a_known_code() -> None:
    """``1.1 Discovery`` → 1.1, ``[1.2.4] Wireframes`` → 1.2, ``Misc`` → unplanned."""
    items = [
        make("A", title="1.1 Discovery"),
        make("B", title="[1.2.4] Wireframes"),
        make("C", title="Misc"),
    ]
    found = link_items(items, rules({"by": "wbs_in_title"}), TASKS)
    assert [found[i.ident].task for i in items] == ["1.1", "1.2", None]


def test_children_inherit_their_epics_link() -> None:
    """Stories under an epic titled ``2.1 Build API`` land on 2.1, sub-tasks too."""
    epic = make("E-1", title="2.1 Build API")
    story = make("S-1", parent="E-1", title="Endpoint")
    sub = make("S-2", parent="S-1", title="Tests")
    found = link_items([sub, story, epic], rules({"by": "epic"}, {"by": "wbs_in_title"}), TASKS)
    assert {k[1]: v.task for k, v in found.items()} == {"E-1": "2.1", "S-1": "2.1", "S-2": "2.1"}


def test_epic_map_walks_up_the_parent_chain() -> None:
    """With a map, ``epic`` looks for any ancestor key in it; ``parent`` only the direct one."""
    items = [make("E-1"), make("S-1", parent="E-1"), make("S-2", parent="S-1")]
    epic = link_items(items, rules({"by": "epic", "map": {"E-1": "1.2"}}), TASKS)
    parent = link_items(items, rules({"by": "parent", "map": {"E-1": "1.2"}}), TASKS)
    assert epic[("acme-jira", "S-2")].task == "1.2"
    assert parent[("acme-jira", "S-2")].task is None and parent[("acme-jira", "S-1")].task == "1.2"


@pytest.mark.parametrize(
    ("spec", "fields", "task"),
    [
        (
            {"by": "label", "pattern": r"^wbs-(?P<task>[\d.]+)$"},
            {"labels": ("x", "wbs-1.2")},
            "1.2",
        ),
        ({"by": "component", "map": {"API": "2.1"}}, {"components": ("api",)}, "2.1"),
        ({"by": "field", "field": "Plan task"}, {"fields": (("Plan task", "T-9"),)}, "T-9"),
        ({"by": "trello_label", "source": "acme-trello"}, {"labels": ("1.1",)}, "1.1"),
        ({"by": "trello_list", "map": {"Go-live prep": "3"}}, {"container": "Go-live prep"}, "3"),
        ({"by": "list", "map": {"Go-live prep": "3"}}, {"container": "Go-live prep"}, "3"),
        ({"by": "table", "map": {"acme-trello:c1": "1.1"}}, {}, "1.1"),
    ],
)
def test_each_rule_kind_reads_its_own_signal(
    spec: dict[str, object], fields: dict[str, object], task: str
) -> None:
    """Label with pattern, component map, custom field, Trello label and list, explicit table."""
    card = make("c1", source="acme-trello", **fields)
    assert link_items([card], rules(spec), TASKS)[card.ident].task == task


def test_first_match_wins_and_other_matches_are_conflicts() -> None:
    """The first rule decides; a later rule pointing elsewhere is reported, not applied."""
    item = make("A", title="1.1 Discovery", labels=("1.2",))
    (result,) = link_items([item], rules({"by": "label"}, {"by": "wbs_in_title"}), TASKS).values()
    assert (result.task, result.rule, result.conflicts) == ("1.2", 0, ("1.1",))


def test_rule_restricted_to_a_source_skips_other_connectors() -> None:
    """A rule with ``source`` only sees that connector's items."""
    item = make("A", labels=("1.1",))
    assert (
        link_items([item], rules({"by": "label", "source": "acme-trello"}), TASKS)[item.ident].task
        is None
    )


def test_a_parent_cycle_does_not_hang() -> None:
    """Items that are each other's parent end unlinked instead of recursing forever."""
    items = [make("A", parent="B"), make("B", parent="A")]
    found = link_items(items, rules({"by": "parent"}), TASKS)
    assert all(r.task is None for r in found.values())


@given(st.permutations([f"1.{n} task" for n in (1, 2)] + ["2.1 x", "nothing", "3 go-live"]))
def test_link_results_do_not_depend_on_item_order(titles: list[str]) -> None:
    """Linking the same items in any order gives the same result per item."""
    items = [make(t.split()[0] + t, title=t) for t in titles]
    found = link_items(items, rules({"by": "wbs_in_title"}), TASKS)
    again = link_items(sorted(items, key=lambda i: i.key), rules({"by": "wbs_in_title"}), TASKS)
    assert found == again
