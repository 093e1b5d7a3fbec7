"""The order a parallel run hands test files out in: the longest first, each file kept whole."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.schedule import KEY, pytest_collection_modifyitems


class Item:
    def __init__(self, nodeid: str, slow: bool = False) -> None:
        self.nodeid = nodeid
        self.slow = slow

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def order(items: list[Item], known: dict[str, float], *, worker: bool = True) -> list[str]:
    config: Any = SimpleNamespace(workerinput={KEY: known}) if worker else SimpleNamespace()
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    return [i.nodeid for i in items]


def test_long_files_go_first_longest_first_and_stay_whole() -> None:
    """Files that took long in the last run go first, the longest first; a file's tests stay
    together and in their order; the short files keep the order they came in (collected, or
    shuffled by --random-order)."""
    items = [Item("a.py::t1"), Item("a.py::t2"), Item("b.py::t"), Item("c.py::t1"),
             Item("c.py::t2"), Item("d.py::t"), Item("e.py::t")]  # fmt: skip
    got = order(items, {"a.py": 1.0, "b.py": 20.0, "c.py": 40.0, "d.py": 3.0, "e.py": 0.5})
    assert got == ["c.py::t1", "c.py::t2", "b.py::t", "a.py::t1", "a.py::t2", "d.py::t", "e.py::t"]


def test_without_figures_files_with_slow_tests_go_first() -> None:
    """A fresh clone has no figures: files with a test marked slow go first; a known figure
    still counts over the guess."""
    items = [Item("a.py::t"), Item("b.py::t1"), Item("b.py::t2", slow=True), Item("c.py::t")]
    assert order(items, {}) == ["b.py::t1", "b.py::t2", "a.py::t", "c.py::t"]
    items = [Item("a.py::t"), Item("b.py::t", slow=True), Item("c.py::t")]
    assert order(items, {"c.py": 100.0}) == ["c.py::t", "b.py::t", "a.py::t"]


def test_a_run_in_one_process_keeps_the_collection_order() -> None:
    """Only xdist workers sort: a plain run (and `-x` debugging) sees files as collected."""
    items = [Item("a.py::t"), Item("b.py::t", slow=True)]
    assert order(items, {"b.py": 9.0}, worker=False) == ["a.py::t", "b.py::t"]
