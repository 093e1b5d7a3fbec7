"""What the demo shows beside the dashboard: the mails its SMTP sink caught and the chat
messages its sandbox took. Empty outside the demo (the pages then answer 404)."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

mail_sources: list[Callable[[], list[EmailMessage]]] = []
chat_sources: list[Callable[[], list[tuple[str, dict[str, Any]]]]] = []


def mails() -> list[EmailMessage]:
    return [m for source in mail_sources for m in source()]


def chats() -> list[tuple[str, dict[str, Any]]]:
    return [c for source in chat_sources for c in source()]
