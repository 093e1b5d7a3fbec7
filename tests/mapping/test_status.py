"""Status categories: connector default, client overrides globally and per connector, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from syncd.mapping import MappingConfig
from syncd.mapping.status import apply_all
from syncd.model import StatusCategory

from .conftest import change, make

CONFIG = MappingConfig.model_validate(
    {
        "statuses": {
            "In Review": "in_progress",
            "Parked": "todo",
            "acme-trello": {"Doing": "in_progress", "Shipped": "done"},
        }
    }
)


def test_the_connector_category_is_the_default() -> None:
    """Without an override the connector's (Jira's) category stands."""
    item = make("A-1", status="Waiting", category=StatusCategory.IN_PROGRESS)
    assert apply_all([item], CONFIG)[0].category is StatusCategory.IN_PROGRESS


def test_raw_status_overrides_case_insensitively() -> None:
    """``in review`` maps to in_progress whatever the connector said."""
    item = make("A-1", status="in review", category=StatusCategory.TODO)
    assert apply_all([item], CONFIG)[0].category is StatusCategory.IN_PROGRESS


def test_trello_list_maps_per_connector_only() -> None:
    """A Trello list name maps for its own connector and not for another."""
    card = make("c1", source="acme-trello", container="Shipped")
    other = make("c2", source="beta-trello", container="Shipped")
    mapped = apply_all([card, other], CONFIG)
    assert mapped[0].category is StatusCategory.DONE
    assert mapped[1].category is StatusCategory.TODO


def test_history_is_mapped_so_actual_dates_follow_the_client() -> None:
    """A move into a list the client calls done sets the actual finish."""
    card = make(
        "c1",
        source="acme-trello",
        container="Shipped",
        history=(change(1, "Doing"), change(5, "Shipped")),
    )
    (mapped,) = apply_all([card], CONFIG)
    assert mapped.actual_start == datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert mapped.actual_finish == datetime(2026, 10, 5, 9, tzinfo=UTC)


def test_an_empty_config_works_and_unknown_keys_are_refused() -> None:
    """MappingConfig() has defaults; a typo in a section is a validation error."""
    assert MappingConfig.model_validate({}).progress.default == "story_points"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        MappingConfig.model_validate({"progress": {"defualt": "0/100"}})
    with pytest.raises(ValidationError):
        MappingConfig.model_validate({"statuses": {"Done": "finished"}})
    with pytest.raises(ValidationError, match="unknown weekdays"):
        MappingConfig.model_validate({"calendar": {"weekends": ["caturday"]}})
    with pytest.raises(ValidationError, match="spi_red must not exceed spi_amber"):
        MappingConfig.model_validate({"thresholds": {"spi_red": 0.99}})
