from __future__ import annotations

from sqlalchemy import select

from syncd.db import Token
from syncd.store import sessions
from syncd.web.auth import COOKIE, digest
from tests.web.conftest import Site


def test_token_is_stored_as_digest_only(site: Site) -> None:
    """The tokens table holds the SHA-256 digest of a token, never the token."""
    with sessions(site.engine)() as session:
        digests = set(session.execute(select(Token.digest)).scalars())
    assert digest(site.admin) in digests and site.admin not in digests


def test_every_page_and_api_call_needs_a_token(site: Site) -> None:
    """Without a token pages and API calls answer 401 and say how to authenticate."""
    with site.client() as http:
        for path in ("/", "/clients/acme", "/api/clients", "/api/clients/acme/status", "/metrics"):
            response = http.get(path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_token_is_refused(site: Site) -> None:
    """An unknown bearer token is the same as none."""
    with site.client("sdt_not-a-token") as http:
        assert http.get("/api/clients").status_code == 401


def test_query_token_becomes_a_cookie(site: Site) -> None:
    """`?token=` once redirects to the same URL without it and sets an HttpOnly cookie."""
    with site.client() as http:
        first = http.get(f"/clients/acme?token={site.admin}&as_of=2026-11-30")
        assert first.status_code == 303
        assert first.headers["location"] == "/clients/acme?as_of=2026-11-30"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert http.get("/clients/acme").status_code == 200


def test_scoped_token_sees_its_client_alone(site: Site) -> None:
    """A token scoped to globex lists globex only and gets 404, not 403, for acme."""
    with site.client(site.scoped) as http:
        listed = [c["id"] for c in http.get("/api/clients").json()["clients"]]
        assert listed == ["globex"]
        assert http.get("/clients/globex").status_code == 200
        for path in ("/clients/acme", "/api/clients/acme", "/api/clients/acme/status"):
            assert http.get(path).status_code == 404, path
        replay = http.post(f"/api/clients/acme/dead-letters/{site.dead['acme']}/replay")
        assert replay.status_code == 404
        assert "Acme" not in http.get("/").text


def test_scoped_token_cannot_read_metrics(site: Site) -> None:
    """/metrics names every client, so a scoped token gets 404."""
    with site.client(site.scoped) as http:
        assert http.get("/metrics").status_code == 404
