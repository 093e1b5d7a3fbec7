"""The Jira connector: Cloud (REST v3; email + API token, or an Atlassian OAuth 2.0 app) and Data
Center (REST v2, bearer PAT).

    connector = JiraConnector(config, secrets)          # transport= for respx or the sandbox
    async for page in connector.pull(since): ...         # see jira_pull
    await connector.push(status, target="ACME-1", known={})   # see jira_push

What a connector instance learns once (the field catalogue, the account's time zone) it keeps,
so a pull with nothing new costs one request from the second pull on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from syncd.clock import SYSTEM, Clock
from syncd.connectors.base import MARKER, Versions
from syncd.connectors.config import Secrets
from syncd.connectors.jira import datacenter as jira_datacenter
from syncd.connectors.jira import pull as jira_pull
from syncd.connectors.jira import push as jira_push
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.normalize import OWN_LABEL_PREFIX
from syncd.connectors.jira.oauth import AtlassianOAuth, Grant, Keeper
from syncd.connectors.jira.push import PROPERTY_KEY
from syncd.connectors.jira.session import Meta
from syncd.connectors.probe import Finding
from syncd.errors import ConfigError
from syncd.http import AdaptiveLimit, Rate, Remote, credential_key, make_client
from syncd.mapping.config import MappingConfig
from syncd.model import PullResult, PushOutcome, StatusPush

log = logging.getLogger(__name__)
# Per site and account, for every process together. Atlassian publishes no figure for API-token
# traffic ("burst rate limits", answered with 429 and Retry-After); this ceiling is syncd's own:
# above what one process's 10,000-issue pull needs (104 requests), so only workers added
# together meet it, where their 429s would otherwise multiply.
SITE_BUDGET = (1000, 10.0)


META_TTL = 3600.0  # seconds a site's field catalogue and time zone are trusted
_META_CACHE: dict[tuple[str, str, str, str, str | None], tuple[float, Meta]] = {}


class JiraConnector:
    """One configured Jira site: pulls issues matching the client's JQL, pushes the status."""

    kind = "jira"

    def __init__(
        self,
        config: JiraConfig,
        secrets: Secrets,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timezone: str = "UTC",
        keeper: Keeper | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.config = config
        self.id = config.id
        self.clock = clock
        self.cloud = config.deployment == "cloud"
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        self.timezone = ZoneInfo(timezone)
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        base = config.url
        if config.auth == "oauth":
            oauth = AtlassianOAuth(
                Grant.of(config, secrets), keeper=keeper, transport=transport, clock=clock
            )
            auth, base = oauth, oauth.gateway
            credential = f"oauth:{config.url}:{secrets.value('client_id')}"
        else:
            token = secrets.value("token")
            if not token:
                raise ConfigError(f"{config.id}: no Jira token (set {config.token_env})")
            if self.cloud:
                if not config.email:
                    raise ConfigError(f"{config.id}: Jira Cloud needs `email` beside the API token")
                auth = httpx.BasicAuth(config.email, token)
            else:
                headers["Authorization"] = f"Bearer {token}"
            credential = token
        self.client = make_client(
            base,
            auth=auth,
            headers=headers,
            connections=config.concurrency,
            transport=transport,
        )
        self.limit = AdaptiveLimit(config.concurrency)
        site = credential_key("jira", f"{config.url}\n{config.email}\n{credential}")
        rates = (Rate(site, *SITE_BUDGET),)
        self.remote = Remote(
            self.client,
            service="jira",
            budgets=rates,
            on_throttle=self.limit.throttled,
            clock=clock,
        )
        self.once = Remote(  # non-idempotent writes
            self.client, service="jira", budgets=rates, attempts=1, clock=clock
        )
        self.meta: Meta | None = None
        self._me: dict[str, Any] | None = None
        self._meta_lock = asyncio.Lock()
        self._meta_key = (
            config.url,
            config.deployment,
            credential_key("jira", credential),
            config.story_points_field,
            config.push.rag_field,
        )
        self._facts_key = hashlib.sha256(repr(self._meta_key).encode()).hexdigest()[:16]
        self._written_comments: set[str] = set()
        self._versions: Versions | None = None

    def __repr__(self) -> str:
        return f"JiraConnector(id={self.id!r}, url={self.config.url!r})"

    def _cached_meta(self) -> Meta | None:
        if self.meta is None:
            cached = _META_CACHE.get(self._meta_key)
            if cached is not None and cached[0] > self.clock.monotonic():
                self.meta = cached[1]
        return self.meta

    async def check_account(self) -> None:
        """`/myself` unless the meta is known: refused credentials cost this one request, and a
        site that counts failed logins (CAPTCHA) sees one, not one per request in flight."""
        async with self._meta_lock:
            if self._cached_meta() is None and self._me is None:
                self._me = await self.remote.json("GET", f"{self.api}/myself")

    async def load_meta(self) -> Meta:
        """The field catalogue and the account's time zone: read once, then kept for an hour.

        The cache is per process and per site, credential and field names, so the daemon, which
        builds a connector for every job, still pulls an unchanged site in one request.
        """
        await self.check_account()
        async with self._meta_lock:
            meta = self._cached_meta()
            if meta is None:
                fields = await self.remote.json("GET", f"{self.api}/field")
                meta = self.meta = Meta.read(self.config, fields, self._me or {})
                _META_CACHE[self._meta_key] = (self.clock.monotonic() + META_TTL, meta)
            return meta

    def pull(
        self,
        since: datetime | None,
        *,
        census: bool = False,
        limit: int = 0,
        resume: Sequence[str] = (),
    ) -> AsyncIterator[PullResult]:
        """Pages of issues updated at or after `since - OVERLAP` (all when None); on Cloud,
        `limit` cuts a long pull into slices and `resume` fetches the rest of one
        (`jira_pull.Slice`); Data Center pulls whole."""
        if self.cloud and resume:
            return jira_pull.pull_ids(self, resume, limit=limit)
        if self.cloud:
            return jira_pull.pull_cloud(
                self, since, census=census, limit=limit, known=self._versions
            )
        return jira_datacenter.pull_datacenter(self, since, census=census, known=self._versions)

    async def push(self, status: StatusPush, *, target: str, known: dict[str, Any]) -> PushOutcome:
        """Comment, property, labels, field and transition on `target`, each only if different."""
        return await jira_push.push(self, status, target=target, known=known)

    async def probe(self, mapping: MappingConfig) -> list[Finding]:
        """Read-only checks of the site, the credentials, the JQL, fields and status issues."""
        from syncd.connectors.jira import probe as jira_probe

        return await jira_probe.probe(self, mapping)

    def remember_comment(self, comment_id: str) -> None:
        self._written_comments.add(comment_id)

    def remember_own(self, remotes: Iterable[Mapping[str, Any]]) -> None:
        for remote in remotes:
            if remote.get("comment_id"):
                self.remember_comment(str(remote["comment_id"]))

    def recall_site(self, facts: Mapping[str, Any]) -> None:
        """What an earlier pull learned of the site (`site_facts`), kept with the cursor: the
        field catalogue and time zone, trusted for an hour from when they were read, for the
        same site, credential and field names. A pull in any process, the first of its
        process too, then costs one request when nothing changed."""
        data = facts.get("meta")
        if self.meta is not None or not isinstance(data, Mapping):
            return
        meta = Meta.load(data) if data.get("key") == self._facts_key else None
        if meta is not None and abs((datetime.now(UTC) - meta.read_at).total_seconds()) < META_TTL:
            self.meta = meta

    def site_facts(self) -> dict[str, Any]:
        """What this connector learned of its site, to keep with the cursor (`recall_site`)."""
        return {"meta": {**self.meta.dump(), "key": self._facts_key}} if self.meta else {}

    def remember_versions(self, stored: Versions) -> None:
        """How to ask the store for the `updated` it holds of some issues: an issue a pull sees
        again unchanged needs neither its worklogs nor its changelog paged again."""
        self._versions = stored

    def is_own_write(self, event: dict[str, Any]) -> bool:
        """A webhook about our status comment, our `syncd.status` property or our RAG labels."""
        kind = str(event.get("webhookEvent") or "")
        if kind.startswith("comment_"):
            comment = event.get("comment") or {}
            return str(comment.get("id")) in self._written_comments or MARKER in str(
                comment.get("body") or ""
            )
        if kind.startswith("issue_property_"):
            return str((event.get("property") or {}).get("key") or event.get("propertyKey")) == (
                PROPERTY_KEY
            )
        items = (event.get("changelog") or {}).get("items") or []
        return bool(items) and all(self._own_change(entry) for entry in items)

    def _own_change(self, entry: dict[str, Any]) -> bool:
        field = str(entry.get("fieldId") or entry.get("field") or "")
        if field == "labels":
            before = set(str(entry.get("fromString") or "").split())
            after = set(str(entry.get("toString") or "").split())
            return all(label.startswith(OWN_LABEL_PREFIX) for label in before ^ after)
        meta = self.meta
        rag = meta.rag_field if meta else None
        return rag is not None and field == rag

    async def aclose(self) -> None:
        await self.client.aclose()
