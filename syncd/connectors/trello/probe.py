"""`syncd check --online` for a Trello connector: read-only questions about the board.

credentials valid (`GET members/me`) · the board id exists and the token may read it (`GET
boards/{id}` with its lists, labels and custom fields) · the lists, labels and custom fields the
client file names exist on it · the token may write to the board, where the status card goes
(`GET tokens/{token}`: its permissions) · a webhook can be registered (the token reads the board;
an app secret verifies deliveries). The token travels in that one path as Trello's API has it;
`syncd.redact` keeps it out of every log line and message.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import TYPE_CHECKING, Any

from syncd.connectors.probe import (
    Finding,
    bad,
    field_rules,
    good,
    guarded,
    look_alikes,
    named_field,
    quoted,
)
from syncd.connectors.trello.session import BOARD_PARAMS
from syncd.http import classify
from syncd.mapping.config import MappingConfig

if TYPE_CHECKING:
    from syncd.connectors.trello.session import Session as TrelloConnector

JsonDict = dict[str, Any]


async def probe(connector: TrelloConnector, mapping: MappingConfig) -> list[Finding]:
    """Every check, in order; after refused credentials or a missing board, nothing more."""
    found = await guarded("credentials", partial(credentials, connector))
    if not all(f.ok for f in found):
        return found
    board: list[JsonDict] = []
    found += await guarded("board", partial(read_board, connector, board))
    if not board:
        return found
    found += names(connector, mapping, board[0])
    if connector.config.push.list:
        found += await guarded("status card", partial(writable, connector))
    found.append(webhook(connector))
    return found


async def credentials(connector: TrelloConnector) -> list[Finding]:
    client = connector.remote.client
    answer = await client.get("/members/me", params={"fields": "username,fullName"})
    if answer.status_code in (400, 401):
        reason = answer.text.strip()[:60] if answer.text.strip() in _REFUSALS else "refused"
        config = connector.config
        return [
            bad(
                "credentials",
                f"{reason} (HTTP {answer.status_code}): check ${config.key_env} and"
                f" ${config.token_env}",
            )
        ]
    me = classify(answer, service="trello").json()
    return [good("credentials", f"valid: token of @{me.get('username', '?')}")]


_REFUSALS = {"invalid key", "invalid token", "unauthorized permission requested"}


async def read_board(connector: TrelloConnector, into: list[JsonDict]) -> list[Finding]:
    """The board with its lists, labels and custom fields, kept in `into` for the next checks."""
    board_id = connector.config.board
    answer = await connector.remote.client.get(f"/boards/{board_id}", params=BOARD_PARAMS)
    if answer.status_code in (400, 404):
        return [bad("board", f"no board {board_id!r} (or this token may not see it)")]
    if answer.status_code == 401:
        return [bad("board", f"this token may not read board {board_id!r} (HTTP 401)")]
    board = classify(answer, service="trello").json()
    into.append(board)
    lists = [x for x in board.get("lists") or [] if not x.get("closed")]
    return [good("board", f"{board.get('name', board_id)!r} exists ({len(lists)} open lists)")]


def names(connector: TrelloConnector, mapping: MappingConfig, board: JsonDict) -> list[Finding]:
    """The status list, and every list, label and custom field the client file names."""
    lists = [str(x.get("name", "")) for x in board.get("lists") or [] if not x.get("closed")]
    labels = [str(x.get("name", "")) for x in board.get("labels") or [] if x.get("name")]
    fields = [str(x.get("name", "")) for x in board.get("customFields") or []]
    found = [status_list(connector.config.push.list, lists)] if connector.config.push.list else []
    for where, name in wanted_lists(connector.id, mapping):
        found.append(_present(f"{where} list {name!r}", name, lists, "lists"))
    for where, name in wanted_labels(connector.id, mapping):
        found.append(_present(f"{where} label {name!r}", name, labels, "labels"))
    found += [
        named_field(index, name, fields, explicit=explicit)
        for index, name, explicit in field_rules(mapping, connector.id)
    ]
    return found


def wanted_lists(connector_id: str, mapping: MappingConfig) -> list[tuple[str, str]]:
    """List names the client file uses: `list` (or `trello_list`) link maps,
    `[statuses.<this id>]`."""
    found = [
        (f"links[{index}].map", name)
        for index, rule in enumerate(mapping.links)
        if rule.by in ("list", "trello_list") and rule.source in (None, connector_id)
        for name in rule.map
    ]
    own = mapping.statuses.get(connector_id)
    if isinstance(own, dict):
        found += [(f"statuses.{connector_id}", name) for name in own]
    return found


def wanted_labels(connector_id: str, mapping: MappingConfig) -> list[tuple[str, str]]:
    """Label names of `trello_label` link maps."""
    return [
        (f"links[{index}].map", name)
        for index, rule in enumerate(mapping.links)
        if rule.by == "trello_label" and rule.source in (None, connector_id)
        for name in rule.map
    ]


def _present(check: str, name: str, names: list[str], kind: str) -> Finding:
    """Names match as syncd matches them: stripped, any case."""
    if name.strip().lower() in {n.strip().lower() for n in names}:
        return good(check, "exists")
    nearby = look_alikes(name, names)
    hint = f"; look-alikes: {quoted(nearby)}" if nearby else f"; {kind}: {quoted(names)}"
    return bad(check, f"not on the board: items will never match it{hint}")


def status_list(name: str, lists: list[str]) -> Finding:
    """The status card's list: created at the first push when missing, unless the name looks
    like a typo of a list that is there (then the board would get a second list)."""
    check = f"push.list {name!r}"
    lower = {n.lower(): n for n in lists}
    if name.lower() in lower:
        return good(check, "exists")
    typo = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.75)
    if typo:
        return bad(
            check,
            f"not on the board, but {lower[typo[0]]!r} is: a typo? syncd would add a second list",
        )
    return good(check, "not on the board yet; syncd creates it at the first push")


async def writable(connector: TrelloConnector) -> list[Finding]:
    """Whether the token may write to the board (a read-only token cannot hold a status card)."""
    token = connector.remote.client.params.get("token", "")
    answer = await connector.remote.client.get(f"/tokens/{token}", params={"fields": "permissions"})
    permissions = classify(answer, service="trello").json().get("permissions") or []
    board = connector.config.board
    if any(
        p.get("write") and p.get("modelType") in ("board", "organization")
        and p.get("idModel") in ("*", board)
        for p in permissions
    ):  # fmt: skip
        return [good("status card", "the token may write to the board")]
    return [bad("status card", "the token is read-only on this board: syncd cannot write")]


def webhook(connector: TrelloConnector) -> Finding:
    """The token reads the board (checked above): Trello lets it watch the board; deliveries
    are verified only with the app secret."""
    if not connector.config.secret_env:
        return good("webhook", "none configured (no secret_env): polling only")
    return good(
        "webhook",
        "possible: the token reads the board (Trello checks syncd's callback URL with a HEAD)",
    )
