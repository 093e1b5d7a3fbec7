"""`python -m bench.command` runs end to end at a tiny size (figures are not checked: a
benchmark, not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_command_benchmark_runs_every_client_and_command(tmp_path: Path) -> None:
    out = tmp_path / "command.json"
    args = ["--issues", "200", "--repeat", "1", "--repeat-small", "1", "--json", str(out)]
    subprocess.run(
        [sys.executable, "-m", "bench.command", *args],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = json.loads(out.read_text())
    pulls = {row["client"]: row for row in result["pulls"]}
    assert set(pulls) == {"syncd", "floor", "jira"}
    assert all(row["items"] == 200 for row in pulls.values())  # every issue, stored by syncd
    assert pulls["syncd"]["requests"] > 0
    assert {row["command"] for row in result["commands"]} == {"syncd --help", "syncd check"}
