"""What the sandbox tells webhook subscribers when something changes."""

from __future__ import annotations

from typing import Any

from syncd.sandbox.clock import epoch_ms
from syncd.sandbox.context import Context
from syncd.sandbox.jira_fields import issue_json
from syncd.sandbox.jira_render import Flavour, comment_json, select_fields, user_json
from syncd.sandbox.jira_webhooks import matches
from syncd.sandbox.state import Action, Comment, DynamicWebhook, History, Issue
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
    """Send `event` about `issue` to every admin webhook and OAuth app subscribed to it."""
    for hook in ctx.state.jira_webhooks:
        if not hook.active or (hook.events and event not in hook.events):
            continue
        flavour = jira_flavour(ctx, hook.flavour)
        body = issue_event(
            ctx, issue, flavour=flavour, event=event, history=history, comment=comment, user=user
        )
        ctx.dispatcher.send_jira(hook.callback_url, body, hook.secret)
    notify_apps(ctx, issue, event=event, history=history, comment=comment, user=user)


def issue_event(
    ctx: Context,
    issue: Issue,
    *,
    flavour: Flavour,
    event: str,
    history: History | None,
    comment: Comment | None,
    user: str | None,
) -> dict[str, Any]:
    """The JSON body of an issue or comment event, in `flavour`'s representation."""
    state = ctx.state
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
    return body


def notify_apps(
    ctx: Context,
    issue: Issue,
    *,
    event: str,
    history: History | None,
    comment: Comment | None,
    user: str | None,
) -> None:
    """One delivery per OAuth app with matching dynamic webhooks, listing the ids matched."""
    state = ctx.state
    matched: dict[str, list[DynamicWebhook]] = {}
    for hook in sorted(state.dynamic_webhooks.values(), key=lambda h: h.id):
        if matches(ctx, hook, issue, event, history):
            matched.setdefault(hook.client_id, []).append(hook)
    for client_id, hooks in matched.items():
        app = state.oauth.apps.get(client_id)
        if app is None:
            continue
        flavour = jira_flavour(ctx, "cloud")
        body = issue_event(
            ctx, issue, flavour=flavour, event=event, history=history, comment=comment, user=user
        )
        body["matchedWebhookIds"] = [h.id for h in hooks]
        ctx.dispatcher.send_jira_app(
            hooks[0].url, body, client_id=client_id, client_secret=app.client_secret
        )


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
