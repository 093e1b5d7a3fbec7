"""Access tokens: random, shown once, stored only as a SHA-256 digest.

A request carries its token as ``Authorization: Bearer <token>``, or once as ``?token=`` (which
answers with a redirect that drops it from the URL and sets an HttpOnly cookie). A token scoped
to one client sees that client alone; any other client answers 404, exactly as if it did not
exist, so a scoped token cannot even learn which clients there are.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from syncd.store.tokens import add_token, find_token

COOKIE = "syncd_token"
PREFIX = "sdt_"
Endpoint = Callable[[Request], Response]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a token id and the one client it is limited to (None: every client)."""

    token_id: int
    client: str | None

    def sees(self, client: str) -> bool:
        return self.client is None or self.client == client


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, *, client: str | None = None, name: str = "") -> str:
    """A new random token (printed once, never stored); its digest goes into `tokens`."""
    token = PREFIX + secrets.token_urlsafe(32)
    add_token(engine, digest(token), client=client, name=name)
    return token


def lookup(engine: Engine, token: str | None) -> Principal | None:
    """The principal of a presented token, or None when it is unknown."""
    if not token or len(token) > 200:
        return None
    found = find_token(engine, digest(token))
    return None if found is None else Principal(token_id=found[0], client=found[1])


def presented(request: Request) -> str | None:
    """The token a request carries: bearer header first, then the cookie, then the query."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or request.query_params.get("token")


def _adopt_query_token(request: Request, token: str) -> Response:
    """Swap ``?token=`` for a cookie and send the browser to the same URL without it."""
    url = request.url.remove_query_params("token")
    target = url.path + (f"?{url.query}" if url.query else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
        max_age=30 * 24 * 3600,
    )
    return response


def protected(
    denied: Callable[[Request, int], Response],
) -> Callable[[Endpoint], Endpoint]:
    """Guard an endpoint: 401 without a valid token, 404 for a client the token may not see.

    `denied(request, status)` renders the refusal (HTML for pages, JSON for the API).
    """

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        def guarded(request: Request) -> Response:
            response = _answer(request, endpoint, denied)
            response.headers["Cache-Control"] = "no-store"  # no shared or browser cache keeps it
            return response

        return guarded

    return wrap


def _answer(
    request: Request, endpoint: Endpoint, denied: Callable[[Request, int], Response]
) -> Response:
    engine: Engine = request.app.state.engine
    principal = lookup(engine, presented(request))
    if principal is None:
        return denied(request, 401)
    query_token = request.query_params.get("token")
    if query_token and request.method == "GET" and lookup(engine, query_token):
        return _adopt_query_token(request, query_token)
    client = request.path_params.get("client")
    if client is not None and not principal.sees(str(client)):
        return denied(request, 404)
    request.state.principal = principal
    return endpoint(request)


def principal_of(request: Request) -> Principal:
    found: Principal = request.state.principal
    return found
