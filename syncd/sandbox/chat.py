"""Slack and Teams incoming webhooks, as their services take them: `POST /chat/slack/…`
answers ``ok`` (Slack) and `POST /chat/teams/…` answers 202 (a Workflows trigger) for a
message that fits the documented shape (`chat_schemas/`), and 400 with the first violation for
one that does not. Accepted messages are kept for the demo's page and the tests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

MAX_BODY = 1_000_000
KEPT = 200
SCHEMAS = {"slack": "slack-incoming-webhook.json", "teams": "teams-workflows-webhook.json"}


@dataclass(frozen=True)
class ChatMessage:
    service: str  # "slack" | "teams"
    hook: str  # the path after the service's prefix (a real webhook's secret part)
    body: dict[str, Any]


class ChatInbox:
    """What the sandbox's chat webhooks accepted, newest last; and how many it refused."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ChatMessage] = []
        self.refused: list[str] = []

    def add(self, message: ChatMessage) -> None:
        with self.lock:
            self.messages.append(message)
            del self.messages[:-KEPT]

    def all(self) -> list[ChatMessage]:
        with self.lock:
            return list(self.messages)


@cache
def validator(service: str) -> Draft202012Validator:
    text = resources.files("syncd.sandbox").joinpath("chat_schemas", SCHEMAS[service])
    return Draft202012Validator(json.loads(text.read_text(encoding="utf-8")))


def problems(service: str, body: Any) -> list[str]:
    """Every way `body` misses the documented shape, as ``path: message``."""
    found = []
    for error in sorted(validator(service).iter_errors(body), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path) or "(top)"
        found.append(f"{where}: {error.message[:200]}")
    return found


def chat_routes(inbox: ChatInbox) -> list[Route]:
    async def receive(request: Request) -> Response:
        service = request.path_params["service"]
        if service not in SCHEMAS:
            return PlainTextResponse("no_service", status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request_too_large", status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        wrong = problems(service, data)
        if wrong:
            with inbox.lock:
                inbox.refused.append(wrong[0])
            return JSONResponse({"error": "invalid_payload", "problems": wrong}, status_code=400)
        inbox.add(ChatMessage(service, request.path_params["hook"], data))
        if service == "slack":
            return PlainTextResponse("ok")
        return Response(status_code=202)

    return [
        Route("/chat/{service:str}/{hook:path}", receive, methods=["POST"]),
    ]
