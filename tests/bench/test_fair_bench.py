"""`python -m bench.fair` in its short form: it runs, and small clients pulled while the big
client did (counts are checked, never times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_fair_benchmark_short_form_measures_small_cycles_during_the_big_pull(
    tmp_path: Path,
) -> None:
    out = tmp_path / "fair.json"
    command = [sys.executable, "-m", "bench.fair", "--issues", "6000", "--small", "2"]
    command += ["--poll", "0.05", "--json", str(out)]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True, timeout=280)
    result = json.loads(out.read_text())
    assert result["issues"] == 6000 and result["small_clients"] == 2
    assert result["big_pull_s"] > 0
    assert result["small_pulls_during"] > 0  # they were not held back until the big pull ended
    if result["cycles_measured"]:
        assert result["p50_s"] <= result["p95_s"] <= result["max_s"]
