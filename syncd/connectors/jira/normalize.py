"""A raw Jira issue (Cloud v3 or Data Center v2 JSON) as a `WorkItem`: pure functions only.

`normalize_issue` raises `MappingError` for a payload it cannot understand; the caller
quarantines that issue and goes on with the rest of its page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from syncd.errors import MappingError
from syncd.model import StatusCategory, StatusChange, WorkItem, Worklog

OWN_LABEL_PREFIX = "syncd-rag-"  # labels syncd writes itself; never read back as content
JIRA_CATEGORIES = {
    "new": StatusCategory.TODO,
    "undefined": StatusCategory.TODO,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}
# Fallback when a status is known only by name (changelog entries, trimmed payloads); a name
# that is neither to-do-like nor done-like counts as in progress.
NAME_CATEGORIES = {
    "to do": StatusCategory.TODO,
    "open": StatusCategory.TODO,
    "backlog": StatusCategory.TODO,
    "new": StatusCategory.TODO,
    "selected for development": StatusCategory.TODO,
    "reopened": StatusCategory.TODO,
    "done": StatusCategory.DONE,
    "closed": StatusCategory.DONE,
    "resolved": StatusCategory.DONE,
    "cancelled": StatusCategory.DONE,
}


def parse_datetime(value: Any, *, epoch: bool = False) -> datetime | None:
    """Jira's `2026-11-20T10:15:30.000+0100` as aware UTC; with `epoch`, numbers too (s or ms)."""
    if value is None or value == "":
        return None
    if epoch and isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise MappingError(f"not a date-time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MappingError(f"not a date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise MappingError(f"date-time without a zone: {value!r}")
    return parsed.astimezone(UTC)


def parse_date(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date-only field (`duedate`) as the start of that day in `tz`, in UTC."""
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MappingError(f"not a date: {value!r}") from exc
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def category_of(status: Any, categories: Mapping[str, StatusCategory]) -> StatusCategory | None:
    """A status object's category: client override by name, then Jira's statusCategory."""
    if not isinstance(status, dict):
        return None
    name = str(status.get("name") or "")
    if name.lower() in categories:
        return categories[name.lower()]
    key = (status.get("statusCategory") or {}).get("key")
    if key:
        return JIRA_CATEGORIES.get(str(key))
    return category_by_name(name, categories)


def category_by_name(
    name: str | None, categories: Mapping[str, StatusCategory]
) -> StatusCategory | None:
    """A status known only by its name."""
    if not name:
        return None
    found = categories.get(name.lower()) or NAME_CATEGORIES.get(name.lower())
    return found or StatusCategory.IN_PROGRESS


def _hours(seconds: Any) -> float | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise MappingError(f"not a number of seconds: {seconds!r}")
    return seconds / 3600


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise MappingError(f"not a number: {value!r}") from exc


def _names(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(str(v.get("name")) if isinstance(v, dict) else str(v) for v in values)


def _parent(fields: Mapping[str, Any], epic_field: str | None) -> str | None:
    for candidate in (fields.get("parent"), fields.get("epic")):
        if isinstance(candidate, dict) and candidate.get("key"):
            return str(candidate["key"])
    link = fields.get(epic_field) if epic_field else None
    return str(link) if isinstance(link, str) and link else None


def _subtasks(
    fields: Mapping[str, Any], categories: Mapping[str, StatusCategory]
) -> tuple[int, int]:
    subtasks = fields.get("subtasks") or []
    if not isinstance(subtasks, list):
        raise MappingError("subtasks is not a list")
    done = sum(
        1
        for sub in subtasks
        if category_of((sub.get("fields") or {}).get("status"), categories) is StatusCategory.DONE
    )
    return done, len(subtasks)


def status_history(
    histories: Iterable[Any], categories: Mapping[str, StatusCategory]
) -> tuple[StatusChange, ...]:
    """Status transitions from changelog histories, oldest first, duplicates dropped."""
    changes = set()
    for history in histories:
        at = parse_datetime(history.get("created"), epoch=True)
        for entry in history.get("items") or []:
            if entry.get("fieldId", entry.get("field")) != "status" or at is None:
                continue
            to_status = str(entry.get("toString") or "")
            changes.add(
                StatusChange(
                    at=at,
                    from_status=entry.get("fromString"),
                    to_status=to_status,
                    to_category=category_by_name(to_status, categories),
                )
            )
    return tuple(sorted(changes, key=lambda c: (c.at, c.to_status)))


def worklogs(raw: Iterable[Any]) -> tuple[Worklog, ...]:
    """Dated logged time from Jira worklogs, oldest first, each worklog once."""
    found: dict[str, Worklog] = {}
    for log in raw:
        ident = log.get("id") if isinstance(log, dict) else None
        if ident is None:
            raise MappingError("a worklog without an id")
        try:
            started = parse_datetime(log.get("started"))
        except MappingError as exc:
            raise MappingError(f"worklog {ident}: no start date ({exc})") from exc
        seconds = log.get("timeSpentSeconds")
        if started is None:
            raise MappingError(f"worklog {ident}: no start date")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise MappingError(f"worklog {ident}: timeSpentSeconds is not a whole number >= 0")
        found[str(ident)] = Worklog(str(ident), started, seconds)
    return tuple(sorted(found.values(), key=lambda w: (w.started, w.id)))


def normalize_issue(
    raw: Mapping[str, Any],
    *,
    source: str,
    site_url: str,
    points_field: str | None,
    categories: Mapping[str, StatusCategory],
    tz: ZoneInfo,
    epic_field: str | None = None,
    histories: Iterable[Any] | None = None,
    logged: Iterable[Any] | None = None,
) -> WorkItem:
    """One issue as a WorkItem; `histories` replaces the embedded changelog and `logged` the
    embedded worklogs when given (both fetched whole when the search cut them short)."""
    try:
        return _normalize(
            raw, source, site_url, points_field, categories, tz, epic_field, histories, logged
        )
    except MappingError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MappingError(f"issue {raw.get('key', raw.get('id'))}: {exc!r}") from exc


def _normalize(
    raw: Mapping[str, Any],
    source: str,
    site_url: str,
    points_field: str | None,
    categories: Mapping[str, StatusCategory],
    tz: ZoneInfo,
    epic_field: str | None,
    histories: Iterable[Any] | None,
    logged: Iterable[Any] | None,
) -> WorkItem:
    key = raw.get("key")
    fields = raw.get("fields")
    if not isinstance(key, str) or not key or not isinstance(fields, dict):
        raise MappingError(f"issue {raw.get('id')}: no key or no fields")
    status = fields.get("status") or {}
    category = category_of(status, categories) or (
        StatusCategory.DONE if fields.get("resolution") else StatusCategory.TODO
    )
    tracking = fields.get("timetracking") or {}
    project = fields.get("project") or {}
    done, total = _subtasks(fields, categories)
    if histories is None:
        histories = (raw.get("changelog") or {}).get("histories") or []
    known = {str(status.get("name") or "").lower(): category, **categories}
    if logged is None:
        logged = (fields.get("worklog") or {}).get("worklogs") or []
    return WorkItem(
        source=source,
        external_id=str(raw.get("id") or key),
        key=key,
        title=str(fields.get("summary") or ""),
        url=f"{site_url}/browse/{key}",
        type=str((fields.get("issuetype") or {}).get("name") or ""),
        status=str(status.get("name") or ""),
        category=category,
        assignee=(fields.get("assignee") or {}).get("displayName"),
        created=parse_datetime(fields.get("created")),
        updated=parse_datetime(fields.get("updated")),
        due=parse_date(fields.get("duedate"), tz),
        resolved=parse_datetime(fields.get("resolutiondate")),
        estimate_hours=_hours(
            tracking.get("originalEstimateSeconds", fields.get("timeoriginalestimate"))
        ),
        remaining_hours=_hours(
            tracking.get("remainingEstimateSeconds", fields.get("timeestimate"))
        ),
        spent_hours=_hours(tracking.get("timeSpentSeconds", fields.get("timespent"))),
        story_points=_number(fields.get(points_field)) if points_field else None,
        subitems_done=done,
        subitems_total=total,
        parent=_parent(fields, epic_field),
        labels=tuple(
            str(label)
            for label in fields.get("labels") or ()
            if not str(label).startswith(OWN_LABEL_PREFIX)
        ),
        components=_names(fields.get("components")),
        container=str(project.get("key") or key.rsplit("-", 1)[0]),
        history=status_history(histories, known),
        worklogs=worklogs(logged),
    ).with_hash()
