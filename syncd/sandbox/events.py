"""What the sandbox tells webhook subscribers when something changes."""

from __future__ import annotations

from typing import Any

from syncd.sandbox.clock import epoch_ms
from syncd.sandbox.context import Context
from syncd.sandbox.jira_fields import issue_json
from syncd.sandbox.jira_render import Flavour, comment_json, select_fields, user_json
from syncd.sandbox.state import Action, Comment, History, Issue
from syncd.sandbox.trello_render import action_json, board_json, card_json


def jira_flavour(ctx: Context, name: str) -> Flavour:
    """Webhook bodies use the v2 representation of the flavour the hook was made on."""
    cloud = name == "cloud"
    return Flavour(cloud=cloud, version=2, base=f"{ctx.base_url}/{'cloud' if cloud else 'dc'}")


def notify_issue(
    ctx: Context,
    issue: Issue,
    *,
    event: str = "jira:issue_updated",
    history: History | None = None,
    comment: Comment | None = None,
    user: str | None = None,
) -> None:
    """Send `event` about `issue` to every Jira webhook subscribed to it."""
    state = ctx.state
    for hook in state.jira_webhooks:
        if not hook.active or (hook.events and event not in hook.events):
            continue
        flavour = jira_flavour(ctx, hook.flavour)
        body: dict[str, Any] = {
            "timestamp": epoch_ms(state.clock.now()),
            "webhookEvent": event,
            "issue_event_type_name": "issue_generic" if history else "issue_commented",
            "user": user_json(state, user or issue.assignee or issue.reporter, flavour),
            "issue": issue_json(
                state,
                issue,
                flavour,
                fields=select_fields(["*navigable"], flavour, default="*navigable"),
            ),
        }
        if history is not None:
            body["changelog"] = {"id": str(history.id), "items": history.items}
        if comment is not None:
            body["comment"] = comment_json(state, issue, comment, flavour)
        ctx.dispatcher.send_jira(hook.callback_url, body, hook.secret)


def notify_action(ctx: Context, action: Action) -> None:
    """Send a Trello action to webhooks on its board or its card."""
    state = ctx.state
    card_id = action.data.get("card", {}).get("id")
    for hook in state.trello_webhooks.values():
        if not hook.active or hook.id_model not in (action.id_board, card_id):
            continue
        model = (
            board_json(state, state.boards[action.id_board])
            if hook.id_model == action.id_board
            else None
        )
        if model is None and card_id in state.cards:
            model = card_json(state, state.cards[card_id])
        payload = {
            "model": model,
            "action": action_json(state, action),
            "webhook": {"id": hook.id, "idModel": hook.id_model, "description": hook.description},
        }
        ctx.dispatcher.send_trello(hook.callback_url, payload, ctx.config.creds.trello_secret)
