"""Atlassian OAuth 2.0 (3LO): rotating refresh tokens, access tokens on the simulated clock,
the `/api/ex/jira/{cloudId}` gateway, and Jira Cloud dynamic webhooks with JWT-signed deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from syncd.sandbox import Faults, Sandbox, SandboxConfig
from syncd.sandbox.oauth import REUSE_INTERVAL
from tests.contracts import contract_checking_client

from .conftest import Receiver

CLIENT_ID = "syncd-app"
CLIENT_SECRET = "syncd-app-secret"
ONLY_APPS = {
    "errorMessages": ["Only Connect and OAuth 2.0 apps can use this operation."],
    "errors": {},
}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh small sandbox with one registered app (these tests move the clock)."""
    with Sandbox(SandboxConfig(seed=17, jira_issues=40, trello_cards=4)) as sandbox:
        sandbox.state.oauth.register_app(CLIENT_ID, CLIENT_SECRET)
        yield sandbox


def exchange(sb: Sandbox, refresh_token: str, **overrides: str) -> httpx.Response:
    """POST the refresh-token grant to the sandbox's token endpoint."""
    body = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
    }
    return httpx.post(f"{sb.atlassian_auth_url}/oauth/token", json=body | overrides)


def access_token(sb: Sandbox, client_id: str = CLIENT_ID) -> str:
    """A fresh access token for `client_id` (registered with CLIENT_SECRET)."""
    response = exchange(sb, sb.state.oauth.grant(client_id), client_id=client_id)
    assert response.status_code == 200
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an access token."""
    return {"Authorization": f"Bearer {token}"}


def basic(sb: Sandbox) -> tuple[str, str]:
    """Cloud's Basic email:API-token credentials."""
    return (sb.creds.jira_email, sb.creds.jira_token)


def b64url_decode(text: str) -> bytes:
    """base64url without padding, as JWTs write it."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified_claims(jwt: str, secret: str) -> dict[str, Any]:
    """The claims of an HS256 JWT whose signature checks out (constant-time)."""
    header, payload, signature = jwt.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(expected, b64url_decode(signature))
    assert json.loads(b64url_decode(header)) == {"alg": "HS256", "typ": "JWT"}
    claims: dict[str, Any] = json.loads(b64url_decode(payload))
    return claims


def without_page_token(body: dict[str, Any]) -> dict[str, Any]:
    """A search page minus its token (each walk gets its own snapshot)."""
    return {k: v for k, v in body.items() if k != "nextPageToken"}


def register(client: httpx.Client, url: str, *specs: dict[str, Any]) -> httpx.Response:
    """POST /webhook with `specs`."""
    return client.post("/webhook", json={"url": url, "webhooks": list(specs)})


def test_refresh_grant_rotates_the_refresh_token(sb: Sandbox) -> None:
    """A refresh token is rotated: the answer carries a new one that works in turn, and the used
    one is refused once its reuse window (for a client that lost the answer) has passed."""
    first = sb.state.oauth.grant(CLIENT_ID)
    response = exchange(sb, first)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "manage:jira-webhook" in body["scope"].split()
    assert body["refresh_token"] != first
    assert exchange(sb, first).status_code == 200  # within the reuse window
    sb.state.clock.advance(REUSE_INTERVAL + timedelta(seconds=1))
    reused = exchange(sb, first)
    assert reused.status_code == 403
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token.",
    }
    assert exchange(sb, body["refresh_token"]).status_code == 200
    assert sb.stats()["requests"]["POST /auth/oauth/token"] == 4


def test_form_encoded_grant_is_accepted(sb: Sandbox) -> None:
    """The token endpoint reads a form-encoded body as well as JSON."""
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": sb.state.oauth.grant(CLIENT_ID),
    }
    response = httpx.post(f"{sb.atlassian_auth_url}/oauth/token", data=form)
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_wrong_secret_or_unknown_client_is_401(sb: Sandbox) -> None:
    """A wrong client secret or an unregistered client is refused with access_denied."""
    token = sb.state.oauth.grant(CLIENT_ID)
    denied = {"error": "access_denied", "error_description": "Unauthorized"}
    wrong = exchange(sb, token, client_secret="nope")
    assert (wrong.status_code, wrong.json()) == (401, denied)
    unknown = exchange(sb, token, client_id="stranger")
    assert (unknown.status_code, unknown.json()) == (401, denied)
    assert exchange(sb, token).status_code == 200


def test_unsupported_grant_type_is_400(sb: Sandbox) -> None:
    """Only the refresh-token grant is served."""
    response = exchange(sb, "x", grant_type="client_credentials")
    assert (response.status_code, response.json()) == (400, {"error": "unsupported_grant_type"})


def test_access_token_expires_on_the_sandbox_clock(sb: Sandbox) -> None:
    """An access token stops working once the simulated clock passes its lifetime."""
    token = access_token(sb)
    myself = f"{sb.jira_oauth_url}/rest/api/3/myself"
    assert httpx.get(myself, headers=bearer(token)).status_code == 200
    sb.state.clock.advance(timedelta(seconds=sb.state.oauth.access_ttl + 1))
    expired = httpx.get(myself, headers=bearer(token))
    assert (expired.status_code, expired.json()) == (401, {"code": 401, "message": "Unauthorized"})
    resources = f"{sb.atlassian_api_url}/oauth/token/accessible-resources"
    assert httpx.get(resources, headers=bearer(token)).status_code == 401


def test_accessible_resources_lists_the_cloud_site(sb: Sandbox) -> None:
    """accessible-resources names the one site: its cloud id, site URL and scopes."""
    url = f"{sb.atlassian_api_url}/oauth/token/accessible-resources"
    response = httpx.get(url, headers=bearer(access_token(sb)))
    assert response.status_code == 200
    [site] = response.json()
    assert site["id"] == sb.state.oauth.cloud_id
    assert site["url"] == sb.jira_cloud_url
    assert site["name"] == "sandbox"
    assert "read:jira-work" in site["scopes"]
    assert site["avatarUrl"].startswith("https://")
    assert httpx.get(url, headers=bearer("bogus")).status_code == 401


def test_cloud_id_is_uuid_shaped_and_fixed(sb: Sandbox) -> None:
    """The cloud id looks like Atlassian's and does not change between sandboxes."""
    cloud_id = sb.state.oauth.cloud_id
    assert [len(part) for part in cloud_id.split("-")] == [8, 4, 4, 4, 12]
    with Sandbox(SandboxConfig(seed=3, jira_issues=2, trello_cards=1)) as other:
        assert other.state.oauth.cloud_id == cloud_id


def test_gateway_answers_as_the_cloud_site(sb: Sandbox) -> None:
    """Search and issue reads through /api/ex/jira/{cloudId} equal the /cloud answers."""
    token = access_token(sb)
    params = {"jql": "project = ACME ORDER BY key", "fields": "summary,status", "maxResults": 5}
    with (
        contract_checking_client(base_url=sb.jira_oauth_url, headers=bearer(token)) as app,
        httpx.Client(base_url=sb.jira_cloud_url, auth=basic(sb)) as site,
    ):
        for path, query in (("/rest/api/3/search/jql", params), ("/rest/api/3/issue/ACME-1", {})):
            via_app = app.get(path, params=query)
            assert via_app.status_code == 200
            via_site = site.get(path, params=query).json()
            assert without_page_token(via_app.json()) == without_page_token(via_site)
        assert app.get("/rest/api/2/myself").json() == site.get("/rest/api/2/myself").json()
        assert app.contract_problems == []
    stats = sb.stats()
    assert stats["requests"]["GET /api/ex/jira/{cloudId}/rest/api/3/search/jql"] == 1
    assert stats["requests"]["GET /api/ex/jira/{cloudId}/rest/api/3/issue/{key}"] == 1
    assert stats["by_credential"][f"oauth:{CLIENT_ID}"] >= 3


def test_gateway_refuses_unknown_sites_and_basic_auth(sb: Sandbox) -> None:
    """An unknown cloud id is 404; Basic credentials are not an access token (401)."""
    token = access_token(sb)
    wrong_site = f"{sb.atlassian_api_url}/ex/jira/00000000-0000-0000-0000-000000000000"
    assert httpx.get(f"{wrong_site}/rest/api/3/myself", headers=bearer(token)).status_code == 404
    with_basic = httpx.get(f"{sb.jira_oauth_url}/rest/api/3/myself", auth=basic(sb))
    assert (with_basic.status_code, with_basic.json()) == (
        401,
        {"code": 401, "message": "Unauthorized"},
    )


def test_gateway_gets_the_cloud_faults(sb: Sandbox) -> None:
    """Jira's injected 429s apply to the gateway as to /cloud."""
    token = access_token(sb)
    sb.set_faults(Faults(jira_429_every=1, retry_after_s=2))
    response = httpx.get(f"{sb.jira_oauth_url}/rest/api/3/myself", headers=bearer(token))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"


def test_dynamic_webhooks_refuse_basic_auth(sb: Sandbox) -> None:
    """Basic-auth callers get Jira's 403 on every dynamic webhook operation."""
    ids = {"webhookIds": [1]}
    with httpx.Client(base_url=sb.jira_cloud_url + "/rest/api/3", auth=basic(sb)) as site:
        answers = [
            site.get("/webhook"),
            site.post("/webhook", json={"url": "http://x", "webhooks": []}),
            site.request("DELETE", "/webhook", json=ids),
            site.put("/webhook/refresh", json=ids),
        ]
    assert [(a.status_code, a.json()) for a in answers] == [(403, ONLY_APPS)] * 4


def test_webhook_register_list_refresh_delete(sb: Sandbox) -> None:
    """The dynamic webhook lifecycle, each exchange checked against the official document."""
    token = access_token(sb)
    api = sb.jira_oauth_url + "/rest/api/3"
    with contract_checking_client(base_url=api, headers=bearer(token)) as app:
        created = register(
            app,
            "http://127.0.0.1:9/hook",
            {"events": ["jira:issue_updated"], "jqlFilter": "project = ACME"},
            {"events": ["jira:issue_created"], "jqlFilter": "project = = ACME"},
            {
                "events": ["comment_created"],
                "jqlFilter": "project = BETA",
                "fieldIdsFilter": ["summary"],
            },
        )
        assert created.status_code == 200
        results = created.json()["webhookRegistrationResult"]
        assert "errors" in results[1] and results[1]["errors"]
        ids = [results[0]["createdWebhookId"], results[2]["createdWebhookId"]]
        listed = app.get("/webhook", params={"startAt": 0, "maxResults": 1}).json()
        assert (listed["total"], listed["isLast"]) == (2, False)
        assert listed["values"][0]["id"] == ids[0]
        assert listed["values"][0]["jqlFilter"] == "project = ACME"
        first_expiry = listed["values"][0]["expirationDate"]
        sb.state.clock.advance(timedelta(minutes=30))
        refreshed = app.put("/webhook/refresh", json={"webhookIds": [ids[0], 999_999]})
        assert refreshed.json()["expirationDate"] == first_expiry + 1_800_000
        gone = app.request("DELETE", "/webhook", json={"webhookIds": ids})
        assert (gone.status_code, gone.content) == (202, b"")
        assert app.get("/webhook").json()["values"] == []
        assert app.contract_problems == []


def test_apps_see_only_their_own_webhooks(sb: Sandbox) -> None:
    """Another app cannot list, refresh or delete this app's webhooks; /cloud takes Bearer too."""
    sb.state.oauth.register_app("other-app", CLIENT_SECRET)
    mine, theirs = access_token(sb), access_token(sb, "other-app")
    with (
        httpx.Client(base_url=sb.jira_cloud_url + "/rest/api/3", headers=bearer(mine)) as app,
        httpx.Client(base_url=sb.jira_oauth_url + "/rest/api/3", headers=bearer(theirs)) as other,
    ):
        spec = {"events": ["jira:issue_updated"], "jqlFilter": "project = ACME"}
        hook_id = register(app, "http://127.0.0.1:9/a", spec).json()["webhookRegistrationResult"]
        hook_id = hook_id[0]["createdWebhookId"]
        assert other.get("/webhook").json()["total"] == 0
        other.request("DELETE", "/webhook", json={"webhookIds": [hook_id]})
        assert [h["id"] for h in app.get("/webhook").json()["values"]] == [hook_id]


def test_one_url_per_app(sb: Sandbox) -> None:
    """Registering a second URL while the app has webhooks is a 400 ErrorCollection."""
    token = access_token(sb)
    spec = {"events": ["jira:issue_updated"], "jqlFilter": "project = ACME"}
    with contract_checking_client(
        base_url=sb.jira_oauth_url + "/rest/api/3", headers=bearer(token)
    ) as app:
        assert register(app, "http://127.0.0.1:9/one", spec).status_code == 200
        assert register(app, "http://127.0.0.1:9/one", spec).status_code == 200
        refused = register(app, "http://127.0.0.1:9/two", spec)
        assert refused.status_code == 400
        assert refused.json()["errorMessages"]
        assert app.contract_problems == []


def test_delivery_is_filtered_and_carries_a_verifiable_jwt(sb: Sandbox, receiver: Receiver) -> None:
    """An update matching the JQL is POSTed once per app with matched ids and an HS256 JWT."""
    token = access_token(sb)
    api = sb.jira_oauth_url + "/rest/api/3"
    with httpx.Client(base_url=api, headers=bearer(token)) as app:
        results = register(
            app,
            receiver.url + "/jira",
            {"events": ["jira:issue_updated"], "jqlFilter": "project = ACME"},
            {"events": ["jira:issue_updated"], "jqlFilter": "project = BETA"},
            {"events": ["comment_created"], "jqlFilter": "project = ACME"},
        ).json()["webhookRegistrationResult"]
        edited = app.put("/issue/ACME-1", json={"fields": {"summary": "renamed by the app"}})
        assert edited.status_code == 204
    assert sb.flush_webhooks()
    [(path, headers, body)] = receiver.received
    assert path == "/jira"
    payload = json.loads(body)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["key"] == "ACME-1"
    assert payload["matchedWebhookIds"] == [results[0]["createdWebhookId"]]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Atlassian-Webhook-Identifier"]
    scheme, _, jwt = headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = verified_claims(jwt, CLIENT_SECRET)
    assert claims["iss"] == CLIENT_ID
    assert claims["exp"] == claims["iat"] + 180
    assert abs(claims["iat"] - time.time()) < 60


def test_expired_webhook_delivers_nothing(sb: Sandbox, receiver: Receiver) -> None:
    """Thirty days after registration (sandbox clock) a dynamic webhook stops delivering."""
    with httpx.Client(
        base_url=sb.jira_oauth_url + "/rest/api/3", headers=bearer(access_token(sb))
    ) as app:
        spec = {"events": ["jira:issue_updated"], "jqlFilter": "project = ACME"}
        assert register(app, receiver.url + "/jira", spec).status_code == 200
    sb.state.clock.advance(timedelta(days=30, seconds=1))
    with httpx.Client(base_url=sb.jira_cloud_url + "/rest/api/3", auth=basic(sb)) as site:
        edited = site.put("/issue/ACME-1", json={"fields": {"summary": "too late"}})
        assert edited.status_code == 204
    assert sb.flush_webhooks()
    assert receiver.received == []
    assert sb.deliveries == []


def test_admin_api_sets_up_an_app(sb: Sandbox) -> None:
    """POST /_admin/oauth/apps registers an app and answers a refresh token for it."""
    answer = httpx.post(
        f"{sb.url}/_admin/oauth/apps", json={"client_id": "remote", "client_secret": "s"}
    )
    assert answer.status_code == 201
    assert answer.json()["cloud_id"] == sb.state.oauth.cloud_id
    response = exchange(sb, answer.json()["refresh_token"], client_id="remote", client_secret="s")
    assert response.status_code == 200


def test_field_filter_limits_update_deliveries(sb: Sandbox, receiver: Receiver) -> None:
    """With fieldIdsFilter, only updates that change one of those fields are delivered."""
    with httpx.Client(
        base_url=sb.jira_oauth_url + "/rest/api/3", headers=bearer(access_token(sb))
    ) as app:
        spec = {
            "events": ["jira:issue_updated"],
            "jqlFilter": "project = ACME",
            "fieldIdsFilter": ["labels"],
        }
        assert register(app, receiver.url + "/jira", spec).status_code == 200
        app.put("/issue/ACME-1", json={"fields": {"summary": "not watched"}})
        app.put("/issue/ACME-1", json={"fields": {"labels": ["watched"]}})
    assert sb.flush_webhooks()
    [(_, _, body)] = receiver.received
    assert json.loads(body)["changelog"]["items"][0]["field"] == "labels"
