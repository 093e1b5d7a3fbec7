"""`Sandbox`: the simulator running in a background thread on loopback, with the handles
tests and the demo use to look inside and to steer it."""

from __future__ import annotations

import random
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from syncd.sandbox import team
from syncd.sandbox.app import build_app
from syncd.sandbox.chat import ChatInbox
from syncd.sandbox.config import Creds, Faults, SandboxConfig
from syncd.sandbox.context import Context
from syncd.sandbox.state import State, Webhook
from syncd.sandbox.webhooks import Delivery, Dispatcher
from syncd.sandbox.world import generate

STARTUP_TIMEOUT_S = 30.0


class Sandbox:
    """A local Jira (Cloud and Data Center) and Trello. Use as a context manager.

    >>> with Sandbox(SandboxConfig(jira_issues=10)) as sb:
    ...     sb.jira_cloud_url.endswith("/cloud")
    True
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.ctx = Context(
            config=self.config,
            state=generate(self.config),
            dispatcher=Dispatcher(),
            faults=self.config.faults,
            latency_ms=self.config.latency_ms,
            team_rng=random.Random(self.config.seed + 1),
        )

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Sandbox:
        """Bind (a free port unless configured), serve in a thread, return when ready."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.config.host, self.config.port))
        sock.listen(512)
        self._socket = sock
        host, port = sock.getsockname()[:2]
        self.ctx.base_url = f"http://{host}:{port}"
        if self.config.story:  # the demo's item links open the sandbox's own pages
            self.ctx.state.trello_site = f"{self.ctx.base_url}/trello"
        app = build_app(self.ctx)
        config = uvicorn.Config(
            app,
            http="h11",
            loop="asyncio",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving, drop webhook deliveries not yet sent, free the port."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self.ctx.dispatcher.stop()
        self._server = self._thread = self._socket = None

    def serve_forever(self) -> None:
        """Block until interrupted (the standalone command uses this)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return self.ctx.base_url

    @property
    def jira_cloud_url(self) -> str:
        """Jira Cloud's base (`/cloud/rest/api/3/...` below it)."""
        return self.url + "/cloud"

    @property
    def jira_dc_url(self) -> str:
        """Jira Data Center's base (`/dc/rest/api/2/...` below it)."""
        return self.url + "/dc"

    @property
    def atlassian_auth_url(self) -> str:
        """Stands in for `https://auth.atlassian.com` (`/oauth/token` below it)."""
        return self.url + "/auth"

    @property
    def atlassian_api_url(self) -> str:
        """Stands in for `https://api.atlassian.com` (`/oauth/token/accessible-resources`,
        `/ex/jira/{cloudId}/rest/api/3/...` below it)."""
        return self.url + "/api"

    @property
    def jira_oauth_url(self) -> str:
        """The Cloud site's base for OAuth apps: `/api/ex/jira/{cloudId}`."""
        return f"{self.atlassian_api_url}/ex/jira/{self.ctx.state.oauth.cloud_id}"

    @property
    def trello_url(self) -> str:
        """Trello's API base (`/trello/1/boards/...`)."""
        return self.url + "/trello/1"

    @property
    def creds(self) -> Creds:
        """The credentials the sandbox accepts."""
        return self.config.creds

    @property
    def state(self) -> State:
        """The live world; hold `state.lock` while editing it."""
        return self.ctx.state

    @property
    def board_ids(self) -> list[str]:
        """The Trello board ids."""
        return list(self.ctx.state.boards)

    @property
    def chat(self) -> ChatInbox:
        """The Slack and Teams messages the sandbox's chat webhooks took (and refused)."""
        return self.ctx.chat

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery queued so far, with its outcome."""
        return list(self.ctx.dispatcher.deliveries)

    def advance(self, hours: float = 0, *, minutes: float = 0, days: float = 0) -> dict[str, int]:
        """Advance the simulated clock; the team moves work along and webhooks fire."""
        total = hours + minutes / 60 + days * 24
        return team.advance(self.ctx, self.ctx.team_rng, total)

    def set_faults(self, faults: Faults) -> None:
        """Replace the injected faults (the dice are re-seeded)."""
        self.ctx.faults = faults

    def set_latency(self, ms: int) -> None:
        """Added latency per request, in milliseconds."""
        self.ctx.latency_ms = ms

    def stats(self) -> dict[str, Any]:
        """Requests per route and credential, bytes out, faults, and the write log."""
        return self.ctx.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters."""
        self.ctx.stats.reset()

    def register_jira_webhook(
        self, url: str, secret: str | None = None, *, dc: bool = False
    ) -> str:
        """An admin webhook for every issue event; signed with `secret` when given."""
        with self.ctx.state.lock:
            hooks = self.ctx.state.jira_webhooks
            hook = Webhook(
                id=str(len(hooks) + 1),
                callback_url=url,
                secret=secret,
                flavour="dc" if dc else "cloud",
            )
            hooks.append(hook)
        return hook.id

    def flush_webhooks(self, timeout: float = 30.0) -> bool:
        """Wait until queued webhook deliveries have been attempted."""
        return self.ctx.dispatcher.flush(timeout)
