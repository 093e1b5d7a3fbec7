"""Pulling issues from Jira Data Center: offset pages (REST v2 `/search`).

The first request asks for the newest changes, as a Cloud pull does: often all there is, and
the answer that dates the pull (see `jira_pull`). When more follow, the whole result is paged in
key order, where issues keep their place when they change: its first page gives `total` and the
effective page size, and the other pages are fetched at once. Results that shrink meanwhile
(an issue left them, the offsets moved back and one was skipped) fail the pull, which runs
again; results that grow (an issue entered them, the offsets moved on and one may have been
skipped) keep the cursor where it was, so the next pull reads the same changes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from syncd.connectors.base import Versions
from syncd.connectors.jira.fanout import Job, fan_out
from syncd.connectors.jira.history import dc_histories
from syncd.connectors.jira.pull import (
    NEWEST_FIRST,
    UTC_ZONE,
    Pages,
    build_jql,
    ident,
    seen_by,
    wanted_fields,
)
from syncd.connectors.paging import PageGuard
from syncd.errors import TransientError
from syncd.model import PullResult

if TYPE_CHECKING:
    from syncd.connectors.jira.session import Session as JiraConnector

log = logging.getLogger(__name__)


async def pull_datacenter(
    connector: JiraConnector,
    since: datetime | None,
    *,
    census: bool = False,
    known: Versions | None = None,
) -> AsyncIterator[PullResult]:
    """A Data Center pull: one page of the newest changes, which dates the pull (often all there
    is); when more follow, the whole window in key order, its first page giving `total` and the
    page size, the rest at once (issues that change keep their place in key order)."""
    start_count = connector.remote.counters.requests
    meta = await connector.load_meta()
    census_task = asyncio.create_task(dc_census(connector)) if census and since else None
    pages = Pages(connector, meta, dc_histories, known, census=census)
    fields = ",".join(wanted_fields(meta, worklogs=connector.config.worklogs))
    size = connector.config.page_size
    paging = Paging()
    try:
        jql = build_jql(connector.config.jql, since, meta.account_tz, order=NEWEST_FIRST)
        first = await dc_page(connector, jql, 0, size=size, fields=fields)
        raws = list(first.get("issues") or [])
        more = int(first.get("total") or 0) > len(raws)
        seen = {ident(r) for r in raws} if more else set()
        page = pages.page(raws, dates=True)
        first, raws = {}, []  # not kept through the whole pull
        yield page
        if more:
            jql = build_jql(connector.config.jql, since, meta.account_tz, order="key ASC")
            async for found in dc_search(connector, jql, fields=fields, size=size, paging=paging):
                yield pages.page([r for r in found if ident(r) not in seen])
                if pages.full:
                    yield await pages.rest()
        last = await pages.rest()
        present = await census_task if census_task else None
    finally:
        if census_task is not None and not census_task.done():
            census_task.cancel()
    requests = connector.remote.counters.requests - start_count
    if not paging.steady:  # an issue entered the window while paging: one may have been skipped
        log.info("%s: issues entered the results while paging; the cursor stays", connector.id)
        yield replace(last, requests=requests)
        return
    yield replace(
        last, cursor=pages.cursor, census=seen_by(census, since, present, pages), requests=requests
    )


@dataclass
class Paging:
    """Whether offset pages were read from one unchanged result (its `total` never grew)."""

    steady: bool = True


async def dc_page(
    connector: JiraConnector, jql: str, start: int, *, size: int, fields: str
) -> dict[str, Any]:
    """One offset page of a Data Center search, decoded."""
    url = f"{connector.api}/search"
    return (
        connector.remote.decode(await _dc_body(connector, jql, start, size, fields), "GET", url)
        or {}
    )


async def _dc_body(connector: JiraConnector, jql: str, start: int, size: int, fields: str) -> bytes:
    params = {"jql": jql, "startAt": start, "maxResults": size, "fields": fields}
    if fields != "id":
        params["expand"] = "changelog"
    async with connector.limit:
        return await connector.remote.body("GET", f"{connector.api}/search", params=params)


async def dc_search(
    connector: JiraConnector, jql: str, *, fields: str, size: int, paging: Paging
) -> AsyncIterator[list[dict[str, Any]]]:
    """Offset pages of a search: the first one, then every other one concurrently. Results
    that shrank meanwhile raise (offsets moved back: an issue was skipped); results that grew
    clear `paging.steady` (offsets moved on: one may have been)."""
    url = f"{connector.api}/search"
    first = await dc_page(connector, jql, 0, size=size, fields=fields)
    yield list(first.get("issues") or [])
    total, size = int(first.get("total") or 0), int(first.get("maxResults") or 0)
    if total <= max(size, len(first.get("issues") or [])):
        return
    PageGuard(0, source=connector.id, listing="issue search").advance(size)  # 0 would loop

    async def jobs() -> AsyncIterator[Job[bytes]]:
        for offset in range(size, total, size):
            yield partial(_dc_body, connector, jql, offset, size, fields)

    # answers wait as bytes and are decoded one at a time, as they are normalized
    async for answer in fan_out(jobs(), width=connector.config.concurrency * 2):
        data = connector.remote.decode(answer, "GET", url) or {}
        now = int(data.get("total") or 0)
        if now < total:  # items left the result: offsets shifted
            raise TransientError("Jira results shrank while paging; pull again", service="jira")
        paging.steady = paging.steady and now == total
        yield list(data.get("issues") or [])


async def dc_census(connector: JiraConnector) -> frozenset[str] | None:
    """Every issue id the client's JQL sees now (Data Center); None when issues were created
    while it paged (one may be missing, and it would be taken for deleted)."""
    jql = build_jql(connector.config.jql, None, UTC_ZONE, order="key ASC")
    ids: set[str] = set()
    paging = Paging()
    async for raws in dc_search(connector, jql, fields="id", size=1000, paging=paging):
        ids.update(str(r["id"]) for r in raws)
    return frozenset(ids) if paging.steady else None
