"""Atlassian OAuth 2.0 (3LO) as the sandbox keeps it: registered apps, rotating refresh
tokens, and access tokens that expire on the simulated clock.

A used refresh token still works for `REUSE_INTERVAL` of simulated time, as Atlassian's rotating
refresh tokens have a reuse window: a client that lost the answer to a refresh can ask again
with the same token instead of being locked out. Past the window it is refused.

Tests set an app up without a browser: `register_app` then `grant`, which hands back the
refresh token the consent flow would have produced (for the bot account Cloud Basic auth
uses, so `/myself` answers the same user).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.sandbox.clock import SimClock

CLOUD_ID = "7b9d3c1e-5a4f-4e2b-9c8d-0f1e2d3c4b5a"
SCOPES = "read:jira-work write:jira-work read:jira-user manage:jira-webhook offline_access"
DEFAULT_ACCESS_TTL_S = 3600
REUSE_INTERVAL = timedelta(minutes=10)


class OAuthError(Exception):
    """A refused token request: `status` and the OAuth `error` code."""

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(description or error)
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class App:
    """A registered OAuth 2.0 integration."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AccessToken:
    """An issued access token: whose, and until when (simulated clock)."""

    client_id: str
    expires: datetime


@dataclass(frozen=True)
class Grant:
    """What a successful refresh hands out."""

    access_token: str
    refresh_token: str
    expires_in: int


class OAuth:
    """Apps, refresh tokens (single use) and access tokens; thread-safe."""

    def __init__(self, clock: SimClock, *, cloud_id: str = CLOUD_ID) -> None:
        self.clock = clock
        self.cloud_id = cloud_id
        self.access_ttl = DEFAULT_ACCESS_TTL_S
        self.apps: dict[str, App] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> client id
        self._used: dict[str, tuple[str, datetime]] = {}  # refresh token -> client id, used at
        self._access: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def register_app(self, client_id: str, client_secret: str) -> None:
        """Add (or re-key) an app."""
        with self._lock:
            self.apps[client_id] = App(client_id, client_secret)

    def grant(self, client_id: str, token: str | None = None) -> str:
        """A fresh refresh token, as if the user had just consented to `client_id`; `token`
        chooses its value (the demo's is fixed, so that its commands can be given it)."""
        with self._lock:
            if client_id not in self.apps:
                raise KeyError(f"unknown OAuth app {client_id!r}; register_app it first")
            if token is not None:
                self._refresh[token] = client_id
                return token
            return self._new_refresh(client_id)

    def refresh(self, client_id: str, client_secret: str, refresh_token: str) -> Grant:
        """Trade a refresh token for an access token and a new refresh token (rotation)."""
        with self._lock:
            app = self.apps.get(client_id)
            if app is None or not secrets.compare_digest(app.client_secret, client_secret):
                raise OAuthError(401, "access_denied", "Unauthorized")
            now = self.clock.now()
            if self._refresh.get(refresh_token) == client_id:
                del self._refresh[refresh_token]
                self._used[refresh_token] = (client_id, now)
            else:
                owner, used = self._used.get(refresh_token, ("", now - 2 * REUSE_INTERVAL))
                if owner != client_id or now - used > REUSE_INTERVAL:
                    raise OAuthError(403, "invalid_grant", "Unknown or invalid refresh token.")
            access = "sbx-at-" + secrets.token_urlsafe(24)
            expires = self.clock.now() + timedelta(seconds=self.access_ttl)
            self._access[access] = AccessToken(client_id, expires)
            return Grant(access, self._new_refresh(client_id), self.access_ttl)

    def issued(self) -> set[str]:
        """Every refresh and access token handed out so far (for tests that look for leaks)."""
        with self._lock:
            return set(self._refresh) | set(self._used) | set(self._access)

    def app_for(self, access_token: str) -> App | None:
        """The app an unexpired access token belongs to, or None."""
        with self._lock:
            token = self._access.get(access_token)
            if token is None or token.expires <= self.clock.now():
                return None
            return self.apps.get(token.client_id)

    def _new_refresh(self, client_id: str) -> str:
        token = "sbx-rt-" + secrets.token_urlsafe(24)
        self._refresh[token] = client_id
        return token
