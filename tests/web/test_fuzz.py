"""The JSON API fuzzed from its own OpenAPI document: no 5xx, every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from syncd.db import make_engine
from syncd.settings import Settings
from syncd.web.app import create_app
from tests.web.conftest import Site

# The schema is loaded at import; the store behind the app is swapped for the seeded site's.
APP = create_app(
    engine=make_engine("sqlite://"), settings=Settings(config_dir=Path("/nonexistent"))
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


@pytest.fixture(autouse=True)
def seeded_store(site: Site) -> Iterator[None]:
    placeholder = APP.state.engine
    APP.state.engine, APP.state.settings = site.engine, site.settings
    yield
    APP.state.engine = placeholder


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case: Case[Any], site: Site) -> None:
    """Generated requests never get a 5xx and every response matches the OpenAPI document.

    Each case runs as generated and again against a seeded client, so real data is exercised.
    """
    headers = {"Authorization": f"Bearer {site.admin}"}
    case.call_and_validate(headers=headers)
    if case.path_parameters and "client" in case.path_parameters:
        case.path_parameters["client"] = "acme"
        case.call_and_validate(headers=headers)
