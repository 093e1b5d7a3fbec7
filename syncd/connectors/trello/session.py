"""What the probe needs of a Trello connector, and the board read both make.

`TrelloConnector` keeps this shape; the probe imports this protocol rather than the connector,
so the connector module imports the probe and nothing imports it back.
"""

from __future__ import annotations

from typing import Protocol

from syncd.connectors.trello.config import TrelloConfig
from syncd.http import Remote

BOARD_PARAMS = {
    "fields": "name,shortLink,url,dateLastActivity",
    "lists": "all",
    "labels": "all",
    "labels_limit": "1000",
    "members": "all",
    "customFields": "true",
}


class Session(Protocol):
    """A configured Trello board as the probe uses it."""

    id: str
    config: TrelloConfig
    remote: Remote
