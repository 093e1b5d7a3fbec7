"""A fresh clone stands on its own: nothing in it reads or links outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
TEXT = {".py", ".md", ".toml", ".html", ".css", ".txt", ".cfg", ".sh", ".json", ".mako"}
# A path into a folder beside the clone: `../shared`, `parent / "shared"`, `shared/reference`.
OUTSIDE = re.compile(
    r"""\.\./shared|/\s*["']shared["']|\bshared/(?:reference|contracts)|/work/"""
    r"""|parents\[[3-9]\]|\.parent\.parent\.parent"""
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _files(*folders: str) -> list[Path]:
    found = []
    for folder in folders:
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in TEXT and not path.name.endswith(".min.js"):
                found.append(path)
    return found


def test_no_code_test_or_doc_points_outside_the_repository() -> None:
    """No path to `shared/` or to a folder above the clone, in syncd/, tests/, docs/, bench/."""
    this = Path(__file__).resolve()
    offending = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _files("syncd", "tests", "docs", "bench", "scripts", "config")
        if path != this and FIXTURES not in path.parents
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offending == []


def test_every_relative_link_in_the_docs_resolves_inside_the_repository() -> None:
    """Markdown links that are not URLs name files that exist in the clone."""
    broken = []
    for path in [*_files("docs", "tests", "bench"), *REPO.glob("*.md")]:
        if path.suffix != ".md":
            continue
        for target in LINK.findall(path.read_text(errors="replace")):
            if re.match(r"^[a-z]+:|^#", target):
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            if REPO not in resolved.parents or not resolved.exists():
                broken.append(f"{path.relative_to(REPO)} → {target}")
    assert broken == []


def test_every_fixture_folder_names_its_sources() -> None:
    """Each folder of tests/fixtures has a SOURCES.md naming origin, commit and licence."""
    folders = [p for p in FIXTURES.iterdir() if p.is_dir()]
    assert {p.name for p in folders} >= {"contracts", "payloads", "plans"}
    for folder in folders:
        sources = (folder / "SOURCES.md").read_text()
        assert re.search(r"\b[0-9a-f]{40}\b", sources), folder  # a commit
        assert re.search(r"(?i)licen[cs]e", sources), folder
