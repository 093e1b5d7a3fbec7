"""The ASGI app: faults outermost, then counting, then `/cloud`, `/dc`, `/trello/1`, `/_admin`,
Atlassian's OAuth front doors (`/auth/oauth/token`, `/api/...`; see `gateway`), and Slack's and
Teams' incoming webhooks (`/chat/slack/…`, `/chat/teams/…`; see `chat`)."""

from __future__ import annotations

from starlette.routing import Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncd.sandbox.admin import admin_routes
from syncd.sandbox.chat import chat_routes
from syncd.sandbox.context import Context
from syncd.sandbox.faults import FaultInjector
from syncd.sandbox.gateway import gateway_routes
from syncd.sandbox.jira import CREDENTIAL_KEY, jira_app
from syncd.sandbox.pages import item_pages
from syncd.sandbox.routing import ROUTE_KEY
from syncd.sandbox.trello import trello_app

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def build_app(ctx: Context) -> ASGIApp:
    """The whole sandbox as one ASGI app."""
    router = Router(
        [
            *item_pages(ctx),
            Mount("/cloud", app=jira_app(ctx, cloud=True)),
            Mount("/dc", app=jira_app(ctx, cloud=False)),
            Mount("/trello/1", app=trello_app(ctx)),
            Mount("/_admin", routes=admin_routes(ctx)),
            *gateway_routes(ctx),
            *chat_routes(ctx.chat),
        ]
    )
    return FaultInjector(Counting(router, ctx), ctx)


class Counting:
    """Counts requests per route template and credential, bytes out, and logs writes."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        sent = 0
        status = 0
        counted = False
        body = bytearray()
        write = scope["method"] in WRITE_METHODS

        def record() -> None:
            nonlocal counted
            if counted:
                return
            counted = True
            route = scope.get(ROUTE_KEY) or f"{scope['method']} (unrouted)"
            credential = scope.get(CREDENTIAL_KEY, "-")
            self.ctx.stats.count(route=route, credential=credential, status=status, bytes_out=sent)
            if write and status < 400:
                self.ctx.stats.write(scope["method"], scope["path"], bytes(body))

        async def counting_send(message: Message) -> None:
            nonlocal sent, status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    record()  # before the last byte leaves: a client that has its answer sees it
            await send(message)

        await self.app(scope, _recording(receive, body) if write else receive, counting_send)
        record()


def _recording(receive: Receive, body: bytearray) -> Receive:
    """`receive`, keeping the first 4 KiB of the request body in `body`."""

    async def recording_receive() -> Message:
        message = await receive()
        if message["type"] == "http.request" and len(body) < 4096:
            body.extend(message.get("body", b""))
        return message

    return recording_receive
