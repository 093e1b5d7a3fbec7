"""A running `syncd run` follows its client files: added, changed (on change or SIGHUP),
removed or broken, and says so in its log."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from syncd.web.auth import create_token
from tests.daemon import harness as h


@pytest.fixture
def dep(tmp_path: Path) -> Iterator[h.Deployment]:
    """A sandbox of two projects and two boards; a deployment whose one client is alpha."""
    config = SandboxConfig(seed=4, jira_issues=30, trello_cards=12, boards=2)
    with Sandbox(config) as sandbox:
        dep = h.Deployment(tmp_path, sandbox)
        dep.write_clients([("alpha", "ACME", sandbox.board_ids[0])], poll=60)
        try:
            yield dep
        finally:
            dep.kill_all(signal.SIGTERM)


def client_file(dep: h.Deployment, cid: str, project: str, board: str) -> str:
    return h.CLIENT.format(
        name=cid.title(),
        cid=cid,
        project=project,
        board=board,
        poll=60,
        sandbox=dep.sandbox.url,
        account="",
    )


def put(dep: h.Deployment, cid: str, text: str) -> None:
    """Write a client file whole (a new file renamed into place, as deploy tools do)."""
    folder = dep.root / "config" / "clients"
    (folder / f".{cid}.part").write_text(text, encoding="utf-8")
    (folder / f".{cid}.part").replace(folder / f"{cid}.toml")


def pulled_and_pushed(dep: h.Deployment, cid: str, project: str, issue: str) -> None:
    """Wait until every issue of `project` is stored for `cid` and `issue` holds its status."""
    engine = dep.engine()
    want = h.jira_count(dep.sandbox, project)
    try:
        h.wait_for(
            lambda: (
                h.stored_counts(engine).get(f"{cid}-jira") == want
                and (cid, f"{cid}-jira", issue) in h.pushed_targets(engine)
            ),
            90,
            f"{cid} pulled ({want} issues) and pushed to {issue}\n{dep.log_tail()}",
        )
    finally:
        engine.dispose()


def logged(dep: h.Deployment, line: str) -> None:
    h.wait_for(lambda: line in dep.log_tail(200_000), 30, f"{line!r} in the log")


def test_files_added_removed_and_broken_while_running(dep: h.Deployment) -> None:
    """A client file added while the daemon runs is pulled, pushed, on the dashboard and gets
    its webhooks; a removed one is logged as removed; a broken one is logged as that file's
    problem and shown as a configuration problem while the daemon keeps serving."""
    proc = dep.start("run")
    pulled_and_pushed(dep, "alpha", "ACME", "ACME-1")
    put(dep, "beta", client_file(dep, "beta", "BETA", dep.sandbox.board_ids[1]))
    pulled_and_pushed(dep, "beta", "BETA", "BETA-1")
    logged(dep, "client beta added")
    engine = dep.engine()
    token = create_token(engine, name="admin")
    beta = {("beta", "beta-jira"), ("beta", "beta-board")}
    h.wait_for(lambda: beta <= h.registered_webhooks(engine), 30, "beta's webhooks registered")
    engine.dispose()
    with httpx.Client(base_url=dep.url, headers={"Authorization": f"Bearer {token}"}) as http:
        listed = {row["id"]: row["name"] for row in http.get("/api/clients").json()["clients"]}
        assert listed == {"alpha": "Alpha", "beta": "Beta"}
        (dep.root / "config" / "clients" / "gamma.toml").write_text("name = [\n")
        (dep.root / "config" / "clients" / "alpha.toml").unlink()
        logged(dep, "client alpha removed")
        logged(dep, "client file gamma.toml cannot be loaded: (toml):")
        answer = http.get("/api/clients/gamma/health")
        assert answer.status_code == 200
        assert answer.json()["problems"][0]["kind"] == "config"
        assert http.get("/healthz").status_code == 200
    assert proc.poll() is None


def test_sighup_reads_every_file_again(dep: h.Deployment) -> None:
    """An edit that keeps the file's size and modification time is applied on SIGHUP: the
    client changed, it is pulled again and its status goes to the issue it now names."""
    proc = dep.start("run")
    pulled_and_pushed(dep, "alpha", "ACME", "ACME-1")
    path = dep.root / "config" / "clients" / "alpha.toml"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace('issues = ["ACME-1"]', 'issues = ["ACME-2"]')
    assert len(edited) == len(text) and edited != text
    with path.open("r+", encoding="utf-8") as handle:
        handle.write(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    proc.send_signal(signal.SIGHUP)
    logged(dep, "client alpha changed")
    pulled_and_pushed(dep, "alpha", "ACME", "ACME-2")
    assert proc.poll() is None
