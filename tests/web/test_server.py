"""The daemon's HTTP server: read deadlines, the connection cap, the open files limit, and
accept errors logged once in a while."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from syncd.web.server import OPEN_FILES_WANTED, AcceptErrors, Limits, build_server
from tests.daemon.harness import free_port, port_open, wait_for


async def hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


@pytest.fixture
def url() -> Iterator[str]:
    """A guarded server on a free port: half-second deadlines, at most 16 connections."""
    app = Starlette(routes=[Route("/", hello)])
    port = free_port()
    server = build_server(app, "127.0.0.1", port, Limits(0.5, 0.5, 16))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: port_open(port), 30, "server port")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_a_slow_header_after_a_keep_alive_request_is_cut_off(url: str) -> None:
    """A connection that was served once, then drips the next request's headers, is closed
    (uvicorn alone stops every timer at the first byte)."""
    sock = connect(url)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET / HTTP/1.1\r\n")

    def dripped_and_closed() -> bool:
        try:
            sock.send(b"X")
        except OSError:
            return True
        return False

    wait_for(dripped_and_closed, 30, "the slow connection closed", every=0.1)
    sock.close()


def test_past_the_cap_waiting_connections_make_room(url: str) -> None:
    """With 40 connections that never send a request, on a server keeping 16, a new request
    is still answered, and the oldest waiting connections were closed to make room."""
    idle = [connect(url) for _ in range(40)]
    try:
        assert httpx.get(url, timeout=30).text == "hello"
        assert sum(closed_by_server(s) for s in idle[:20]) >= 20
    finally:
        for sock in idle:
            sock.close()


def test_accept_errors_are_logged_once_in_a_while_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A thousand EMFILE accepts make one log line; the next report, once due, counts the rest;
    other loop errors reach the default handler."""
    handler = AcceptErrors(every=3600)
    loop = asyncio.new_event_loop()
    caplog.set_level(logging.DEBUG)
    emfile = OSError(errno.EMFILE, "Too many open files")
    context = {"message": "socket.accept() out of system resource", "exception": emfile}
    try:
        for _ in range(1000):
            handler(loop, context)
        reports = [r.getMessage() for r in caplog.records if "cannot accept" in r.getMessage()]
        assert reports == [
            "cannot accept connections: Too many open files (1 time(s) since the last report)"
        ]
        handler.logged_at -= 3600  # the next report is due
        handler(loop, context)
        assert "(1000 time(s) since the last report)" in caplog.records[-1].getMessage()
        handler(loop, {"message": "something else", "exception": ValueError("x")})
        assert caplog.records[-1].getMessage() == "something else"
    finally:
        loop.close()


def test_the_open_files_limit_is_raised_from_a_low_soft_limit() -> None:
    """A process started with a soft limit of 256 open files raises it (up to the hard limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

    def low() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    code = (
        "import resource; from syncd.web.server import raise_open_files_limit as r;"
        "print(r(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], preexec_fn=low, capture_output=True, text=True, check=True
    ).stdout.split()
    expected = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(OPEN_FILES_WANTED, hard)
    assert out == [str(expected), str(expected)]
