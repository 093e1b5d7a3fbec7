"""Task references in a client file: a key (MS Project UID) or a WBS code, never both at once.

In the reference MS Project file (mpp12, see tests/fixtures/plans/SOURCES.md) "2" is the UID
of "Subtask 1" (WBS 1.1) and the WBS code of "Complex Outline Number" (UID 8); "1" is both the
UID and the WBS code of "Base Task".
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from syncd.clients import load_client
from syncd.errors import ConfigError
from syncd.mapping import MappingConfig
from syncd.pipeline import reconcile_client
from syncd.plan import Baseline, load_plan
from syncd.plan.baseline import PlanTask, build_baseline
from syncd.plan.keys import reference_problems, task_refs
from syncd.plan.reconcile import reconcile

from .conftest import DOING, DONE, PLANS, item

AS_OF = date(2006, 9, 1)


@pytest.fixture(scope="module")
def mpp12() -> Baseline:
    return load_plan(PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml")


def config(**sections: Any) -> MappingConfig:
    return MappingConfig.model_validate(sections)


def test_a_uid_that_is_another_tasks_wbs_code_is_ambiguous_and_names_both(
    mpp12: Baseline,
) -> None:
    """`[progress.tasks] "2"` is refused, naming Subtask 1 (UID 2) and Complex Outline Number
    (WBS 2); before, the UID silently won."""
    with pytest.raises(ConfigError) as caught:
        reconcile(mpp12, [], as_of=AS_OF, config=config(progress={"tasks": {"2": "0/100"}}))
    (problem,) = caught.value.problems
    assert problem.startswith("progress.tasks.2: '2' names two tasks:")
    assert "'Subtask 1' (key 2, WBS 1.1)" in problem
    assert "'Complex Outline Number' (key 8, WBS 2)" in problem
    assert "key:2 or wbs:2" in problem


def test_an_ambiguous_link_map_target_is_refused_even_if_no_item_uses_it(mpp12: Baseline) -> None:
    """A link map pointing at "2" is a config error with the rule's place in the file."""
    bad = config(links=[{"by": "label"}, {"by": "table", "map": {"REL-9": "2"}}])
    assert reference_problems(mpp12, bad) == [
        f"links[1].map.REL-9: {task_refs(mpp12).ambiguous['2']}"
    ]
    with pytest.raises(ConfigError, match=r"links\[1\]\.map\.REL-9: '2' names two tasks"):
        reconcile(mpp12, [], as_of=AS_OF, config=bad)


def test_a_key_that_is_the_wbs_code_of_the_same_task_is_fine(mpp12: Baseline) -> None:
    """ "1" (UID 1, WBS 1: Base Task) and "1.1" (WBS of UID 2) are plain references."""
    refs = task_refs(mpp12)
    assert refs.resolve("1", where="x") == "1"
    assert refs.resolve("1.1", where="x") == "2"
    assert refs.resolve("7", where="x") == "7"
    assert reference_problems(mpp12, config(progress={"tasks": {"1": "0/100"}})) == []


def test_key_and_wbs_prefixes_say_which_task_is_meant(mpp12: Baseline) -> None:
    """`key:2` is Subtask 1 (UID 2, 24 h); `wbs:2` is Complex Outline Number (UID 8). With the
    item done on Subtask 1, EV is its whole 24 h; on the other task it earns nothing."""
    items = [item("REL-9", status=DONE, started="2006-08-24", finished="2006-08-28")]
    by_key = config(links=[{"by": "table", "map": {"REL-9": "key:2"}}])
    rec = reconcile(mpp12, items, as_of=AS_OF, config=by_key)
    assert rec.links[0].task == "2"
    assert {t.key: t.performance.ev for t in rec.tasks}["2"] == pytest.approx(24.0)
    by_wbs = config(links=[{"by": "table", "map": {"REL-9": "wbs:2"}}])
    assert reconcile(mpp12, items, as_of=AS_OF, config=by_wbs).links[0].task == "8"
    overrides = config(progress={"tasks": {"key:2": "0/100", "wbs:1.2": "50/50"}})
    rows = {t.key: t for t in reconcile(mpp12, [], as_of=AS_OF, config=overrides).tasks}
    assert (rows["2"].technique, rows["3"].technique, rows["4"].technique) == (
        "0/100",
        "50/50",
        "story_points",
    )


def test_an_item_value_that_names_two_tasks_links_nowhere_and_says_why(mpp12: Baseline) -> None:
    """A label "2" links to neither task; the warning names both."""
    items = [item("J-1", task="2", status=DOING, started="2006-08-25")]
    rec = reconcile(mpp12, items, as_of=AS_OF, config=config(links=[{"by": "label"}]))
    assert rec.links[0].task is None
    (warning,) = [w for w in rec.warnings if "J-1" in w.message]
    assert warning.code == "ambiguous_ref" and "ev" in warning.affects
    assert "Subtask 1" in warning.message and "Complex Outline Number" in warning.message


def test_a_wbs_code_in_a_title_is_a_wbs_code_never_a_uid(mpp12: Baseline) -> None:
    """ "1.3 …" is WBS 1.3 (UID 4); "2.1.1 …" is UID 10; "7 …" names no WBS code (UID 7 is not
    taken for it)."""
    items = [
        item("A", title="1.3 Subtask 3 work"),
        item("B", title="2.1.1 A1"),
        item("C", title="7 Something"),
    ]
    rec = reconcile(mpp12, items, as_of=AS_OF, config=config(links=[{"by": "wbs_in_title"}]))
    assert [link.task for link in rec.links] == ["4", "10", None]


def test_two_tasks_with_one_wbs_code_are_ambiguous_too() -> None:
    """Custom WBS codes may repeat; a reference to a repeated code is refused."""
    day = date(2026, 3, 2)
    tasks = [
        PlanTask(key="10", name="Alpha", start=day, finish=day, wbs="A", budget=8.0),
        PlanTask(key="11", name="Beta", start=day, finish=day, wbs="A", budget=8.0),
    ]
    plan = build_baseline("dupes", tasks)
    assert "'Alpha' (key 10, WBS A)" in task_refs(plan).ambiguous["A"]
    assert "'Beta' (key 11, WBS A)" in task_refs(plan).ambiguous["A"]
    with pytest.raises(ConfigError, match=r"progress\.tasks\.A: 'A' names two tasks"):
        reconcile(plan, [], as_of=day, config=config(progress={"tasks": {"A": "0/100"}}))


CLIENT = """
name = "Reference"
[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "T"
jql = "project = X"
[plan]
file = "mpp12.xml"
[progress.tasks]
"2" = "0/100"
"""


def test_reconciling_a_client_names_the_file_and_the_field(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """Through the pipeline the error reads `file › field: message`."""
    shutil.copy(PLANS / "mpp12-baseline-progress.mspdi-via-mpxj.xml", tmp_path / "mpp12.xml")
    (tmp_path / "ref.toml").write_text(CLIENT, encoding="utf-8")
    client = load_client(tmp_path, "ref", env={"T": "x"})
    with pytest.raises(ConfigError) as caught:
        reconcile_client(sqlite_engine, client, as_of=AS_OF)
    (problem,) = caught.value.problems
    assert problem.startswith("ref.toml › progress.tasks.2: '2' names two tasks")
