"""The conformance suite of `syncd.testing`, run over every harness of this folder: the fake
connector, Jira (Cloud, Data Center, OAuth) and Trello against the sandbox.

A backend plugs in with one file, `tests/connectors/harness_<name>.py`, defining
`HARNESSES: dict[str, HarnessFactory]` (e.g. `{"jira-cloud": jira_cloud, "jira-dc": jira_dc}`).
"""

from __future__ import annotations

import importlib
import pkgutil

from syncd.testing import ConformanceSuite, HarnessFactory


def discover() -> dict[str, HarnessFactory]:
    """Every `HARNESSES` entry of every `tests/connectors/harness_*.py` module."""
    import tests.connectors as package

    found: dict[str, HarnessFactory] = {}
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.startswith("harness_"):
            loaded = importlib.import_module(f"{package.__name__}.{module.name}")
            found.update(getattr(loaded, "HARNESSES", {}))
    return found


class TestConformance(ConformanceSuite):
    """Each check of the suite once per harness found here."""

    harnesses = discover()


def test_every_connector_of_this_folder_has_a_harness() -> None:
    """The fake, the three Jira flavours and Trello are all checked (a harness file that stopped
    loading would otherwise shrink the suite without a word)."""
    assert sorted(TestConformance.harnesses) == [
        "fake", "jira-cloud", "jira-dc", "jira-oauth", "trello",
    ]  # fmt: skip
