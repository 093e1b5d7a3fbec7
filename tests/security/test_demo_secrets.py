"""A full `syncd demo` run: no credential appears in any output it produces.

The demo runs with SYNCD_LOG_LEVEL=DEBUG and talks to the sandbox with the sandbox's credentials
(and, for one client, as an OAuth app whose refresh token rotates into the store). After a whole
cycle (pull, reconcile, push, webhooks) this test reads every output a person or a machine sees: the
process's logs, every dashboard page, every API answer, /metrics, /healthz and each report
format, and searches them all for every secret value.
"""

from __future__ import annotations

import subprocess
import sys

import httpx

from syncd import store
from syncd.db import OAuthGrant, Webhook
from syncd.demo import CLIENTS, ENV
from tests.conftest import DemoSite
from tests.daemon import harness as h

SECRETS = sorted(set(ENV.values()))


def test_no_secret_in_logs_pages_api_metrics_or_reports(demo_site: DemoSite) -> None:
    """Logs, pages, API, metrics, health and every report format are free of secret values."""
    headers = {"Authorization": f"Bearer {demo_site.token}"}
    http = httpx.Client(base_url=demo_site.url, headers=headers, timeout=30)
    outputs: dict[str, str] = {}
    for path in ("/", "/api/openapi.json", "/api/clients", "/metrics", "/healthz",
                 *(f"/clients/{client}" for client in CLIENTS)):  # fmt: skip
        outputs[path] = http.get(path).text
    for client in CLIENTS:
        for part in ("", "/status", "/snapshots", "/items", "/health"):
            outputs[f"/api/clients/{client}{part}"] = http.get(f"/api/clients/{client}{part}").text
    for fmt in ("html", "md", "json", "csv"):
        done = subprocess.run(
            [sys.executable, "-m", "syncd", "report", "acme", "--format", fmt],
            capture_output=True, text=True, env=demo_site.env(), check=False, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs[f"report.{fmt}"] = done.stdout + done.stderr
    outputs["log"] = demo_site.log.read_text(errors="replace")
    assert " DEBUG httpcore" in outputs["log"]  # the demo ran at DEBUG: the most it ever says
    assert len(outputs["/clients/acme"]) > 1000 and "Acme" in outputs["/clients/acme"]
    assert 'syncd_pulls_total{client="acme",outcome="ok",source="acme-jira"}' in outputs["/metrics"]
    engine = demo_site.engine()

    def dynamic_webhook() -> Webhook | None:
        with store.sessions(engine)() as session:
            return session.get(Webhook, ("initech", "initech-jira"))

    hook = h.wait_for(dynamic_webhook, 30, "the OAuth client's dynamic webhook")
    with store.sessions(engine)() as session:
        rotated = [row.refresh_token for row in session.query(OAuthGrant)]
    engine.dispose()
    assert rotated and ENV["DEMO_JIRA_APP_REFRESH"] not in rotated  # the OAuth client refreshed
    assert hook.expires is not None
    for path in ("/clients/acme/communication", "/clients/acme/review-pack", "/demo/mail",
                 "/demo/chat"):  # fmt: skip
        outputs[path] = http.get(path).text
    hooks = (demo_site.directory / "comms.env").read_text(encoding="utf-8").splitlines()
    chat = [line.split("=", 1)[1] for line in hooks]  # the chat webhooks' URLs are secrets
    chat += [url.rsplit("/", 1)[1] for url in chat]  # so is their last path segment alone
    leaks = [(where, secret) for where, text in outputs.items()
             for secret in SECRETS + rotated + chat if secret in text]  # fmt: skip
    assert leaks == []
