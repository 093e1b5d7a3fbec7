"""The contract every connector keeps, and the one conformance suite checks.

A connector is built from its config model, its resolved secrets and an httpx transport (tests
inject respx or the sandbox); it knows `http`, `model` and `errors`, never the store.

* `pull(since)` yields pages (`PullResult`): items and quarantined payloads of that page. The
  last page carries `cursor` (the newest `updated` seen, or None when nothing was seen) and, when
  a census ran, `census` (every external id still visible). `sync` commits each page as it
  comes and moves the cursor only after the last one.
* `push(status, target, known)` writes one consolidated status to one target and returns the
  remote ids to remember. `known` holds what the previous push returned (possibly nothing, after
  a lost response): the connector finds its own comment or card again through a marker, compares
  before it writes, and never creates a second one.
* `is_own_write` recognises syncd's own writes coming back through a pull or a webhook.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from syncd.connectors.probe import Finding
from syncd.mapping.config import MappingConfig
from syncd.model import PullResult, PushOutcome, StatusPush

MARKER = "syncd:status"  # the comment property key / hidden text that marks syncd's own writes
OVERLAP = timedelta(minutes=2)  # re-read this much before the cursor (minute precision, zones)
Versions = Callable[[list[str]], Mapping[str, datetime]]  # external ids -> `updated` as stored


class Connector(Protocol):
    id: str
    kind: str

    def pull(
        self,
        since: datetime | None,
        *,
        census: bool = False,
        limit: int = 0,
        resume: Sequence[str] = (),
    ) -> AsyncIterator[PullResult]:
        """Items updated at or after `since - OVERLAP` (everything when None), page by page.

        With `limit`, a connector that can may stop after about that many items, its last page
        naming the ids it left (`rest`), which a later pull fetches with `resume`: a long pull
        made of several jobs, each leaving its worker to the others between them."""
        ...

    async def push(self, status: StatusPush, *, target: str, known: dict[str, Any]) -> PushOutcome:
        """Write `status` to `target` (an issue key, or the board's status card) idempotently."""
        ...

    async def probe(self, mapping: MappingConfig) -> list[Finding]:
        """Read-only checks that the configured setup works (`syncd check --online`); a failed
        request is a red finding, never an exception, and no finding shows a credential."""
        ...

    def is_own_write(self, event: dict[str, Any]) -> bool:
        """Whether a webhook body describes a change syncd itself made."""
        ...

    def remember_own(self, remotes: Iterable[Mapping[str, Any]]) -> None:
        """What earlier pushes wrote (each push's `PushOutcome.remote`, kept in the store), so
        that neither a pull nor a webhook takes syncd's own writes for someone else's."""
        ...

    def recall_site(self, facts: Mapping[str, Any]) -> None:
        """What an earlier pull learned of the site (`site_facts`), kept with the cursor, so a
        connector built in any process need not ask again."""
        ...

    def site_facts(self) -> dict[str, Any]:
        """What this connector learned of its site that is worth keeping ({} for nothing)."""
        ...

    def remember_versions(self, stored: Versions) -> None:
        """How to ask the store which version (`updated`) of some items it holds, so that a
        pull can spare the requests that would only complete an item it saw unchanged."""
        ...

    async def aclose(self) -> None: ...
