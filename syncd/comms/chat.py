"""Slack and Microsoft Teams messages: the headline, the reasons, the next milestones and a
link to the dashboard, in each tool's documented incoming-webhook format, and their delivery.

Slack: a Block Kit message (`text` as the notification fallback, `blocks`: header ≤ 150
characters, section text ≤ 3,000, fields ≤ 10 of ≤ 2,000, ≤ 50 blocks). Teams: an Adaptive
Card (version 1.4) in the `message` envelope a Workflows webhook takes (Workflows post Adaptive
Cards only, not the retired connectors' MessageCard). The shapes are pinned by the schemas in
`tests/fixtures/chat/`, which the sandbox validates against.
"""

from __future__ import annotations

from typing import Any

import httpx

from syncd import redact
from syncd.errors import MaybeSentError, NotSentError, PermanentError
from syncd.reports import text
from syncd.reports.model import Status

EMOJI = {"red": ":red_circle:", "amber": ":large_orange_circle:", "green": ":large_green_circle:"}
TEAMS_COLOUR = {"red": "Attention", "amber": "Warning", "green": "Good"}


def _cut(value: str, limit: int) -> str:
    value = text.one_line(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _fit(value: str, limit: int = 3000) -> str:
    """Multi-line text cut to a Slack text limit (not inside an escape such as ``&lt;``)."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    amp = cut.rfind("&")
    if amp > limit - 6 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _slack_escape(value: str) -> str:
    """Slack's three control characters in mrkdwn, so a tracker title cannot mention @channel
    or forge a link."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def milestone_lines(status: Status) -> list[str]:
    return [
        f"{m.name}: forecast {text.day(m.forecast)} ({text.slip(m.slip_days)})"
        for m in status.next_milestones[:5]
    ]


def slack_message(status: Status, *, reason: str = "") -> dict[str, Any]:
    """A Block Kit message for a Slack incoming webhook."""
    colour = status.rag.level.value
    title = _cut(f"{status.client.name}: {colour.upper()} on {status.as_of}", 150)
    reasons = "\n".join(f"• {_slack_escape(r)}" for r in status.rag.reasons) or "• on plan"
    lead = f"{EMOJI[colour]} *{_slack_escape(text.one_line(status.headline))}*"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _fit(lead + "\n" + reasons)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*SPI*\n{text.index(status.figures.spi)}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Complete*\n{text.percent(status.figures.percent_complete)}",
                },
            ],
        },
    ]
    lines = milestone_lines(status)
    if lines:
        body = "*Next milestones*\n" + "\n".join(f"• {_slack_escape(x)}" for x in lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _fit(body)}})
    if reason:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _slack_escape(_cut(reason, 300))}],
            }
        )
    if status.client.dashboard_url.startswith(("https://", "http://")):
        button = {"type": "plain_text", "text": "Open the dashboard"}
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": button, "url": status.client.dashboard_url[:3000]}
                ],
            }
        )
    return {"text": title, "blocks": blocks}


def teams_message(status: Status, *, reason: str = "") -> dict[str, Any]:
    """An Adaptive Card in the envelope a Teams Workflows webhook takes."""
    colour = status.rag.level.value
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"{status.client.name}: {colour.upper()} on {status.as_of}",
            "weight": "Bolder",
            "size": "Medium",
            "color": TEAMS_COLOUR[colour],
            "wrap": True,
        },
        {"type": "TextBlock", "text": status.headline, "wrap": True},
    ]
    body += [{"type": "TextBlock", "text": f"- {r}", "wrap": True} for r in status.rag.reasons]
    facts = [
        {"title": "SPI", "value": text.index(status.figures.spi)},
        {"title": "Complete", "value": text.percent(status.figures.percent_complete)},
    ]
    facts += [{"title": "Milestone", "value": line} for line in milestone_lines(status)]
    body.append({"type": "FactSet", "facts": facts})
    if reason:
        body.append({"type": "TextBlock", "text": reason, "isSubtle": True, "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if status.client.dashboard_url.startswith(("https://", "http://")):
        card["actions"] = [
            {
                "type": "Action.OpenUrl",
                "title": "Open the dashboard",
                "url": status.client.dashboard_url,
            }
        ]
    attachment = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": card,
    }
    return {"type": "message", "attachments": [attachment]}


def post(url: str, body: dict[str, Any], *, transport: httpx.BaseTransport | None = None) -> None:
    """POST one message to a webhook. A refused connection or a 429/5xx was not taken (retry);
    any other 4xx is permanent; a timeout after the body left is the caller's to judge."""
    redact.remember(url)
    try:
        with httpx.Client(timeout=20.0, transport=transport) as client:
            response = client.post(url, json=body)
    except httpx.ConnectError as exc:
        raise NotSentError(f"webhook not reachable: {type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise MaybeSentError(f"webhook did not answer: {type(exc).__name__}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise NotSentError(f"webhook answered {response.status_code}")
    if response.status_code >= 400:
        answer = redact.text(response.text[:200])
        raise PermanentError(f"webhook refused the message: {response.status_code} {answer}")
