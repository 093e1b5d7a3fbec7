"""Atlassian OAuth 2.0 (3LO) for Jira Cloud: access tokens bought with a rotating refresh token,
and the site's address on the API gateway.

An OAuth app calls Jira at ``{api_url}/ex/jira/{cloudId}/rest/...`` with
``Authorization: Bearer <access token>``. An access token lives about an hour; the refresh token
that buys the next one is rotated on every use, so the newest is kept in the store (a `Keeper`)
and tried before the one in the environment, which works only until its first use. Access
tokens and cloud ids are shared by every connector of the process with the same grant, so a
pull every few minutes does not rotate the refresh token every few minutes.

    auth = AtlassianOAuth(Grant.of(config, secrets), keeper=keeper, transport=transport)
    client = make_client(auth.gateway, auth=auth)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from syncd import redact
from syncd.clock import SYSTEM, Clock
from syncd.connectors.config import Secrets
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.kinds import Keeper as Keeper  # re-exported: the protocol is generic
from syncd.errors import AuthError, ConfigError, TransientError
from syncd.http import DEFAULT_TIMEOUT, classify

log = logging.getLogger(__name__)

PENDING = "-"  # the cloud id in a gateway path until the grant has named the site's
EARLY = 60.0  # seconds before its stated expiry that an access token is renewed
GATE_POLL = 0.02  # seconds between looks at a grant another thread is refreshing
SCOPES = "read:jira-work write:jira-work read:jira-user manage:jira-webhook offline_access"


class MemoryKeeper:
    """A keeper for one process (tests, one-off commands without a store)."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    def load(self, grant: str) -> str | None:
        return self.tokens.get(grant)

    def save(self, grant: str, refresh_token: str) -> None:
        self.tokens[grant] = refresh_token


@dataclass(frozen=True)
class Grant:
    """One connector's OAuth app and grant, as configured."""

    site: str
    client_id: str
    client_secret: str
    refresh_token: str
    refresh_env: str
    auth_url: str
    api_url: str
    cloud_id: str | None

    @classmethod
    def of(cls, config: JiraConfig, secrets: Secrets) -> Grant:
        values = {n: secrets.value(n) for n in ("client_id", "client_secret", "refresh_token")}
        missing = [f"{n}_env" for n, v in values.items() if not v]
        if missing:
            raise ConfigError(f"{config.id}: OAuth needs {', '.join(missing)} set")
        return cls(
            site=config.url,
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            refresh_token=values["refresh_token"],
            refresh_env=config.refresh_token_env or "",
            auth_url=config.auth_url,
            api_url=config.api_url,
            cloud_id=config.cloud_id,
        )

    def __repr__(self) -> str:
        return f"Grant(site={self.site!r}, auth_url={self.auth_url!r})"

    @property
    def key(self) -> str:
        """Who the grant is: the app and the refresh token it began with. Connectors that share
        a grant (several sites of one consent, several clients on one site) share its rotations
        and its access tokens; a grant authorised again begins a new key."""
        material = "\n".join((self.auth_url, self.client_id, self.refresh_token))
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass
class _Access:
    token: str
    until: float  # on the monotonic seconds of the refreshing connector's clock


_ACCESS: dict[str, _Access] = {}
_CLOUD_IDS: dict[tuple[str, str], str] = {}
_SHARED = threading.Lock()


_GATES: dict[str, threading.Lock] = {}


def _gate(grant: str) -> threading.Lock:
    """The lock that lets one thread at a time refresh `grant`."""
    with _SHARED:
        return _GATES.setdefault(grant, threading.Lock())


def forget_cached() -> None:
    """Drop every cached access token and cloud id (tests; a re-authorised grant)."""
    with _SHARED:
        _ACCESS.clear()
        _CLOUD_IDS.clear()


class AtlassianOAuth(httpx.Auth):
    """httpx auth for an Atlassian OAuth grant: Bearer access tokens renewed before they lapse
    and once more on a 401; the gateway path's cloud id filled in from the grant."""

    def __init__(
        self,
        grant: Grant,
        *,
        keeper: Keeper | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.grant = grant
        self.keeper: Keeper = keeper or MemoryKeeper()
        self.transport = transport
        self.clock = clock  # when an access token lapses, how long a wait for the gate lasts
        self.requests = 0  # to the token endpoint and accessible-resources
        self._lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"AtlassianOAuth({self.grant!r})"

    @property
    def gateway(self) -> str:
        """The base URL of the site's REST API on the gateway."""
        return f"{self.grant.api_url}/ex/jira/{self.grant.cloud_id or PENDING}"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
        raise RuntimeError("AtlassianOAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.access_token()
        await self._address(request, token)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self.access_token(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    async def access_token(self, *, stale: str | None = None) -> str:
        """A live access token; `stale` is one the site refused, never handed out again. One
        refresh at a time per grant in the process: the others wait and take its token."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            cached = self._cached(stale)
            if cached is not None:
                return cached
            gate = _gate(self.grant.key)
            while not gate.acquire(blocking=False):  # polled: a cancelled wait holds nothing
                await self.clock.pause(GATE_POLL)
            try:
                cached = self._cached(stale)  # another thread may have refreshed meanwhile
                if cached is not None:
                    return cached
                access = await self._refresh()
                with _SHARED:
                    _ACCESS[self.grant.key] = access
                return access.token
            finally:
                gate.release()

    def _cached(self, stale: str | None) -> str | None:
        with _SHARED:
            cached = _ACCESS.get(self.grant.key)
        if cached and cached.token != stale and self.clock.monotonic() < cached.until:
            return cached.token
        return None

    async def _refresh(self) -> _Access:
        """Trade the newest refresh token known for an access token and its successor. A token
        refused as used may have been rotated by another process: the keeper is read again."""
        tried: set[str] = set()
        while True:
            candidates = [
                t
                for t in (self.keeper.load(self.grant.key), self.grant.refresh_token)
                if t and t not in tried
            ]
            if not candidates:
                raise AuthError(
                    f"{self.grant.site}: the OAuth refresh token was refused (revoked, unused for "
                    f"90 days, or its grant withdrawn): authorise syncd's app again and set "
                    f"{self.grant.refresh_env} to the new refresh token",
                    status=403,
                    service="atlassian-auth",
                )
            token = candidates[0]
            redact.remember(token, lasting=False)  # a refresh token read back from the store
            tried.add(token)
            answer = await self._token_request(token)
            if answer is None:
                continue
            successor = answer.get("refresh_token")
            redact.remember(answer["access_token"], lasting=False)
            if isinstance(successor, str) and successor and successor != token:
                redact.remember(successor, lasting=False)
                try:
                    self.keeper.save(self.grant.key, successor)
                except Exception:
                    log.error(
                        "%s: the rotated OAuth refresh token could not be stored; the next "
                        "refresh after a restart will be refused",
                        self.grant.site,
                        exc_info=True,
                    )
            lifetime = float(answer.get("expires_in") or 3600)
            return _Access(
                str(answer["access_token"]), self.clock.monotonic() + max(lifetime - EARLY, 1.0)
            )

    async def _token_request(self, refresh_token: str) -> dict[str, Any] | None:
        """POST the refresh grant; None when this refresh token is unknown or used up."""
        body = {
            "grant_type": "refresh_token",
            "client_id": self.grant.client_id,
            "client_secret": self.grant.client_secret,
            "refresh_token": refresh_token,
        }
        response = await self._send("POST", f"{self.grant.auth_url}/oauth/token", json=body)
        if response.status_code in (400, 403) and _oauth_error(response) == "invalid_grant":
            return None
        if response.status_code == 401 or _oauth_error(response) in (
            "access_denied",
            "invalid_client",
            "unauthorized_client",
        ):
            raise AuthError(
                f"{self.grant.site}: the OAuth app's client id or secret was refused",
                status=response.status_code,
                service="atlassian-auth",
            )
        classify(response, service="atlassian-auth", clock=self.clock)
        answer = response.json()
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise TransientError(
                "the token endpoint answered without an access token",
                status=response.status_code,
                service="atlassian-auth",
            )
        return answer

    async def _address(self, request: httpx.Request, token: str) -> None:
        """Put the site's cloud id in place of `PENDING` in a gateway path."""
        marker = f"/ex/jira/{PENDING}/"
        if marker not in request.url.path:
            return
        cloud_id = await self.cloud_id(token)
        request.url = request.url.copy_with(
            path=request.url.path.replace(marker, f"/ex/jira/{cloud_id}/", 1)
        )

    async def cloud_id(self, token: str | None = None) -> str:
        """The configured cloud id, else the one of the grant's sites whose URL is `site`."""
        if self.grant.cloud_id:
            return self.grant.cloud_id
        with _SHARED:
            known = _CLOUD_IDS.get((self.grant.key, self.grant.site))
        if known:
            return known
        token = token or await self.access_token()
        response = await self._send(
            "GET",
            f"{self.grant.api_url}/oauth/token/accessible-resources",
            headers={"Authorization": f"Bearer {token}"},
        )
        classify(response, service="atlassian-auth", clock=self.clock)
        sites = response.json()
        for site in sites if isinstance(sites, list) else []:
            if isinstance(site, dict) and str(site.get("url", "")).rstrip("/") == self.grant.site:
                found = str(site["id"])
                with _SHARED:
                    _CLOUD_IDS[(self.grant.key, self.grant.site)] = found
                return found
        covered = ", ".join(str(s.get("url")) for s in (sites if isinstance(sites, list) else []))
        raise AuthError(
            f"the OAuth grant does not cover {self.grant.site} (it covers: {covered or 'no site'})",
            status=403,
            service="atlassian-auth",
        )

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        try:
            async with httpx.AsyncClient(
                timeout=DEFAULT_TIMEOUT, transport=self.transport, follow_redirects=False
            ) as client:
                return await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise TransientError(
                f"{redact.where(method, url)}: {type(exc).__name__}", service="atlassian-auth"
            ) from exc


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""
