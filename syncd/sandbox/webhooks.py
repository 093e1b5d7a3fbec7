"""Webhook deliveries: Jira admin webhooks (HMAC-SHA256 `X-Hub-Signature` when a secret is set),
Jira dynamic webhooks of OAuth apps (`Authorization: Bearer <HS256 JWT>` signed with the app's
client secret) and Trello webhooks (`X-Trello-Webhook`: base64 HMAC-SHA1 over body + callbackURL).

Deliveries go out from one background thread over httpx; failures (connection errors, 408,
409, 425, 429, 5xx) are retried a few times with `X-Atlassian-Webhook-Retry` on Jira retries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))
JWT_LIFETIME_S = 180


@dataclass
class Delivery:
    """One webhook POST to make, and how it went."""

    url: str
    body: bytes
    headers: dict[str, str]
    kind: str
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def trello_signature(secret: str, body: bytes, callback_url: str) -> str:
    """Trello's `X-Trello-Webhook` header value."""
    digest = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def jira_signature(secret: str, body: bytes) -> str:
    """Jira admin webhooks' `X-Hub-Signature` value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def jwt_hs256(secret: str, claims: dict[str, Any]) -> str:
    """A compact HS256 JWT (base64url without padding) over `claims`."""
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{b64url(compact_json(header))}.{b64url(compact_json(claims))}"
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(digest)}"


def b64url(raw: bytes) -> str:
    """base64url without `=` padding, as JWTs write it."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def compact_json(value: dict[str, Any]) -> bytes:
    """JSON without spaces."""
    return json.dumps(value, separators=(",", ":")).encode()


def jira_headers() -> dict[str, str]:
    """The headers every Jira delivery carries."""
    return {
        "Content-Type": "application/json",
        "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
    }


class Dispatcher:
    """Sends deliveries in a background thread; `flush()` waits until all are done."""

    def __init__(self, *, attempts: int = 3, backoff_s: float = 0.2) -> None:
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        """Start the sending thread (idempotent)."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop at once: deliveries still queued are dropped (`flush` first to wait for them)."""
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery has been attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def send_jira(self, url: str, payload: dict[str, Any], secret: str | None) -> None:
        """Queue a Jira admin webhook delivery."""
        body = json.dumps(payload).encode()
        headers = jira_headers()
        if secret:
            headers["X-Hub-Signature"] = jira_signature(secret, body)
        self._put(Delivery(url, body, headers, "jira"))

    def send_jira_app(
        self, url: str, payload: dict[str, Any], *, client_id: str, client_secret: str
    ) -> None:
        """Queue a dynamic webhook delivery to an OAuth app, with a JWT it can verify."""
        issued = int(time.time())
        claims = {"iss": client_id, "iat": issued, "exp": issued + JWT_LIFETIME_S}
        headers = jira_headers()
        headers["Authorization"] = "Bearer " + jwt_hs256(client_secret, claims)
        self._put(Delivery(url, json.dumps(payload).encode(), headers, "jira"))

    def send_trello(self, url: str, payload: dict[str, Any], secret: str) -> None:
        """Queue a Trello webhook delivery."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Trello-Webhook": trello_signature(secret, body, url),
        }
        self._put(Delivery(url, body, headers, "trello"))

    def _put(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
        self.start()
        self._queue.put(delivery)

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while True:
                delivery = self._queue.get()
                try:
                    if delivery is None or self._stopping.is_set():
                        return
                    self._deliver(client, delivery)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        for attempt in range(self.attempts):
            if self._stopping.is_set():
                return
            headers = dict(delivery.headers)
            if attempt and delivery.kind == "jira":
                headers["X-Atlassian-Webhook-Retry"] = str(attempt)
            delivery.attempts = attempt + 1
            try:
                response = client.post(delivery.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                delivery.error = type(exc).__name__
                delivery.status = None
            else:
                delivery.status = response.status_code
                delivery.error = None
                if response.status_code not in RETRY_STATUSES:
                    return
            self._stopping.wait(self.backoff_s * (attempt + 1))
        log.warning("%s webhook delivery gave up after %d attempts", delivery.kind, self.attempts)
