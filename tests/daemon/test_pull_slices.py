"""A long Jira pull in slices: each pull job fetches at most `limit` issues and keeps the ids it
left; the next fetches exactly those, and the cursor moves after the last slice only. Nothing
is skipped or stored twice, whatever the team changes between slices."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from syncd import runtime
from syncd.migrate import upgrade
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.settings import Settings
from syncd.store.items import count_items
from syncd.store.pulls import get_cursor
from syncd.sync import PullStats, pull
from tests.daemon import harness as h


def test_a_long_pull_in_slices_stores_every_issue_once_and_moves_the_cursor_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in h.SECRETS.items():
        monkeypatch.setenv(name, value)
    with Sandbox(SandboxConfig(seed=8, projects=("PAA",), jira_issues=2500)) as sb:
        dep = h.Deployment(tmp_path, sb, webhooks=False)
        dep.write_clients([("acme", "PAA", sb.board_ids[0])])
        rt = runtime.load(Settings(config_dir=tmp_path / "config", data_dir=tmp_path / "data"))
        upgrade(rt.engine)
        client = rt.clients["acme"]
        slices: list[PullStats] = []
        while not slices or slices[-1].more:
            slices.append(asyncio.run(pull(rt.engine, client, "acme-jira", limit=1000)))
            cursor = get_cursor(rt.engine, "acme", "acme-jira")
            assert cursor is not None
            if slices[-1].more:
                assert cursor.cursor is None  # the cursor waits for the last slice
                left = cursor.state["slice"]["ids"]
                assert len(left) == 2500 - sum(s.items for s in slices)
                sb.advance(minutes=20)  # the team works on, between slices
        # the first slice's first page (the newest changes) dates the pull; it counts in the slice
        assert [s.items for s in slices] == [1000, 1000, 500]
        cursor = get_cursor(rt.engine, "acme", "acme-jira")
        assert cursor is not None and cursor.cursor is not None and "slice" not in cursor.state
        assert count_items(rt.engine, "acme", "acme-jira") == h.jira_count(sb, "PAA")
        assert h.duplicate_keys(rt.engine) == []
        after = asyncio.run(pull(rt.engine, client, "acme-jira", limit=1000))
        assert h.cursors_consistent(rt.engine, sb, "acme") == []  # what changed meanwhile
        assert after.items < 100, after  # and only that: not the later slices' issues again
        rt.engine.dispose()


def test_a_slice_left_under_other_settings_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the connector's settings changed (its JQL), the ids a slice left are not fetched:
    the next pull lists afresh under the new settings."""
    for name, value in h.SECRETS.items():
        monkeypatch.setenv(name, value)
    with Sandbox(SandboxConfig(seed=8, projects=("PAA",), jira_issues=1500)) as sb:
        dep = h.Deployment(tmp_path, sb, webhooks=False)
        dep.write_clients([("acme", "PAA", sb.board_ids[0])])
        rt = runtime.load(Settings(config_dir=tmp_path / "config", data_dir=tmp_path / "data"))
        upgrade(rt.engine)
        first = asyncio.run(pull(rt.engine, rt.clients["acme"], "acme-jira", limit=1000))
        assert first.more
        path = tmp_path / "config" / "clients" / "acme.toml"
        path.write_text(
            path.read_text().replace('"project = PAA"', '"project = PAA AND key = PAA-1"')
        )
        changed = runtime.load(Settings(config_dir=tmp_path / "config", data_dir=tmp_path / "data"))
        again = asyncio.run(pull(changed.engine, changed.clients["acme"], "acme-jira", limit=1000))
        assert not again.more and again.items == 1
        rt.engine.dispose()
        changed.engine.dispose()
