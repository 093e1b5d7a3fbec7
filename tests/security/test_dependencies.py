"""Dependency floors exclude versions with known advisories."""

from __future__ import annotations

import tomllib

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO

FIXED_IN = {
    "starlette": ("0.49.0", "0.49.1"),  # CVE-2025-62727: Range header parsing is quadratic
    "jinja2": ("3.1.5", "3.1.6"),  # CVE-2025-27516: sandbox escape through |attr
}


def requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = (Requirement(line) for line in project["dependencies"])
    return {r.name.lower(): r for r in found}


@pytest.mark.parametrize("name", sorted(FIXED_IN))
def test_floor_excludes_versions_with_advisories(name: str) -> None:
    """The declared range admits the fixed release and nothing older than it."""
    vulnerable, fixed = FIXED_IN[name]
    specifier = requirements()[name].specifier
    assert not specifier.contains(vulnerable)
    assert specifier.contains(fixed)
