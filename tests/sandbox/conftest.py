"""Shared sandboxes and clients for the sandbox tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A small sandbox shared by a test module (tests must not depend on each other's writes)."""
    with Sandbox(SandboxConfig(seed=7, jira_issues=300, trello_cards=120, boards=2)) as sb:
        yield sb


@pytest.fixture
def cloud(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for Jira Cloud v3 with the sandbox's API token."""
    auth = (sandbox.creds.jira_email, sandbox.creds.jira_token)
    with httpx.Client(base_url=sandbox.jira_cloud_url + "/rest/api/3", auth=auth) as client:
        yield client


@pytest.fixture
def dc(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for Jira Data Center v2 with the sandbox's PAT."""
    headers = {"Authorization": f"Bearer {sandbox.creds.jira_pat}"}
    with httpx.Client(base_url=sandbox.jira_dc_url + "/rest/api/2", headers=headers) as client:
        yield client


@pytest.fixture
def trello(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for Trello with the sandbox's key and token."""
    params = {"key": sandbox.creds.trello_key, "token": sandbox.creds.trello_token}
    with httpx.Client(base_url=sandbox.trello_url, params=params) as client:
        yield client


class Receiver:
    """A real HTTP server on loopback that records webhook deliveries."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self.send_response(200 if self.path != "/missing" else 404)
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((self.path, dict(self.headers), body))
                failing = len(receiver.received) <= receiver.fail_first
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver that answers 200."""
    r = Receiver()
    yield r
    r.close()
