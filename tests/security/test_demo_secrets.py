"""A full `syncd demo` run: no credential appears in any output it produces.

The demo talks to the sandbox with the sandbox's credentials. After a whole cycle (pull,
reconcile, push, webhooks) this test reads every output a person or a machine sees: the
process's logs, every dashboard page, every API answer, /metrics, /healthz and each report
format, and searches them all for every secret value.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syncd.demo import ENV
from tests.daemon import harness as h

SECRETS = sorted(set(ENV.values()))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str, Path, Path]]:
    port = h.free_port()
    log = tmp_path / "demo.log"
    directory = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "DEMO_"))}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "syncd",
                "demo",
                "--port",
                str(port),
                "--tick",
                "2",
                "--directory",
                str(directory),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        token = h.wait_for(lambda: _token(log), 90, "the demo's token line")
        yield f"http://127.0.0.1:{port}", token, log, directory
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _token(log: Path) -> str | None:
    found = re.search(r"token: (\S+)", log.read_text(errors="replace")) if log.exists() else None
    return found.group(1) if found else None


def test_no_secret_in_logs_pages_api_metrics_or_reports(demo: tuple[str, str, Path, Path]) -> None:
    """Logs, pages, API, metrics, health and every report format are free of secret values."""
    base, token, log, directory = demo
    http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def pushed() -> bool:
        status = http.get("/api/clients/acme/health")
        return status.status_code == 200 and http.get("/api/clients/acme/status").status_code == 200

    h.wait_for(pushed, 120, "the first acme status")
    outputs: dict[str, str] = {}
    for path in (
        "/",
        "/clients/acme",
        "/clients/globex",
        "/api/openapi.json",
        "/api/clients",
        "/metrics",
        "/healthz",
    ):
        outputs[path] = http.get(path).text
    for client in ("acme", "globex"):
        for part in ("", "/status", "/snapshots", "/items", "/health"):
            outputs[f"/api/clients/{client}{part}"] = http.get(f"/api/clients/{client}{part}").text
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env |= ENV | {"SYNCD_CONFIG_DIR": str(directory / "config"), "SYNCD_DATA_DIR": str(directory)}
    for fmt in ("html", "md", "json", "csv"):
        done = subprocess.run(
            [sys.executable, "-m", "syncd", "report", "acme", "--format", fmt],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs[f"report.{fmt}"] = done.stdout + done.stderr
    outputs["log"] = log.read_text(errors="replace")
    assert len(outputs["/clients/acme"]) > 1000 and "Acme" in outputs["/clients/acme"]
    assert 'syncd_pulls_total{client="acme",outcome="ok",source="acme-jira"}' in outputs["/metrics"]
    leaks = [
        (where, secret) for where, text in outputs.items() for secret in SECRETS if secret in text
    ]
    assert leaks == []
