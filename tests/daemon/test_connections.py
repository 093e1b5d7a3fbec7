"""The daemon as a real process under hostile connections: a 500 MB webhook body, thousands of
idle and slowloris sockets. It stays small, keeps answering and takes signed deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from tests.daemon import harness as h

JIRA = "/webhooks/jira/acme/acme-jira"
DEFAULT_SOFT_LIMIT = 1024  # the soft open files limit most shells start a service with


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=5, jira_issues=5, trello_cards=5, projects=("ACME",))) as sb:
        yield sb


def start(dep: h.Deployment, **env: str) -> subprocess.Popen[bytes]:
    """`syncd run` with the usual low soft limit on open files (the hard limit as it is)."""

    def low_limit() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(DEFAULT_SOFT_LIMIT, hard), hard))

    dep.webhooks = False
    dep.write_clients([("acme", "ACME", dep.sandbox.board_ids[0])], poll=60)
    log = (dep.root / "daemon.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "syncd", "run"],
        env={**dep.env(), **env},
        stdout=log,
        stderr=log,
        cwd=dep.root,
        preexec_fn=low_limit,
    )
    dep.procs.append(proc)
    h.wait_for(lambda: h.port_open(dep.port) or proc.poll() is not None, 60, "daemon port")
    assert proc.poll() is None, dep.log_tail()
    return proc


def signed_delivery(dep: h.Deployment, delivery: str) -> httpx.Response:
    body = json.dumps({"webhookEvent": "jira:issue_updated", "delivery": delivery}).encode()
    secret = h.SECRETS["H_JIRA_HOOK"].encode()
    headers = {
        "X-Hub-Signature": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        "X-Atlassian-Webhook-Identifier": delivery,
    }
    return httpx.post(dep.url + JIRA, content=body, headers=headers, timeout=60)


def rss(proc: subprocess.Popen[bytes]) -> int:
    return int(psutil.Process(proc.pid).memory_info().rss)


def post_streamed(port: int, total: int, *, chunked: bool) -> tuple[bytes, int]:
    """POST `total` bytes to the Jira webhook from a generator, never more than 64 KiB of it in
    memory, reading the answer meanwhile; (what came back, bytes sent before it stopped)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    head = f"POST {JIRA} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    sent = [0]

    def send() -> None:
        block = b"7" * 65536
        frame = b"%x\r\n%b\r\n" % (len(block), block) if chunked else block
        try:
            sock.sendall(head.encode())
            while sent[0] < total:
                sock.sendall(frame)
                sent[0] += len(block)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server closed the connection: the point
            return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except OSError:
        pass
    sender.join(timeout=120)
    sock.close()
    return answer, sent[0]


def test_a_500_mb_webhook_body_is_refused_unread_and_memory_stays_flat(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A 500 MB body, streamed chunked or announced by Content-Length, is answered 413; the
    daemon's resident memory ends within 50 MB of where it was, and it still takes deliveries."""
    dep = h.Deployment(tmp_path, sandbox)
    proc = start(dep)
    try:
        assert signed_delivery(dep, "warm-up").status_code == 202
        before = rss(proc)
        for chunked in (True, False):
            answer, sent = post_streamed(dep.port, 500_000_000, chunked=chunked)
            assert answer.startswith(b"HTTP/1.1 413"), (answer[:200], dep.log_tail())
            assert sent < 500_000_000
        after = rss(proc)
        assert after - before < 50_000_000, (before, after)
        assert signed_delivery(dep, "after").status_code == 202
    finally:
        dep.kill_all()


def raise_own_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.fail(f"this test needs {wanted} open files; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))


def drip(sockets: list[socket.socket], stop: threading.Event) -> None:
    """Slowloris: a request's headers (or body), one byte every half second, never finished."""
    header = b"X-Slow: " + b"a" * 1000
    for sock in sockets[10:]:
        sock.sendall(b"POST " + JIRA.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    for byte in header:
        if stop.wait(0.5):
            return
        for sock in sockets:
            try:
                sock.send(bytes([byte]))
            except OSError:
                continue


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.mark.slow
def test_two_thousand_idle_connections_leave_the_daemon_answering(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """With 2,000 idle connections and 50 slowloris ones open (40 dripping headers, 10 a body;
    on a daemon started with a soft limit of 1,024 open files), /healthz answers and a signed
    delivery is accepted; the server closes the idle and slow sockets after the header and body
    timeouts, and no log floods."""
    raise_own_limit(2600)
    dep = h.Deployment(tmp_path, sandbox)
    limits = {"SYNCD_HTTP_HEADER_TIMEOUT": "3", "SYNCD_HTTP_BODY_TIMEOUT": "3"}
    start(dep, SYNCD_HTTP_MAX_CONNECTIONS="1500", **limits)
    idle: list[socket.socket] = []
    slow: list[socket.socket] = []
    stop = threading.Event()
    try:
        for _ in range(2000):
            idle.append(socket.create_connection(("127.0.0.1", dep.port), timeout=30))
        slow = [socket.create_connection(("127.0.0.1", dep.port), timeout=30) for _ in range(50)]
        for sock in slow[:10]:  # these finish their headers, then stall in the body
            head = f"POST {JIRA} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{{"
            sock.sendall(head.encode())
        dripper = threading.Thread(target=drip, args=(slow, stop), daemon=True)
        dripper.start()
        health = httpx.get(dep.url + "/healthz", timeout=30)
        assert health.status_code == 200, dep.log_tail()
        assert signed_delivery(dep, "under-load").status_code == 202
        h.wait_for(lambda: all(closed_by_server(s) for s in idle + slow), 60, "idle sockets closed")
        stop.set()
        dripper.join(timeout=10)
        assert httpx.get(dep.url + "/healthz", timeout=30).status_code == 200
    finally:
        stop.set()
        for sock in idle + slow:
            sock.close()
        dep.kill_all()
    log = dep.log_tail(200_000)
    assert log.count("open files") <= 3 and "Traceback" not in log, log[-4000:]
