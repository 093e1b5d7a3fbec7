"""One loader for client files: parsed once, again only when a file changes or on request."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from syncd.clientdir import Changes, ClientDirectory

ENV = {"T": "token"}
CLIENT = """\
name = "{name}"
poll_minutes = {poll}
[[connectors]]
kind = "jira"
id = "jira"
url = "https://x.atlassian.net"
email = "bot@example.com"
token_env = "T"
jql = "project = X"
"""


def write(directory: Path, stem: str, *, name: str = "Acme", poll: int = 15) -> Path:
    """Write a client file whole, as a deploy tool would (a new file renamed into place)."""
    path = directory / f"{stem}.toml"
    part = directory / f".{stem}.part"
    part.write_text(CLIENT.format(name=name, poll=poll), encoding="utf-8")
    part.replace(path)
    return path


def test_files_are_parsed_again_only_when_their_stat_changes(tmp_path: Path) -> None:
    """A refresh with nothing changed reads nothing: an edit that keeps size, modification time
    and inode goes unseen until a reload is requested, then it applies."""
    path = write(tmp_path, "acme", name="Acme")
    clients = ClientDirectory(tmp_path, env=ENV)
    assert clients["acme"].config.name == "Acme"
    before = path.stat()
    with path.open("r+", encoding="utf-8") as handle:  # same size, same inode
        handle.write(CLIENT.format(name="Abcd", poll=15))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert clients.refresh() == Changes()
    assert clients["acme"].config.name == "Acme"
    clients.request_reload()
    assert clients.refresh() == Changes(changed=("acme",))
    assert clients["acme"].config.name == "Abcd"


def test_added_changed_and_removed_clients_are_applied_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A new file is a client added, an edited one a client changed, a deleted one a client
    removed; each says so in the log."""
    write(tmp_path, "acme")
    clients = ClientDirectory(tmp_path, env=ENV)
    caplog.set_level(logging.INFO, logger="syncd.clientdir")
    write(tmp_path, "globex")
    write(tmp_path, "acme", poll=5)
    assert clients.refresh() == Changes(added=("globex",), changed=("acme",))
    assert clients["acme"].config.poll_minutes == 5
    (tmp_path / "globex.toml").unlink()
    assert clients.refresh() == Changes(removed=("globex",))
    assert list(clients) == ["acme"]
    assert "client globex added" in caplog.text
    assert "client acme changed" in caplog.text
    assert "client globex removed" in caplog.text


def test_a_broken_file_harms_only_itself_and_keeps_its_last_good_version(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file that breaks is logged as that file's problem; its client keeps running on the
    last good configuration, a new broken file adds nothing, and the others run on."""
    write(tmp_path, "acme")
    write(tmp_path, "globex", name="Globex")
    clients = ClientDirectory(tmp_path, env=ENV)
    caplog.set_level(logging.INFO, logger="syncd.clientdir")
    (tmp_path / "acme.toml").write_text("name = [\n", encoding="utf-8")
    (tmp_path / "initech.toml").write_bytes(b"name = \xff\n")
    changes = clients.refresh()
    assert changes == Changes(broken=("acme", "initech"))
    assert sorted(clients) == ["acme", "globex"]
    assert clients["acme"].config.name == "Acme"
    assert clients.files["acme"].config is None and clients.files["acme"].problems
    assert "acme.toml cannot be loaded (it keeps running as before): (toml):" in caplog.text
    assert "initech.toml cannot be loaded: (file): byte 7: not UTF-8 text" in caplog.text
    write(tmp_path, "acme", name="Acme again")
    assert clients.refresh() == Changes(changed=("acme",))
    assert clients["acme"].config.name == "Acme again"
