"""Atlassian's front doors for OAuth 2.0 (3LO) apps, at the sandbox root:

- `POST /auth/oauth/token` (auth.atlassian.com/oauth/token): refresh-token grant, rotating;
- `GET /api/oauth/token/accessible-resources` (api.atlassian.com): the one sandbox site;
- `/api/ex/jira/{cloudId}/rest/...` (api.atlassian.com/ex/jira/...): every Cloud route, for
  `Authorization: Bearer <access token>` only.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from syncd.sandbox import jira_webhooks as hooks
from syncd.sandbox.context import Context
from syncd.sandbox.jira import CREDENTIAL_KEY, jira_routes, oauth_identity
from syncd.sandbox.oauth import SCOPES, OAuthError
from syncd.sandbox.routing import ApiError, Call, json_response, route

GATEWAY_PREFIX = "/api/ex/jira/{cloudId}"
SITE_NAME = "sandbox"
AVATAR_URL = "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png"


def gateway_routes(ctx: Context) -> list[BaseRoute]:
    """The token endpoint, accessible-resources and the `/api/ex/jira/{cloudId}` mount."""
    jira = jira_routes(ctx, cloud=True, label_prefix=GATEWAY_PREFIX)
    return [
        route("/auth/oauth/token", token, ctx=ctx, methods=["POST"], label="/auth/oauth/token"),
        route(
            "/api/oauth/token/accessible-resources",
            accessible_resources,
            ctx=ctx,
            methods=["GET"],
            label="/api/oauth/token/accessible-resources",
        ),
        Mount("/api/ex/jira/{cloud_id}", app=Gateway(jira, ctx)),
    ]


def token(call: Call) -> Response:
    """`POST /auth/oauth/token`: JSON or form body; only `grant_type=refresh_token`."""
    try:
        args = call.form()
    except ApiError:
        return oauth_error(400, "invalid_request", "The request body is not valid JSON.")
    client_id = str(args.get("client_id", ""))
    call.request.scope[CREDENTIAL_KEY] = f"oauth:{client_id or '-'}"
    if args.get("grant_type") != "refresh_token":
        return oauth_error(400, "unsupported_grant_type")
    oauth = call.ctx.state.oauth
    try:
        grant = oauth.refresh(
            client_id, str(args.get("client_secret", "")), str(args.get("refresh_token", ""))
        )
    except OAuthError as exc:
        return oauth_error(exc.status, exc.error, exc.description)
    return json_response(
        {
            "access_token": grant.access_token,
            "refresh_token": grant.refresh_token,
            "expires_in": grant.expires_in,
            "scope": SCOPES,
            "token_type": "Bearer",
        }
    )


def oauth_error(status: int, error: str, description: str = "") -> Response:
    """An OAuth error body: `{"error", "error_description"}`."""
    body = {"error": error} | ({"error_description": description} if description else {})
    return json_response(body, status=status)


def accessible_resources(call: Call) -> Response:
    """`GET /api/oauth/token/accessible-resources`: the sandbox's one Cloud site."""
    identity = bearer_identity(call.ctx, call.request.headers.get("authorization", ""))
    if identity is None:
        return unauthorized()
    call.request.scope[CREDENTIAL_KEY] = identity[0]
    return json_response(
        [
            {
                "id": call.ctx.state.oauth.cloud_id,
                "url": call.ctx.base_url + "/cloud",
                "name": SITE_NAME,
                "scopes": SCOPES.split(),
                "avatarUrl": AVATAR_URL,
            }
        ]
    )


def bearer_identity(ctx: Context, header: str) -> tuple[str, str] | None:
    """(credential label, client id) for `Bearer <unexpired access token>`, else None."""
    scheme, _, value = header.partition(" ")
    return oauth_identity(ctx, value) if scheme.lower() == "bearer" else None


def unauthorized() -> Response:
    """The gateway's 401."""
    return JSONResponse({"code": 401, "message": "Unauthorized"}, status_code=401)


class Gateway:
    """api.atlassian.com in front of the Cloud routes: access token first, then the cloud id."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        identity = bearer_identity(self.ctx, header)
        if identity is None:
            scope[CREDENTIAL_KEY] = "oauth:anonymous"
            await unauthorized()(scope, receive, send)
            return
        scope[CREDENTIAL_KEY], scope[hooks.APP_KEY] = identity
        if scope["path_params"].get("cloud_id") != self.ctx.state.oauth.cloud_id:
            not_found = JSONResponse({"code": 404, "message": "Not Found"}, status_code=404)
            await not_found(scope, receive, send)
            return
        await self.app(scope, receive, send)
