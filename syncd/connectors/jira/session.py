"""What pull, push, history and probe need of a Jira connector, and what it learns of a site.

`JiraConnector` keeps this shape; the modules that work through it import this protocol rather
than the connector, so the connector module imports them and nothing imports it back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from syncd.connectors.jira.config import JiraConfig
from syncd.http import AdaptiveLimit, Remote

log = logging.getLogger(__name__)
EPIC_LINK = "epic link"


@dataclass(frozen=True)
class Meta:
    """What a connector learns once from `/field` and `/myself`."""

    points_field: str | None
    epic_field: str | None
    rag_field: str | None
    rag_field_type: str
    account_tz: ZoneInfo
    account: str  # accountId (Cloud) or user name (Data Center)
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)

    def dump(self) -> dict[str, str | None]:
        """A JSON form, for the store (`load` reads it back)."""
        return {
            "points_field": self.points_field,
            "epic_field": self.epic_field,
            "rag_field": self.rag_field,
            "rag_field_type": self.rag_field_type,
            "account_tz": self.account_tz.key,
            "account": self.account,
            "read_at": self.read_at.isoformat(),
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Meta | None:
        """What `dump` wrote, or None when it cannot be read."""
        try:
            return cls(
                points_field=_text(data.get("points_field")),
                epic_field=_text(data.get("epic_field")),
                rag_field=_text(data.get("rag_field")),
                rag_field_type=str(data["rag_field_type"]),
                account_tz=ZoneInfo(str(data["account_tz"])),
                account=str(data["account"]),
                read_at=datetime.fromisoformat(str(data["read_at"])).astimezone(UTC),
            )
        except (KeyError, ValueError, TypeError, ZoneInfoNotFoundError):
            return None

    @classmethod
    def read(cls, config: JiraConfig, fields: Any, me: Any) -> Meta:
        by_name = {str(f.get("name", "")).lower(): f for f in fields or [] if isinstance(f, dict)}
        points = by_name.get(config.story_points_field.lower())
        epic = by_name.get(EPIC_LINK)
        rag = by_name.get(config.push.rag_field.lower()) if config.push.rag_field else None
        if config.push.rag_field and rag is None:
            log.warning(
                "%s: no Jira field named %r; RAG field not set", config.id, config.push.rag_field
            )
        try:
            tz = ZoneInfo(str((me or {}).get("timeZone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        return cls(
            points_field=str(points["id"]) if points else None,
            epic_field=str(epic["id"]) if epic else None,
            rag_field=str(rag["id"]) if rag else None,
            rag_field_type=str(((rag or {}).get("schema") or {}).get("type") or "string"),
            account_tz=tz,
            account=str((me or {}).get("accountId") or (me or {}).get("name") or ""),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class Session(Protocol):
    """A configured Jira site as pull, push, history and probe use it."""

    id: str
    config: JiraConfig
    cloud: bool
    api: str
    timezone: ZoneInfo
    client: httpx.AsyncClient
    limit: AdaptiveLimit
    remote: Remote
    once: Remote
    meta: Meta | None

    async def check_account(self) -> None: ...

    async def load_meta(self) -> Meta: ...

    def remember_comment(self, comment_id: str) -> None: ...
