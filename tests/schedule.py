"""Longest test files first, so a parallel run does not end waiting on one long file.

With `-n N --dist loadfile` each test file runs whole on one worker, in the order the files are
handed out; a long file handed out last keeps its worker busy after the others are done. The
workers' collections are sorted here with the long files first, the longest first: by the
seconds each file took in the last parallel run (kept in pytest's cache), and, for files that
run has no figure for (a fresh clone, a new file), those with tests marked `slow`. The other
files keep their order: as collected, or as `--random-order` shuffled them (this sort runs
after it and keeps each file's tests in their order). The controller reads the figures once
and hands them to every worker, so all of them collect the same order (xdist requires it).
Only distributed runs are sorted. xdist's own reordering (files with the most tests first) is
turned off, or it would undo this.

The hooks are imported by `tests/conftest.py`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

KEY = "syncd/file-seconds"
LONG_S = 15.0  # a file that took longer goes first
SLOW_GUESS = 30.0  # seconds assumed for a file with slow tests and no figure yet

_seconds: dict[str, float] = defaultdict(float)  # this run's, on the controller


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _known(config: pytest.Config) -> dict[str, float]:
    cache = getattr(config, "cache", None)
    found = cache.get(KEY, {}) if cache is not None else {}
    return found if isinstance(found, dict) else {}


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False  # xdist: keep the order sorted below


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Controller, for each xdist worker: the figures of the last parallel run."""
    node.workerinput[KEY] = _known(node.config)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return
    known: dict[str, float] = workerinput.get(KEY, {})
    guess: dict[str, float] = {}
    for item in items:
        name = _file(item.nodeid)
        if name not in guess:
            guess[name] = known.get(name, 0.0)
        if name not in known and item.get_closest_marker("slow") is not None:
            guess[name] = SLOW_GUESS
    weight = {name: seconds if seconds >= LONG_S else 0.0 for name, seconds in guess.items()}
    items.sort(key=lambda item: -weight[_file(item.nodeid)])  # stable: files stay together


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _seconds[_file(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Controller of a parallel run: keep each file's seconds for the next run's order."""
    config = session.config
    distributed = getattr(config.option, "dist", "no") != "no"
    cache = getattr(config, "cache", None)
    if hasattr(config, "workerinput") or not distributed or cache is None or not _seconds:
        return
    figures = _known(config) | {name: round(s, 2) for name, s in _seconds.items()}
    cache.set(KEY, figures)
