"""Binary MS Project (.mpp) through the optional ``mpp`` extra: mpxj converts it to MSPDI.

Needs the Python packages ``mpxj`` and ``JPype1`` (``pip install 'syncd[mpp]'``) and a Java
runtime, 11 or newer, as ``java`` on PATH or under JAVA_HOME. The conversion runs in a child
process, so no JVM stays inside syncd; its MSPDI output goes through `parse_mspdi`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from syncd.errors import PlanError
from syncd.plan.baseline import Baseline
from syncd.plan.mspdi import parse_mspdi

TIMEOUT_S = 180
_CONVERT = """
import sys, jpype, mpxj
jpype.startJVM()
from org.mpxj.reader import UniversalProjectReader
from org.mpxj.writer import FileFormat, UniversalProjectWriter
project = UniversalProjectReader().read(sys.argv[1])
if project is None:
    sys.exit("mpxj could not read this file as a project")
UniversalProjectWriter(FileFormat.MSPDI).write(project, sys.argv[2])
"""


def missing_requirements() -> list[str]:
    """What the .mpp path lacks on this machine, in words (empty: ready)."""
    missing = []
    for module, package in (("mpxj", "mpxj"), ("jpype", "JPype1")):
        if importlib.util.find_spec(module) is None:
            missing.append(f"the Python package {package} (pip install 'syncd[mpp]')")
    if java_binary() is None:
        missing.append("a Java runtime 11+ (java on PATH or JAVA_HOME)")
    return missing


def java_binary() -> str | None:
    """The java executable mpxj would use."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def load_mpp(path: Path, *, baseline_number: int | None = None) -> Baseline:
    """Convert `path` to MSPDI with mpxj, then import that; PlanError says what is missing."""
    missing = missing_requirements()
    if missing:
        raise PlanError(f"{path.name}: reading .mpp files needs {' and '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="syncd-mpp-") as tmp:
        out = Path(tmp) / "plan.xml"
        _convert(path, out)
        data = out.read_bytes()
    return parse_mspdi(data, source=path.name, baseline_number=baseline_number, fmt="mpp")


def _convert(path: Path, out: Path) -> None:
    command = [sys.executable, "-c", _CONVERT, str(path.resolve()), str(out)]
    try:
        done = subprocess.run(  # noqa: S603 - fixed interpreter and script, paths as arguments
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise PlanError(f"{path.name}: mpxj did not finish within {TIMEOUT_S} s") from None
    if done.returncode != 0 or not out.is_file():
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PlanError(f"{path.name}: mpxj could not convert the file: {detail}")
