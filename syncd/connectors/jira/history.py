"""What a Jira search cuts short, fetched whole: changelogs (for status history) and worklogs
(for dated logged time), only for the issues whose embedded ones were incomplete.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

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
        body: dict[str, Any] = {
            "issueIdsOrKeys": ids[start : start + CHANGELOG_BULK],
            "fieldIds": ["status"],
            "maxResults": 10000,
        }
        while True:
            data = await connector.remote.json(
                "POST", f"{connector.api}/changelog/bulkfetch", json=body
            )
            for log in data.get("issueChangeLogs") or []:
                out.setdefault(str(log.get("issueId")), []).extend(log.get("changeHistories") or [])
            if not data.get("nextPageToken"):
                break
            body = {**body, "nextPageToken": data["nextPageToken"]}
    return out


async def dc_histories(
    connector: JiraConnector, raws: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """Whole changelogs, issue by issue (Data Center has no bulk changelog)."""
    out: dict[str, list[Any]] = {}
    for raw in raws:
        start, values = 0, list[Any]()
        while True:
            data = await connector.remote.json(
                "GET",
                f"{connector.api}/issue/{raw['key']}/changelog",
                params={"startAt": start, "maxResults": 100},
            )
            values.extend(data.get("values") or [])
            start += len(data.get("values") or [])
            if data.get("isLast", True) or not data.get("values"):
                break
        out[str(raw.get("id") or raw["key"])] = values
    return out


async def all_worklogs(
    connector: JiraConnector, raws: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """Every worklog of each issue, by issue id, paged through `/issue/{id}/worklog` (Cloud and
    Data Center alike), several issues at once."""

    async def one(raw: dict[str, Any]) -> tuple[str, list[Any]]:
        ident = str(raw.get("id") or raw["key"])
        found: list[Any] = []
        while True:
            async with connector.limit:
                data = await connector.remote.json(
                    "GET",
                    f"{connector.api}/issue/{ident}/worklog",
                    params={"startAt": len(found), "maxResults": WORKLOG_PAGE},
                )
            page = list(data.get("worklogs") or [])
            found.extend(map(_dated, page))  # the rest of each answer goes with it
            if not page or len(found) >= int(data.get("total") or 0):
                return ident, found

    return dict(await asyncio.gather(*map(one, raws)))


def _dated(log: Any) -> Any:
    """What normalizing reads of a worklog: its id, start and time spent."""
    if not isinstance(log, dict):
        return log
    return {key: log.get(key) for key in ("id", "started", "timeSpentSeconds")}
