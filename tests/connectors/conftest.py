"""Fixtures shared by the connector tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_jira_meta() -> None:
    """Each test starts without the process's cached Jira field catalogues, time zones and
    OAuth access tokens."""
    from syncd.connectors import jira, oauth

    jira._META_CACHE.clear()
    oauth.forget_cached()
