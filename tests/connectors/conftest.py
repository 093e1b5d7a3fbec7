"""Fixtures shared by the connector tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_jira_meta() -> None:
    """Each test starts without the process's cached Jira field catalogues and time zones."""
    from syncd.connectors import jira

    jira._META_CACHE.clear()
