"""Fixtures shared by the connector tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_jira_meta() -> None:
    """Each test starts without the process's cached Jira field catalogues, time zones and
    OAuth access tokens."""
    from syncd.connectors.jira import connector as jira
    from syncd.connectors.jira import oauth

    jira._META_CACHE.clear()
    oauth.forget_cached()
