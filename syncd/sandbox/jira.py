"""The two Jira flavours as Starlette apps: Cloud under `/cloud` (REST v3 and v2, token-paged
search, Basic email:token or an OAuth 2.0 access token) and Data Center under `/dc` (REST v2,
offset-paged search, Bearer PAT). `gateway` serves the same Cloud routes through
`/api/ex/jira/{cloudId}`.
"""

from __future__ import annotations

import base64
import binascii

from starlette.responses import JSONResponse
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from syncd.sandbox import jira_comments as comments
from syncd.sandbox import jira_issues as issues
from syncd.sandbox import jira_meta as meta
from syncd.sandbox import jira_search as search
from syncd.sandbox import jira_webhooks as hooks
from syncd.sandbox import jira_worklogs as worklogs
from syncd.sandbox.context import Context
from syncd.sandbox.jira_render import Flavour
from syncd.sandbox.routing import Handler, route

CREDENTIAL_KEY = "sandbox.credential"
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."

# (methods, path under /rest/api/{v}, handler)
COMMON: list[tuple[list[str], str, Handler]] = [
    (["GET"], "/issue/{key}", issues.get_issue),
    (["PUT"], "/issue/{key}", issues.edit_issue),
    (["GET"], "/issue/{key}/changelog", search.issue_changelog),
    (["GET"], "/issue/{key}/transitions", issues.transitions),
    (["POST"], "/issue/{key}/transitions", issues.do_transition),
    (["GET"], "/issue/{key}/properties", issues.list_properties),
    (["GET"], "/issue/{key}/properties/{prop}", issues.get_property),
    (["PUT"], "/issue/{key}/properties/{prop}", issues.put_property),
    (["DELETE"], "/issue/{key}/properties/{prop}", issues.delete_property),
    (["GET"], "/issue/{key}/comment", comments.list_comments),
    (["POST"], "/issue/{key}/comment", comments.add_comment),
    (["GET"], "/issue/{key}/comment/{comment_id}", comments.get_comment),
    (["PUT"], "/issue/{key}/comment/{comment_id}", comments.edit_comment),
    (["DELETE"], "/issue/{key}/comment/{comment_id}", comments.delete_comment),
    (["GET"], "/issue/{key}/worklog", worklogs.list_worklogs),
    (["POST"], "/issue/{key}/worklog", worklogs.add_worklog),
    (["DELETE"], "/issue/{key}/worklog/{worklog_id}", worklogs.delete_worklog),
    (["GET"], "/comment/{comment_id}/properties", comments.comment_property_keys),
    (["GET"], "/comment/{comment_id}/properties/{prop}", comments.comment_property),
    (["PUT"], "/comment/{comment_id}/properties/{prop}", comments.put_comment_property),
    (["GET"], "/field", meta.fields),
    (["GET"], "/serverInfo", meta.server_info),
    (["GET"], "/myself", meta.myself),
    (["GET"], "/project", meta.projects),
    (["GET"], "/mypermissions", meta.my_permissions),
]
CLOUD_ONLY: list[tuple[list[str], str, Handler]] = [
    (["GET", "POST"], "/search/jql", search.search_jql),
    (["GET", "POST"], "/search", search.search_removed),
    (["POST"], "/search/approximate-count", search.approximate_count),
    (["POST"], "/issue/bulkfetch", search.bulkfetch),
    (["POST"], "/changelog/bulkfetch", search.changelog_bulkfetch),
    (["GET"], "/webhook", hooks.list_hooks),
    (["POST"], "/webhook", hooks.register),
    (["DELETE"], "/webhook", hooks.delete_hooks),
    (["PUT"], "/webhook/refresh", hooks.refresh_hooks),
]
DC_ONLY: list[tuple[list[str], str, Handler]] = [
    (["GET", "POST"], "/search", search.search_dc),
]
WEBHOOKS: list[tuple[list[str], str, Handler]] = [
    (["GET"], "/rest/webhooks/1.0/webhook", meta.list_webhooks),
    (["POST"], "/rest/webhooks/1.0/webhook", meta.register_webhook),
    (["DELETE"], "/rest/webhooks/1.0/webhook/{hook_id}", meta.delete_webhook),
]


def jira_app(ctx: Context, *, cloud: bool) -> ASGIApp:
    """One flavour's routes behind its authentication."""
    prefix = "/cloud" if cloud else "/dc"
    return JiraAuth(jira_routes(ctx, cloud=cloud, label_prefix=prefix), ctx, cloud=cloud)


def jira_routes(ctx: Context, *, cloud: bool, label_prefix: str) -> Router:
    """One flavour's routes, unauthenticated; stats label them `label_prefix` + template."""
    base = ctx.base_url + ("/cloud" if cloud else "/dc")
    versions = ("3", "2") if cloud else ("2", "latest")
    routes: list[Route] = []
    for version in versions:
        flavour = Flavour(cloud=cloud, version=3 if version == "3" else 2, base=base)
        table = COMMON + (CLOUD_ONLY if cloud else DC_ONLY)
        for methods, path, handler in sorted(table, key=lambda r: r[1].count("{")):
            full = f"/rest/api/{version}{path}"
            label = label_prefix + full
            routes.append(
                route(full, handler, ctx=ctx, methods=methods, label=label, flavour=flavour)
            )
    hook_flavour = Flavour(cloud=cloud, version=2, base=base)
    for methods, path, handler in WEBHOOKS:
        label = label_prefix + path
        routes.append(
            route(path, handler, ctx=ctx, methods=methods, label=label, flavour=hook_flavour)
        )
    return Router(routes)


def oauth_identity(ctx: Context, token: str) -> tuple[str, str] | None:
    """(credential label, client id) for an unexpired OAuth access token, else None."""
    app = ctx.state.oauth.app_for(token.strip())
    return None if app is None else (f"oauth:{app.client_id}", app.client_id)


class JiraAuth:
    """Basic email:API-token or an OAuth access token on Cloud, `Bearer <PAT>` on Data Center;
    else Jira's 401. OAuth callers' client ids go into the scope under `APP_KEY`."""

    def __init__(self, app: ASGIApp, ctx: Context, *, cloud: bool) -> None:
        self.app = app
        self.ctx = ctx
        self.cloud = cloud

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        identity = self.identify(header)
        if identity is None:
            response = JSONResponse(
                {"errorMessages": [NOT_AUTHENTICATED], "errors": {}},
                status_code=401,
                headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"},
            )
            scope[CREDENTIAL_KEY] = "jira:anonymous"
            await response(scope, receive, send)
            return
        scope[CREDENTIAL_KEY], client_id = identity
        if client_id is not None:
            scope[hooks.APP_KEY] = client_id
        await self.app(scope, receive, send)

    def identify(self, header: str) -> tuple[str, str | None] | None:
        """(credential label, OAuth client id or None), or None when not accepted."""
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if self.cloud and scheme == "basic":
            label = self.basic(value)
            return None if label is None else (label, None)
        if self.cloud and scheme == "bearer":
            return oauth_identity(self.ctx, value)
        if scheme == "bearer" and value.strip() == self.ctx.config.creds.jira_pat:
            return "jira-dc:pat", None
        return None

    def basic(self, value: str) -> str | None:
        """Cloud's email:API-token label, or None."""
        creds = self.ctx.config.creds
        try:
            email, _, token = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        ok = email == creds.jira_email and token == creds.jira_token
        return f"jira-cloud:{email}" if ok else None
