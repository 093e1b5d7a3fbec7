"""Register a Trello board's webhook: one per board and token (`POST /1/webhooks`; Trello checks
the callback with a HEAD first, so the web server must already answer)."""

from __future__ import annotations

import httpx

from syncd.connectors.config import Secrets
from syncd.connectors.kinds import Registered
from syncd.connectors.trello.config import TrelloConfig
from syncd.errors import PermanentError
from syncd.http import Remote, make_client


async def register_trello(
    config: TrelloConfig,
    secrets: Secrets,
    callback: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registered:
    """Create (or find) the board's webhook pointing at `callback`."""
    params = {"key": secrets.value("key"), "token": secrets.value("token")}
    async with make_client(config.url, params=params, transport=transport) as client:
        remote = Remote(client, service="trello")
        token = secrets.value("token")
        try:
            existing = await remote.json("GET", f"{config.url}/tokens/{token}/webhooks")
        except PermanentError:
            existing = []
        for hook in existing or []:
            if hook.get("callbackURL") == callback and hook.get("idModel") == config.board:
                return Registered(str(hook["id"]), callback)
        created = await remote.json(
            "POST",
            f"{config.url}/webhooks",
            params={"callbackURL": callback, "idModel": config.board, "description": "syncd"},
        )
        return Registered(str(created["id"]), callback)
