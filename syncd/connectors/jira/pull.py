"""Pulling issues from Jira: Cloud's token-paged search with bulk fetch, Data Center's offsets.

Every pull asks first for one page of the newest changes with every needed field: a pull with
nothing new ends there, in one request. That one answer dates the pull: the cursor moves to the
newest `updated` in it and no further. Issues fetched later may carry changes made meanwhile, and
a cursor moved to one of those could pass a change made, a moment earlier, to an issue already
fetched: the next pull would never ask for it. Anything that changes after the first answer is
newer than the cursor, so the next pull reads it.

When more follow, Cloud lists the other ids (`fields=id`, 5,000 a page, listed after the first
page) and fetches details with `POST /issue/bulkfetch`, 100 at a time over several connections;
Data Center pages by offset (`jira_datacenter`). Changelogs cut short by the server are
completed through `POST /changelog/bulkfetch` (Cloud) or the issue's changelog (Data Center), so
actual start and finish dates come from real history. Worklogs (dated logged time, for AC on a
past status date) come embedded in the same answers, up to 20 an issue; only an issue with more
has its worklogs paged through `/issue/{id}/worklog` (`jira_history` fetches what was cut short;
`worklogs = false` on the connector asks for none), and not when the store holds the issue at
the same `updated` already (seen again unchanged, as the cursor is inclusive).

A Cloud pull with a `limit` fetches about that many issues and hands back the ids it did not
fetch (`PullResult.rest`: the rest of the listing, read to its end, ids only, 5,000 a request);
the next pulls fetch exactly those (`resume`). The cursor moves where the first page said after
the last slice, and the next pull re-reads what changed while the slices ran, and only that.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from syncd.connectors.base import OVERLAP, Versions
from syncd.connectors.jira.fanout import Ahead, Job, fan_out
from syncd.connectors.jira.history import all_worklogs, cloud_histories
from syncd.connectors.jira.normalize import normalize_issue, parse_datetime
from syncd.connectors.paging import Page, pages
from syncd.errors import MappingError
from syncd.model import PullResult, Quarantined, StatusCategory, WorkItem

if TYPE_CHECKING:
    from syncd.connectors.jira.session import Meta
    from syncd.connectors.jira.session import Session as JiraConnector

ID_PAGE = 5000  # ids per listing page (Cloud answers up to 5,000 when only ids are asked)
BULK = 100  # issues per bulkfetch (the API's maximum)
HOLD = 25  # held-back issues completed together (their whole changelogs and worklogs)
FIELDS = (
    "summary", "status", "issuetype", "project", "assignee", "created", "updated", "duedate",
    "resolutiondate", "resolution", "labels", "components", "timetracking", "subtasks", "parent",
)  # fmt: skip

NEWEST_FIRST = "updated DESC, key DESC"  # the first page holds the newest changes: it dates a pull
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


def newest(items: Iterable[WorkItem], cursor: datetime | None) -> datetime | None:
    for item in items:
        if item.updated is not None and (cursor is None or item.updated > cursor):
            cursor = item.updated
    return cursor


def ident(raw: dict[str, Any]) -> str:
    return str(raw.get("id") or raw.get("key"))


class Pages:
    """Turns raw issue pages into results, holding back issues whose changelog or worklogs were
    cut short (`rest` completes them, `HOLD` at a time: `full`), and dropping a held-back issue
    the store already holds at its `updated` (`known`): unchanged, it needs neither its changelog
    nor its worklogs again.

    Only the issues of the page that dates the pull (`dates=True`: one answer holding the newest
    changes) move `cursor`. An issue fetched later may carry a change made after another issue,
    fetched earlier, changed unseen; a cursor moved to that later change would skip the other.
    """

    def __init__(
        self,
        connector: JiraConnector,
        meta: Meta,
        fetch_histories: HistoryFetch,
        known: Versions | None = None,
        *,
        census: bool = False,
    ) -> None:
        self.connector = connector
        self.meta = meta
        self.fetch_histories = fetch_histories
        self.worklogs = connector.config.worklogs  # asked for, so completed when cut short
        self.known = known
        self.held: list[dict[str, Any]] = []
        self.cursor: datetime | None = None
        self.census = census  # keep every id seen (for a census), else none
        self.seen: set[str] = set()
        self.dating: set[str] = set()  # ids of the page that dates the pull

    def page(self, raws: list[dict[str, Any]], *, dates: bool = False) -> PullResult:
        if self.census:
            self.seen.update(ident(r) for r in raws)
        if dates:
            self.dating.update(ident(r) for r in raws)
        held = [r for r in raws if self._held(r)]
        unchanged = self._unchanged(held)
        self.held.extend(r for r in held if ident(r) not in unchanged)
        result = normalize_page(self.connector, [r for r in raws if not self._held(r)], self.meta)
        self._date(result.items)
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
        self._date(result.items)
        return result

    @property
    def full(self) -> bool:
        """Whether enough issues wait to be completed now (`rest`): held back until the end of
        a long pull, they grew its memory with the pull's size."""
        return len(self.held) >= HOLD

    def _date(self, items: list[WorkItem]) -> None:
        self.cursor = newest((i for i in items if i.external_id in self.dating), self.cursor)

    def _held(self, raw: dict[str, Any]) -> bool:
        return is_truncated(raw) or (self.worklogs and worklogs_truncated(raw))

    def _unchanged(self, raws: list[dict[str, Any]]) -> set[str]:
        """The ids of `raws` the store holds at this very `updated` (the dating page's count
        toward the cursor as they are not normalized)."""
        stored = self.known([ident(r) for r in raws]) if raws and self.known else {}
        same = set()
        for raw in raws:
            try:
                updated = parse_datetime((raw.get("fields") or {}).get("updated"))
            except MappingError:
                continue
            if updated is None or stored.get(ident(raw)) != updated:
                continue
            same.add(ident(raw))
            if ident(raw) in self.dating and (self.cursor is None or updated > self.cursor):
                self.cursor = updated
        return same


class Slice:
    """Listed ids handed over until `limit` issues went out, those to `skip` (already fetched)
    counted (`first`; every one when `limit` is 0); `rest` holds every listed id not handed
    over, the listing read to its end."""

    def __init__(self, source: AsyncIterator[list[str]], skip: set[str], limit: int) -> None:
        self.source, self.skip, self.limit = source, skip, limit
        self.rest: list[str] = []

    async def first(self) -> AsyncIterator[list[str]]:
        taken = len(self.skip)
        async for page in self.source:
            fresh = [i for i in page if i not in self.skip]
            room = max(self.limit - taken, 0) if self.limit else len(fresh)
            if len(fresh) > room:
                self.rest = fresh[room:]
                async for more in self.source:
                    self.rest.extend(i for i in more if i not in self.skip)
                if room:
                    yield fresh[:room]
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
    connector: JiraConnector,
    since: datetime | None,
    *,
    census: bool = False,
    limit: int = 0,
    known: Versions | None = None,
) -> AsyncIterator[PullResult]:
    """A Cloud pull: one full page of the newest changes (often all there is), which dates the
    pull; when more follow, the ids listed after it and their details in bulk; with `limit`,
    perhaps only a slice of them (`rest`)."""
    start_count = connector.remote.counters.requests
    listing: Ahead[list[str]] | None = None
    cut: Slice | None = None
    census_task = asyncio.create_task(census_ids(connector)) if census and since else None
    try:
        meta = await connector.load_meta()
        jql = build_jql(connector.config.jql, since, meta.account_tz, order=NEWEST_FIRST)
        pages = Pages(connector, meta, cloud_histories, known, census=census)
        batch = min(BULK, connector.config.page_size)
        body = {
            "jql": jql,
            "fields": wanted_fields(meta, worklogs=connector.config.worklogs),
            "expand": "changelog",
            "maxResults": batch,
        }
        first = await connector.remote.json("POST", f"{connector.api}/search/jql", json=body)
        raws = list(first.get("issues") or [])
        if first.get("nextPageToken") and not first.get("isLast", False):
            listing = Ahead(list_ids(connector, jql))  # listed after the page that dates the pull
            seen = {ident(r) for r in raws}
            page = pages.page(raws, dates=True)
            first, raws = {}, []  # not kept through the whole pull
            yield page
            cut = Slice(listing, seen, limit)
            async for result in bulk_details(connector, cut.first(), seen, pages, batch):
                yield result
            last = await pages.rest()
        else:
            last = merge(pages.page(raws, dates=True), await pages.rest())
        present = await census_task if census_task is not None else None
    finally:
        if listing is not None:  # a slice leaves the rest of the listing unread
            await listing.aclose()
        if census_task is not None and not census_task.done():
            census_task.cancel()
    requests = connector.remote.counters.requests - start_count
    if cut is not None and cut.rest:  # a slice: no census, and the ids still to fetch
        yield replace(last, cursor=pages.cursor, requests=requests, rest=tuple(cut.rest))
        return
    yield replace(
        last, cursor=pages.cursor, census=seen_by(census, since, present, pages), requests=requests
    )


def seen_by(
    census: bool, since: datetime | None, listed: frozenset[str] | None, pages: Pages
) -> frozenset[str] | None:
    """Every id a census found: on a first pull, those the pull saw; else those its listing
    found and those the pull saw (an issue created after the listing is no less there); None
    when the listing could not be trusted."""
    if not census or (since is not None and listed is None):
        return None
    return frozenset(pages.seen) if listed is None else listed | pages.seen


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
        if pages.full:
            yield await pages.rest()
