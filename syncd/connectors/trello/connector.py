"""The Trello connector: a board's cards in a few requests, changes through its actions.

A full pull reads the board with its lists, labels, members and custom fields (one request),
then every card with checklists and custom field values (one request) beside the board's
`updateCard` actions, newest first, 1000 a page (the status history). An incremental pull reads
the actions since the cursor; when none touched a card it stops there, otherwise it reads the
board again and refetches only the cards that changed, each with its own list moves.

Key and token travel as query parameters, as Trello's spec has it; `syncd.http` keeps query
strings out of every log line and error message. Budgets: 90 requests / 10 s per token and
270 per key (Trello allows 100 and 300), shared by every connector of every process of the
deployment (`syncd.budget`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from syncd import http
from syncd.clock import SYSTEM, Clock
from syncd.connectors.base import OVERLAP, Versions
from syncd.connectors.config import Secrets
from syncd.connectors.paging import Page, pages
from syncd.connectors.probe import Finding
from syncd.connectors.trello import push as trello_push
from syncd.connectors.trello.config import TrelloConfig
from syncd.connectors.trello.normalize import (
    BoardContext,
    JsonDict,
    board_context,
    histories,
    is_status_card,
    normalize_card,
    parse_time,
)
from syncd.connectors.trello.session import BOARD_PARAMS
from syncd.errors import ConfigError, MappingError, NotFoundError
from syncd.mapping.config import MappingConfig
from syncd.model import PullResult, PushOutcome, Quarantined, StatusChange, StatusPush, WorkItem

log = logging.getLogger(__name__)

TOKEN_BUDGET = (90, 10.0)  # Trello: 100 requests / 10 s per token; keep 10% headroom
KEY_BUDGET = (270, 10.0)  # Trello: 300 requests / 10 s per API key, shared by its tokens
ACTIONS_PAGE = 1000  # Trello's cap on `limit` for actions
CONNECTIONS = 6
REFETCH_MAX = 50  # one request a card; past this a full read (two requests) is cheaper
CARD_FIELDS = (
    "badges,closed,dateLastActivity,desc,due,dueComplete,idLabels,idList,idMembers,idShort,"
    "labels,name,shortLink,shortUrl,start,url"
)
CARD_PARAMS = {"fields": CARD_FIELDS, "checklists": "all", "customFieldItems": "true"}
HISTORY_FILTER = "createCard,updateCard:idList"  # creation and list moves: the status history
# Each card comes with its own history as nested actions, so a whole board is two requests.
CARD_WITH_HISTORY = CARD_PARAMS | {
    "actions": HISTORY_FILTER,
    "actions_limit": "1000",
    "action_fields": "type,date,data",
    "action_memberCreator": "false",
}
CONTEXT_ACTIONS = frozenset(
    {"createList", "updateList", "moveListToBoard", "moveListFromBoard", "createLabel",
     "updateLabel", "deleteLabel", "createCustomField", "updateCustomField",
     "deleteCustomField", "addMemberToBoard", "removeMemberFromBoard"}
)  # fmt: skip


def trello_time(value: datetime) -> str:
    """A datetime as Trello writes them: `2026-11-20T08:00:00.000Z`."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


class TrelloConnector:
    """One Trello board: pull its cards as `WorkItem`s, push the status card onto it."""

    kind = "trello"

    def __init__(
        self,
        config: TrelloConfig,
        secrets: Secrets,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timezone: str = "UTC",
        page_size: int = 500,
        clock: Clock = SYSTEM,
    ) -> None:
        key, token = secrets.value("key"), secrets.value("token")
        if not key or not token:
            raise ConfigError(f"connector {config.id}: Trello needs both key_env and token_env")
        self.id = config.id
        self.config = config
        self.timezone = timezone  # Trello answers in UTC; kept for the connector contract
        self.page_size = page_size
        budgets = (
            http.Rate(http.credential_key("trello-token", token), *TOKEN_BUDGET),
            http.Rate(http.credential_key("trello-key", key), *KEY_BUDGET),
        )
        self.limit = http.AdaptiveLimit(CONNECTIONS)
        client = http.make_client(
            config.url,
            params={"key": key, "token": token},
            connections=CONNECTIONS,
            transport=transport,
        )
        self.remote = http.Remote(
            client,
            service="trello",
            budgets=budgets,
            on_throttle=self.limit.throttled,
            usage_headers={  # Trello counts every token's and key's requests on each answer
                budgets[0]: ("x-rate-limit-api-token-remaining", "x-rate-limit-api-token-max"),
                budgets[1]: ("x-rate-limit-api-key-remaining", "x-rate-limit-api-key-max"),
            },
            clock=clock,
        )
        self.writer = trello_push.StatusWriter(self.remote, config)

    async def get(self, path: str, **params: str) -> Any:
        """One GET under the adaptive concurrency limit; JSON back."""
        async with self.limit:
            return await self.remote.json("GET", path, params=params)

    # -- pull -------------------------------------------------------------------------------

    async def pull(
        self,
        since: datetime | None,
        *,
        census: bool = False,
        limit: int = 0,
        resume: Sequence[str] = (),
    ) -> AsyncIterator[PullResult]:
        """Every card (since None) or the cards whose actions are newer than `since` (a board
        comes in one answer: `limit` does not cut it)."""
        start = done = self.remote.counters.requests
        pages = (
            self.pull_all(census=census)
            if since is None
            else self.pull_changes(since, census=census)
        )
        async for page in pages:
            now = self.remote.counters.requests
            yield replace(page, requests=now - done)
            done = now
        log.info("%s: pull took %d requests", self.id, self.remote.counters.requests - start)

    async def read_board(self) -> BoardContext:
        """The board with its lists, labels, members and custom field definitions."""
        board = await self.get(f"/boards/{self.config.board}", **BOARD_PARAMS)
        return board_context(board)

    async def pull_all(self, *, census: bool) -> AsyncIterator[PullResult]:
        """Board, all cards and the whole list-move history."""
        ctx = await self.read_board()  # alone first: bad credentials cost one request
        cards = await self.get(f"/boards/{self.config.board}/cards/all", **CARD_WITH_HISTORY)
        actions = [a for card in cards for a in card.pop("actions", None) or ()]
        cursor = latest(newest(actions), max_activity(cards))
        async for page in self.pages(cards, ctx, histories(actions), cursor=cursor):
            if page.cursor is not None and census:
                page = with_census(page, ids_of(cards))
            yield page

    async def pull_changes(self, since: datetime, *, census: bool) -> AsyncIterator[PullResult]:
        """Cards touched by actions after `since`; the overlap is read, not acted on twice."""
        actions = await self.read_actions(since - OVERLAP, kinds=None)
        fresh = [a for a in actions if (parse_time(a.get("date")) or since) > since]
        theirs = [a for a in fresh if not self.own_action(a)]  # syncd's last push is no change
        if any(a.get("type") in CONTEXT_ACTIONS for a in theirs):
            async for page in self.pull_all(census=census):  # lists or labels changed shape
                yield page
            return
        changed = sorted({card_id(a) for a in theirs} - {""} - self.writer.own_ids)
        if len(changed) > REFETCH_MAX:
            async for page in self.pull_all(census=census):
                yield page
            return
        cards: list[JsonDict] = []
        found: dict[str, list[StatusChange]] = {}
        ctx = BoardContext()
        if changed:
            ctx, fetched = await asyncio.gather(self.read_board(), self.read_cards(changed))
            cards = [card for card, _ in fetched]
            found = histories(a for _, moves in fetched for a in moves)
        everyone = await self.census_ids() if census else None
        async for page in self.pages(cards, ctx, found, cursor=newest(fresh) or since):
            yield page if everyone is None or page.cursor is None else with_census(page, everyone)

    async def read_actions(self, since: datetime | None, *, kinds: str | None) -> list[JsonDict]:
        """The board's actions after `since` (all when None), newest first, page by page."""
        params = {"limit": str(ACTIONS_PAGE)}
        if kinds:
            params["filter"] = kinds
        if since is not None:
            params["since"] = trello_time(since)

        async def fetch(before: str) -> Page[list[JsonDict], str]:
            page = await self.get(
                f"/boards/{self.config.board}/actions",
                **params,
                **({"before": before} if before else {}),
            )
            more = len(page) >= ACTIONS_PAGE  # a full page: older ones may follow
            return Page(page, str(page[-1]["id"]) if more else None)

        found: list[JsonDict] = []
        seen: set[str] = set()
        async for page in pages(fetch, first="", source=self.id, listing="board actions"):
            new = [a for a in page if a.get("id") not in seen]
            found.extend(new)
            seen.update(str(a.get("id")) for a in new)
        return found

    async def read_cards(self, ids: Iterable[str]) -> list[tuple[JsonDict, list[JsonDict]]]:
        """Each card with its list moves; cards deleted meanwhile are left out."""

        async def one(ident: str) -> tuple[JsonDict, list[JsonDict]] | None:
            try:
                card = await self.get(f"/cards/{ident}", **CARD_WITH_HISTORY)
            except NotFoundError:
                return None  # deleted: only a census may say so
            return card, card.pop("actions", None) or []

        results = await asyncio.gather(*(one(ident) for ident in ids))
        return [r for r in results if r is not None]

    async def census_ids(self) -> frozenset[str]:
        """Every card id on the board, archived ones included."""
        rows = await self.get(f"/boards/{self.config.board}/cards/all", fields="id")
        return frozenset(str(row["id"]) for row in rows) - self.writer.own_ids

    async def pages(
        self,
        cards: list[JsonDict],
        ctx: BoardContext,
        found: dict[str, list[StatusChange]],
        *,
        cursor: datetime | None,
    ) -> AsyncIterator[PullResult]:
        """Normalized cards, `page_size` a page; the last page carries the cursor."""
        own = [c for c in cards if not is_status_card(c)]
        chunks = [own[i : i + self.page_size] for i in range(0, len(own), self.page_size)] or [[]]
        for n, chunk in enumerate(chunks):
            items, bad = self.normalize(chunk, ctx, found)
            last = n == len(chunks) - 1
            yield PullResult(items=items, quarantined=bad, cursor=cursor if last else None)

    def normalize(
        self, cards: list[JsonDict], ctx: BoardContext, found: dict[str, list[StatusChange]]
    ) -> tuple[list[WorkItem], list[Quarantined]]:
        """Cards into items; a card that cannot be read is quarantined with its error."""
        items: list[WorkItem] = []
        bad: list[Quarantined] = []
        for raw in cards:
            ident = str(raw.get("id", ""))
            try:
                items.append(
                    normalize_card(
                        raw, source=self.id, lists=ctx.lists, labels=ctx.labels,
                        members=ctx.members, custom_fields=ctx.custom_fields,
                        history=found.get(ident, ()),
                    )
                )  # fmt: skip
            except MappingError as exc:
                bad.append(Quarantined(self.id, ident, str(exc), json.dumps(raw)[:20_000]))
        return items, bad

    # -- push, webhooks ---------------------------------------------------------------------

    async def push(self, status: StatusPush, *, target: str, known: dict[str, Any]) -> PushOutcome:
        """Write the status card (and its comment, label, fields) on the board, idempotently."""
        if target != self.config.board:
            raise ConfigError(f"connector {self.id}: unknown push target {target!r}")
        return await self.writer.push(status, known=known)

    async def probe(self, mapping: MappingConfig) -> list[Finding]:
        """Read-only checks of the credentials, the board, the names the client file uses."""
        from syncd.connectors.trello import probe as trello_probe

        return await trello_probe.probe(self, mapping)

    def remember_own(self, remotes: Iterable[Mapping[str, Any]]) -> None:
        """The status list, card and comment earlier pushes made (`*_id` of their remote)."""
        for remote in remotes:
            self.writer.own_ids.update(str(v) for k, v in remote.items() if k.endswith("_id") and v)

    def recall_site(self, facts: Mapping[str, Any]) -> None:
        """A board needs nothing learned beforehand."""

    def site_facts(self) -> dict[str, Any]:
        return {}

    def remember_versions(self, stored: Versions) -> None:
        """A board's pull completes nothing item by item: nothing to spare."""

    def own_action(self, action: JsonDict) -> bool:
        """An action of syncd's own push: on its card, comment or labels, or making its list."""
        if action.get("type") == "createList":
            made = ((action.get("data") or {}).get("list") or {}).get("id")
            return str(made) in self.writer.own_ids
        return trello_push.is_own_action(
            action, self.writer.own_ids, title=self.config.push.card_title
        )

    def is_own_write(self, event: dict[str, Any]) -> bool:
        """Whether a webhook body describes syncd's own status card, comment or label."""
        action = event.get("action") or {}
        title = self.config.push.card_title
        return trello_push.is_own_action(action, self.writer.own_ids, title=title)

    async def aclose(self) -> None:
        await self.remote.client.aclose()


def card_id(action: JsonDict) -> str:
    card = (action.get("data") or {}).get("card")
    return str(card.get("id", "")) if isinstance(card, dict) else ""


def newest(actions: list[JsonDict]) -> datetime | None:
    dates = [d for d in (parse_time(a.get("date")) for a in actions) if d is not None]
    return max(dates, default=None)


def latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def max_activity(cards: list[JsonDict]) -> datetime | None:
    dates = [d for d in (parse_time(c.get("dateLastActivity")) for c in cards) if d is not None]
    return max(dates, default=None)


def ids_of(cards: list[JsonDict]) -> frozenset[str]:
    return frozenset(str(c["id"]) for c in cards if not is_status_card(c))


def with_census(page: PullResult, census: frozenset[str]) -> PullResult:
    return replace(page, census=census)
