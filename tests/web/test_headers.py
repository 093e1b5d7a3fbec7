"""Headers every answer needs: security headers on a 500 too, no caching of what a token saw."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncd.db import make_engine
from syncd.settings import Settings
from syncd.web.app import SECURITY_HEADERS, create_app
from tests.web.conftest import Site, free_port, serve


def explode(request: Request) -> Response:
    raise RuntimeError("a bug in a handler")


def test_an_internal_error_answers_500_with_the_security_headers(tmp_path: Path) -> None:
    """A handler that raises gives a 500 carrying the CSP, nosniff, frame and referrer headers
    and the request id, like every other answer."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app(
        engine=engine,
        settings=Settings(config_dir=tmp_path),
        extra_routes=[Route("/explode", explode, methods=["GET"])],
    )
    server, thread = serve(app, port := free_port())
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/explode", headers={"x-request-id": "r-1"})
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        engine.dispose()
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["x-request-id"] == "r-1"


def test_answers_to_a_token_are_never_cached(site: Site) -> None:
    """Pages, API answers and metrics seen with a token say `Cache-Control: no-store`."""
    with site.client(site.admin) as http:
        for path in ("/", "/clients/acme", "/api/clients", "/api/clients/acme/health", "/metrics"):
            response = http.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-store", path


def test_replay_page_route_with_a_huge_job_id_is_404(site: Site) -> None:
    """A job id past any the store holds is "no such job" (404) on the page route, as in the API,
    not a 500 from the database."""
    with site.client(site.admin) as http:
        for job_id in ("9007199254740993", "9" * 40):
            page = http.post(f"/clients/acme/dead-letters/{job_id}/replay")
            assert page.status_code == 404, job_id
            api = http.post(f"/api/clients/acme/dead-letters/{job_id}/replay")
            assert api.status_code == 404, job_id
