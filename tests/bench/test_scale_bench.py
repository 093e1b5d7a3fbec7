"""`python -m bench.scale` runs end to end with 5 clients on RabbitMQ + PostgreSQL (its figures
are not checked against times: a benchmark, not a timed test; its counts are)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import require

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_scale_benchmark_runs_and_reports_sane_figures(tmp_path: Path) -> None:
    require("postgres")
    require("rabbitmq")
    out, png = tmp_path / "scale.json", tmp_path / "scale.png"
    args = ["--clients", "5", "--issues", "20", "--cards", "10", "--workers", "1", "2"]
    command = [sys.executable, "-m", "bench.scale", *args, "--every", "0.5"]
    command += ["--json", str(out), "--plot", str(png)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["machine"]["cores"] >= 1
    runs = report["results"]
    assert [r["workers"] for r in runs] == [1, 2] and not any("failed" in r for r in runs)
    for run in runs:
        assert run["clients"] == 5 and run["items"] == 5 * (20 + 10)
        assert run["first_cycle_s"] > 0 and run["items_per_s"] > 0
        # an unchanged cycle: one request per Jira connector and one per Trello board, exactly,
        # however the jobs fall on the processes and whatever the load: what a pull learned of
        # the site (field catalogue, time zone) is kept with its cursor, so no process asks for
        # it again, and the issue seen again at the cursor (inclusive) has its worklogs paged
        # only when it changed
        assert run["nochange_jira_worklog_requests"] == 0
        assert run["nochange_jira_requests"] == 5, run["nochange_routes"]
        assert run["nochange_trello_requests"] == 5
        # and once more, now that nothing changed since the last reconcile: the same requests
        assert run["steady_requests_per_jira"] == run["steady_requests_per_board"] == 1.0
        assert run["steady_cpu_ms_per_client"] > 0
        assert set(run["peak_rss_mib"]) == {
            "run",
            *(f"worker{n + 1}" for n in range(run["workers"])),
        }
        assert run["database_mib"]["first"] > 0 and run["timeline"]
        # the first cycle's CPU, split: syncd's own processes worked, and the share of the
        # machine's time is a share
        assert set(run["first_cpu_s"]) == {"syncd", "sandbox", "rest"}
        assert run["first_cpu_s"]["syncd"] > 0 and 0 < run["first_busy_share"] <= 1.5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
