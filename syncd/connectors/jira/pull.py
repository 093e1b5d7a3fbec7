"""Pulling issues from Jira: Cloud's token-paged search with bulk fetch, Data Center's offsets.

Cloud asks for one page with every needed field first: a pull with nothing new ends there, in
one request. When more pages follow, it lists the remaining ids (`fields=id`, 5,000 a page) and
fetches details with `POST /issue/bulkfetch`, 100 at a time over several connections. Data Center
reads the effective page size and `total` from the first page and fetches the rest at once.
Changelogs cut short by the server are completed through `POST /changelog/bulkfetch` (Cloud) or
the issue's changelog (Data Center), so actual start and finish dates come from real history.
Worklogs (dated logged time, for AC on a past status date) come embedded in the same answers,
up to 20 an issue; only an issue with more has its worklogs paged through `/issue/{id}/worklog`
(`jira_history` fetches what was cut short; `worklogs = false` on the connector asks for none).

A Cloud pull with a `limit` fetches about that many of the listed issues, and the last one
listed, and hands back the ids it did not fetch (`PullResult.rest`: the rest of the listing,
read to its end, ids only, 5,000 a request); the next pulls fetch exactly those (`resume`). The
ids are listed oldest change first, so the newest change the first slice saw (the last listed
issue's among them) is when the listing was made: the cursor moves there after the last slice,
and the next pull re-reads what changed while the slices ran, and only that.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from syncd.connectors.base import OVERLAP
from syncd.connectors.jira.fanout import Ahead, Job, fan_out
from syncd.connectors.jira.history import all_worklogs, cloud_histories, dc_histories
from syncd.connectors.jira.normalize import normalize_issue
from syncd.connectors.paging import Page, PageGuard, pages
from syncd.errors import MappingError, TransientError
from syncd.model import PullResult, Quarantined, StatusCategory, WorkItem

if TYPE_CHECKING:
    from syncd.connectors.jira.session import Meta
    from syncd.connectors.jira.session import Session as JiraConnector

ID_PAGE = 5000  # ids per listing page (Cloud answers up to 5,000 when only ids are asked)
BULK = 100  # issues per bulkfetch (the API's maximum)
FIELDS = (
    "summary", "status", "issuetype", "project", "assignee", "created", "updated", "duedate",
    "resolutiondate", "resolution", "labels", "components", "timetracking", "subtasks", "parent",
)  # fmt: skip

ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.IGNORECASE | re.DOTALL)
UTC_ZONE = ZoneInfo("UTC")
CATEGORIES: dict[str, StatusCategory] = {}  # per-client overrides would go here


def build_jql(client_jql: str, since: datetime | None, tz: ZoneInfo, *, order: str) -> str:
    """`(<client jql>) AND updated >= "yyyy-MM-dd HH:mm" ORDER BY ...`, in the account's zone."""
    query = f"({ORDER_BY.sub('', client_jql.strip())})"
    if since is not None:
        floor = (since - OVERLAP).astimezone(tz)
        query += f' AND updated >= "{floor:%Y-%m-%d %H:%M}"'
    return f"{query} ORDER BY {order}"


def wanted_fields(meta: Meta, *, worklogs: bool) -> list[str]:
    """The fields a pull asks for; `worklog` (up to 20 embedded an issue) unless turned off."""
    extra = [f for f in (meta.points_field, meta.epic_field) if f]
    return [*FIELDS, *(["worklog"] if worklogs else []), *extra]


def is_truncated(raw: dict[str, Any]) -> bool:
    """Whether the embedded changelog holds fewer histories than the issue has."""
    return _cut_short(raw.get("changelog"), "histories")


def worklogs_truncated(raw: dict[str, Any]) -> bool:
    """Whether the embedded worklog field holds fewer worklogs than the issue has."""
    return _cut_short((raw.get("fields") or {}).get("worklog"), "worklogs")


def _cut_short(embedded: Any, name: str) -> bool:
    if not isinstance(embedded, dict):
        return False
    total = embedded.get("total")
    return isinstance(total, int) and total > len(embedded.get(name) or [])


def normalize_page(
    connector: JiraConnector,
    raws: list[dict[str, Any]],
    meta: Meta,
    histories: dict[str, list[Any]] | None = None,
    logged: dict[str, list[Any]] | None = None,
) -> PullResult:
    """Normalize each issue; the ones that fail are quarantined with their payload."""
    items: list[WorkItem] = []
    bad: list[Quarantined] = []
    for raw in raws:
        ident = str(raw.get("id") or raw.get("key"))
        try:
            items.append(
                normalize_issue(
                    raw,
                    source=connector.id,
                    site_url=connector.config.url,
                    points_field=meta.points_field,
                    categories=CATEGORIES,
                    tz=connector.timezone,
                    epic_field=meta.epic_field,
                    histories=(histories or {}).get(ident),
                    logged=(logged or {}).get(ident),
                )
            )
        except MappingError as exc:
            bad.append(Quarantined(connector.id, ident, str(exc), json.dumps(raw)[:20000]))
    return PullResult(items=items, quarantined=bad)


def newest(pages: list[PullResult], cursor: datetime | None) -> datetime | None:
    for page in pages:
        for item in page.items:
            if item.updated is not None and (cursor is None or item.updated > cursor):
                cursor = item.updated
    return cursor


class Pages:
    """Turns raw issue pages into results, holding back issues whose changelog or worklogs were
    cut short."""

    def __init__(self, connector: JiraConnector, meta: Meta, fetch_histories: HistoryFetch) -> None:
        self.connector = connector
        self.meta = meta
        self.fetch_histories = fetch_histories
        self.worklogs = connector.config.worklogs  # asked for, so completed when cut short
        self.held: list[dict[str, Any]] = []
        self.cursor: datetime | None = None
        self.seen: set[str] = set()

    def page(self, raws: list[dict[str, Any]]) -> PullResult:
        self.seen.update(str(r.get("id") or r.get("key")) for r in raws)
        complete = [r for r in raws if not self._held(r)]
        self.held.extend(r for r in raws if self._held(r))
        result = normalize_page(self.connector, complete, self.meta)
        self.cursor = newest([result], self.cursor)
        return result

    async def rest(self) -> PullResult:
        """The held-back issues with their whole changelog and all their worklogs."""
        if not self.held:
            return PullResult()
        cut = [r for r in self.held if is_truncated(r)]
        histories = await self.fetch_histories(self.connector, cut) if cut else {}
        cut = [r for r in self.held if self.worklogs and worklogs_truncated(r)]
        logged = await all_worklogs(self.connector, cut)
        result = normalize_page(self.connector, self.held, self.meta, histories, logged)
        self.held = []
        self.cursor = newest([result], self.cursor)
        return result

    def _held(self, raw: dict[str, Any]) -> bool:
        return is_truncated(raw) or (self.worklogs and worklogs_truncated(raw))


class Slice:
    """Listed ids handed over until `limit` fresh ones went out (`first`; every one when
    `limit` is 0), and then the last id listed; `rest` holds every listed id not handed over,
    the listing read to its end."""

    def __init__(self, source: AsyncIterator[list[str]], skip: set[str], limit: int) -> None:
        self.source, self.skip, self.limit = source, skip, limit
        self.rest: list[str] = []

    async def first(self) -> AsyncIterator[list[str]]:
        taken = 0
        async for page in self.source:
            fresh = [i for i in page if i not in self.skip]
            room = self.limit - taken if self.limit else len(fresh)
            if len(fresh) > room:
                self.rest = fresh[room:]
                async for more in self.source:
                    self.rest.extend(i for i in more if i not in self.skip)
                yield [*fresh[:room], self.rest.pop()]  # the newest change listed comes now
                return
            taken += len(fresh)
            yield fresh


async def chunks(ids: Sequence[str]) -> AsyncIterator[list[str]]:
    """Ids given, as listing pages."""
    for start in range(0, len(ids), ID_PAGE):
        yield list(ids[start : start + ID_PAGE])


HistoryFetch = Callable[["JiraConnector", list[dict[str, Any]]], Awaitable[dict[str, list[Any]]]]


async def census_ids(connector: JiraConnector) -> frozenset[str]:
    """Every issue id the client's JQL sees now."""
    ids: set[str] = set()
    async for page in list_ids(
        connector, build_jql(connector.config.jql, None, ZoneInfo("UTC"), order="key ASC")
    ):
        ids.update(page)
    return frozenset(ids)


def list_ids(connector: JiraConnector, jql: str) -> AsyncGenerator[list[str], None]:
    """Issue ids in query order, a listing page at a time (Cloud token paging)."""

    async def fetch(token: str) -> Page[list[str], str]:
        body: dict[str, Any] = {"jql": jql, "fields": ["id"], "maxResults": ID_PAGE}
        if token:
            body["nextPageToken"] = token
        data = await connector.remote.json("POST", f"{connector.api}/search/jql", json=body)
        following = data.get("nextPageToken")
        last = data.get("isLast", not following) or not following
        return Page(
            [str(issue["id"]) for issue in data.get("issues") or []], None if last else following
        )

    return pages(fetch, first="", source=connector.id, listing="issue search")


async def pull_cloud(
    connector: JiraConnector, since: datetime | None, *, census: bool = False, limit: int = 0
) -> AsyncIterator[PullResult]:
    """A Cloud pull: one full page, then ids + bulk fetch when there is more (a first pull, with
    no cursor, goes to the ids at once); with `limit`, perhaps only a slice of it (`rest`)."""
    start_count = connector.remote.counters.requests
    order = "updated ASC, key ASC"
    ids: Ahead[list[str]] | None = None
    listing: AsyncGenerator[list[str], None] | None = None
    cut: Slice | None = None
    census_task = asyncio.create_task(census_ids(connector)) if census and since else None
    try:
        if since is None:  # a first pull is seldom one page: list the ids beside the catalogue
            await connector.check_account()
            everything = build_jql(connector.config.jql, None, UTC_ZONE, order=order)
            ids = Ahead(list_ids(connector, everything))
        meta = await connector.load_meta()
        jql = build_jql(connector.config.jql, since, meta.account_tz, order=order)
        pages = Pages(connector, meta, cloud_histories)
        batch = min(BULK, connector.config.page_size)
        if ids is not None:
            cut = Slice(ids, set(), limit)
            async for result in bulk_details(connector, cut.first(), set(), pages, batch):
                yield result
            last = await pages.rest()
        else:
            body = {
                "jql": jql,
                "fields": wanted_fields(meta, worklogs=connector.config.worklogs),
                "expand": "changelog",
                "maxResults": batch,
            }
            first = await connector.remote.json("POST", f"{connector.api}/search/jql", json=body)
            raws = list(first.get("issues") or [])
            if first.get("nextPageToken") and not first.get("isLast", False):
                yield pages.page(raws)
                seen = {str(r.get("id")) for r in raws}
                listing = list_ids(connector, jql)
                cut = Slice(listing, seen, limit)
                async for result in bulk_details(connector, cut.first(), seen, pages, batch):
                    yield result
                last = await pages.rest()
            else:
                last = merge(pages.page(raws), await pages.rest())
        seen_all = await census_task if census_task is not None else None
    finally:
        if ids is not None:
            await ids.aclose()
        if listing is not None:  # a slice leaves the rest of the listing unread
            await listing.aclose()
        if census_task is not None and not census_task.done():
            census_task.cancel()
    if census and since is None:
        seen_all = frozenset(pages.seen)
    requests = connector.remote.counters.requests - start_count
    if cut is not None and cut.rest:  # a slice: no census, and the ids still to fetch
        yield replace(last, cursor=pages.cursor, requests=requests, rest=tuple(cut.rest))
        return
    yield replace(last, cursor=pages.cursor, census=seen_all, requests=requests)


async def pull_ids(
    connector: JiraConnector, ids: Sequence[str], *, limit: int = 0
) -> AsyncIterator[PullResult]:
    """The issues `ids` in bulk (at most `limit` of them; the others are the last page's
    `rest`); issues gone meanwhile are simply not there."""
    start_count = connector.remote.counters.requests
    meta = await connector.load_meta()
    pages = Pages(connector, meta, cloud_histories)
    batch = min(BULK, connector.config.page_size)
    take, rest = (ids[:limit], ids[limit:]) if limit else (ids, ())
    async for result in bulk_details(connector, chunks(take), set(), pages, batch):
        yield result
    last = await pages.rest()
    requests = connector.remote.counters.requests - start_count
    yield replace(last, cursor=pages.cursor, requests=requests, rest=tuple(rest))


def merge(a: PullResult, b: PullResult) -> PullResult:
    return PullResult(items=a.items + b.items, quarantined=a.quarantined + b.quarantined)


async def bulk_details(
    connector: JiraConnector,
    id_pages: AsyncIterator[list[str]],
    skip: set[str],
    pages: Pages,
    batch: int,
) -> AsyncIterator[PullResult]:
    """Fetch listed ids in bulk over several connections, yielding pages as they complete."""
    body = {
        "fields": wanted_fields(pages.meta, worklogs=connector.config.worklogs),
        "expand": ["changelog"],
    }
    url = f"{connector.api}/issue/bulkfetch"

    async def fetch(ids: list[str]) -> bytes:
        async with connector.limit:
            return await connector.remote.body("POST", url, json={"issueIdsOrKeys": ids, **body})

    async def jobs() -> AsyncIterator[Job[bytes]]:
        async for ids in id_pages:
            fresh = [i for i in ids if i not in skip]
            for start in range(0, len(fresh), batch):
                yield partial(fetch, fresh[start : start + batch])

    # answers wait as bytes and are decoded one at a time, as they are normalized
    async for answer in fan_out(jobs(), width=connector.config.concurrency * 2):
        data = connector.remote.decode(answer, "POST", url) or {}
        yield pages.page(list(data.get("issues") or []))


async def pull_datacenter(
    connector: JiraConnector, since: datetime | None, *, census: bool = False
) -> AsyncIterator[PullResult]:
    """A Data Center pull: the first page gives `total` and the page size; the rest at once."""
    start_count = connector.remote.counters.requests
    meta = await connector.load_meta()
    jql = build_jql(connector.config.jql, since, meta.account_tz, order="key ASC")
    census_task = asyncio.create_task(dc_census(connector)) if census and since else None
    pages = Pages(connector, meta, dc_histories)
    fields = ",".join(wanted_fields(meta, worklogs=connector.config.worklogs))
    try:
        async for raws in dc_search(connector, jql, fields=fields, size=connector.config.page_size):
            yield pages.page(raws)
        last = await pages.rest()
        seen = await census_task if census_task else None
    finally:
        if census_task is not None and not census_task.done():
            census_task.cancel()
    if census and since is None:
        seen = frozenset(pages.seen)
    requests = connector.remote.counters.requests - start_count
    yield replace(last, cursor=pages.cursor, census=seen, requests=requests)


async def dc_search(
    connector: JiraConnector, jql: str, *, fields: str, size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """Offset pages of a search: the first one, then every other one concurrently."""

    url = f"{connector.api}/search"

    async def page_at(start: int) -> bytes:
        params = {"jql": jql, "startAt": start, "maxResults": size, "fields": fields}
        if fields != "id":
            params["expand"] = "changelog"
        async with connector.limit:
            return await connector.remote.body("GET", url, params=params)

    def decoded(answer: bytes) -> dict[str, Any]:
        return connector.remote.decode(answer, "GET", url) or {}

    first = decoded(await page_at(0))
    yield list(first.get("issues") or [])
    total, size = int(first.get("total") or 0), int(first.get("maxResults") or 0)
    if total <= max(size, len(first.get("issues") or [])):
        return
    PageGuard(0, source=connector.id, listing="issue search").advance(size)  # 0 would loop

    async def jobs() -> AsyncIterator[Job[bytes]]:
        for offset in range(size, total, size):
            yield partial(page_at, offset)

    # answers wait as bytes and are decoded one at a time, as they are normalized
    async for answer in fan_out(jobs(), width=connector.config.concurrency * 2):
        data = decoded(answer)
        if int(data.get("total") or 0) < total:  # items left the result: offsets shifted
            raise TransientError("Jira results shrank while paging; pull again", service="jira")
        yield list(data.get("issues") or [])


async def dc_census(connector: JiraConnector) -> frozenset[str]:
    """Every issue id the client's JQL sees now (Data Center)."""
    jql = build_jql(connector.config.jql, None, UTC_ZONE, order="key ASC")
    ids: set[str] = set()
    async for raws in dc_search(connector, jql, fields="id", size=1000):
        ids.update(str(r["id"]) for r in raws)
    return frozenset(ids)
