"""Trello's `GET /tokens/{token}`: what a token may do (read, write) on which models."""

from __future__ import annotations

from starlette.responses import Response

from syncd.sandbox.clock import trello_datetime
from syncd.sandbox.routing import ApiError, Call, json_response

TOKEN_ID = "5f0000000000000000000001"  # noqa: S105 - the id of the token record, not a secret
TOKEN_FIELDS = ("identifier", "idMember", "dateCreated", "dateExpires", "permissions")


def get_token(call: Call) -> Response:
    """The token in the path (it must be the caller's own) with its permissions: read and
    write on every board and workspace, or read only when the sandbox says so."""
    state = call.ctx.state
    if not call.ctx.config.creds.trello_token_ok(call.path["token"]):
        raise ApiError(401, "invalid token")
    writes = state.trello_token_writes
    member = next(iter(state.members.values()))
    full = {
        "identifier": "syncd sandbox",
        "idMember": member.id,
        "dateCreated": trello_datetime(state.clock.now()),
        "dateExpires": None,
        "permissions": [
            {"idModel": "*", "modelType": kind, "read": True, "write": writes}
            for kind in ("board", "organization")
        ],
    }
    asked = call.query.get("fields", "all")
    chosen = TOKEN_FIELDS if asked == "all" else [f for f in asked.split(",") if f in full]
    return json_response({"id": TOKEN_ID} | {f: full[f] for f in chosen})
