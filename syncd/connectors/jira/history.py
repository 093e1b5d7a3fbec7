"""What a Jira search cuts short, fetched whole: changelogs (for status history) and worklogs
(for dated logged time), only for the issues whose embedded ones were incomplete.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from syncd.connectors.paging import Page, read_all

if TYPE_CHECKING:
    from syncd.connectors.jira.session import Session as JiraConnector

CHANGELOG_BULK = 1000  # issues per changelog bulkfetch (the API's maximum)
WORKLOG_PAGE = 5000  # worklogs per page of /issue/{id}/worklog (the API's default and maximum)


async def cloud_histories(
    connector: JiraConnector, raws: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """Status histories of many issues through `POST /changelog/bulkfetch`, by issue id."""
    out: dict[str, list[Any]] = {}
    ids = [str(r["id"]) for r in raws]
    for start in range(0, len(ids), CHANGELOG_BULK):
        for log in await bulk_changelogs(connector, ids[start : start + CHANGELOG_BULK]):
            out.setdefault(str(log.get("issueId")), []).extend(log.get("changeHistories") or [])
    return out


async def bulk_changelogs(connector: JiraConnector, ids: list[str]) -> list[Any]:
    """The status changelogs of up to `CHANGELOG_BULK` issues, page by page."""
    body: dict[str, Any] = {"issueIdsOrKeys": ids, "fieldIds": ["status"], "maxResults": 10000}

    async def fetch(token: str) -> Page[list[Any], str]:
        ask = {**body, "nextPageToken": token} if token else body
        data = await connector.remote.json("POST", f"{connector.api}/changelog/bulkfetch", json=ask)
        return Page(list(data.get("issueChangeLogs") or []), data.get("nextPageToken") or None)

    return await read_all(fetch, first="", source=connector.id, listing="changelog bulkfetch")


async def dc_histories(
    connector: JiraConnector, raws: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """Whole changelogs, issue by issue (Data Center has no bulk changelog)."""
    out: dict[str, list[Any]] = {}
    for raw in raws:
        url = f"{connector.api}/issue/{raw['key']}/changelog"

        async def fetch(start: int, url: str = url) -> Page[list[Any], int]:
            params = {"startAt": start, "maxResults": 100}
            data = await connector.remote.json("GET", url, params=params)
            values = list(data.get("values") or [])
            return Page(values, None if data.get("isLast", True) else start + len(values))

        listing = f"changelog of {raw['key']}"
        values = await read_all(fetch, first=0, source=connector.id, listing=listing)
        out[str(raw.get("id") or raw["key"])] = values
    return out


async def all_worklogs(
    connector: JiraConnector, raws: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """Every worklog of each issue, by issue id, paged through `/issue/{id}/worklog` (Cloud and
    Data Center alike), several issues at once."""

    async def one(raw: dict[str, Any]) -> tuple[str, list[Any]]:
        ident = str(raw.get("id") or raw["key"])

        async def fetch(start: int) -> Page[list[Any], int]:
            async with connector.limit:
                data = await connector.remote.json(
                    "GET",
                    f"{connector.api}/issue/{ident}/worklog",
                    params={"startAt": start, "maxResults": WORKLOG_PAGE},
                )
            # only what normalizing reads: the rest of each answer goes with it
            page = list(map(_dated, data.get("worklogs") or []))
            following = start + len(page)
            return Page(page, following if following < int(data.get("total") or 0) else None)

        listing = f"worklogs of issue {ident}"
        return ident, await read_all(fetch, first=0, source=connector.id, listing=listing)

    return dict(await asyncio.gather(*map(one, raws)))


def _dated(log: Any) -> Any:
    """What normalizing reads of a worklog: its id, start and time spent."""
    if not isinstance(log, dict):
        return log
    return {key: log.get(key) for key in ("id", "started", "timeSpentSeconds")}
