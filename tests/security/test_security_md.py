"""SECURITY.md names real tests: every `file::test` it cites exists under tests/."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CITED = re.compile(r"`((?:[\w/]+/test_\w+\.py)?(?:::\w+)?)`")


def cited_tests() -> list[tuple[str, str | None]]:
    """(file, test or None) for each test SECURITY.md cites; `::name` continues the last file."""
    found: list[tuple[str, str | None]] = []
    for row in (REPO / "SECURITY.md").read_text().splitlines():
        last = ""
        for ref in CITED.findall(row):
            path, _, name = ref.partition("::")
            if path:
                last = path
            elif not (ref.startswith("::") and last):
                continue
            found.append((last, name or None))
    return found


def test_every_test_security_md_cites_exists() -> None:
    """Each cited file is under tests/, and each cited test is defined in it."""
    cited = cited_tests()
    assert len(cited) > 40
    missing = []
    for path, name in cited:
        source = REPO / "tests" / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert missing == []
