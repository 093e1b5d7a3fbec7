"""A full `syncd demo` run: no credential appears in any output it produces.

The demo talks to the sandbox with the sandbox's credentials. After a whole cycle (pull,
reconcile, push, webhooks) this test reads every output a person or a machine sees: the
process's logs, every dashboard page, every API answer, /metrics, /healthz and each report
format, and searches them all for every secret value.
"""

from __future__ import annotations

import subprocess
import sys

import httpx

from syncd.demo import ENV
from tests.conftest import DemoSite

SECRETS = sorted(set(ENV.values()))


def test_no_secret_in_logs_pages_api_metrics_or_reports(demo_site: DemoSite) -> None:
    """Logs, pages, API, metrics, health and every report format are free of secret values."""
    headers = {"Authorization": f"Bearer {demo_site.token}"}
    http = httpx.Client(base_url=demo_site.url, headers=headers, timeout=30)
    outputs: dict[str, str] = {}
    for path in ("/", "/clients/acme", "/clients/globex", "/api/openapi.json", "/api/clients",
                 "/metrics", "/healthz"):  # fmt: skip
        outputs[path] = http.get(path).text
    for client in ("acme", "globex"):
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
    assert len(outputs["/clients/acme"]) > 1000 and "Acme" in outputs["/clients/acme"]
    assert 'syncd_pulls_total{client="acme",outcome="ok",source="acme-jira"}' in outputs["/metrics"]
    leaks = [(where, secret) for where, text in outputs.items() for secret in SECRETS
             if secret in text]  # fmt: skip
    assert leaks == []
