"""The one list of trackers syncd knows. Adding one: its folder under `syncd/connectors/`, then
its `KIND` in `KINDS`; nothing else.

`ConnectorConfig` is the type of a client file's `[[connectors]]` entry: it picks the config
model by the entry's `kind` from `KINDS` when it validates, so a kind registered in `KINDS`
(by this module, or by a test) is known to client files at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticKnownError, core_schema

from syncd.connectors.config import Entry
from syncd.connectors.jira import KIND as JIRA
from syncd.connectors.kinds import ConnectorKind
from syncd.connectors.trello import KIND as TRELLO
from syncd.errors import ConfigError

KINDS: dict[str, ConnectorKind] = {kind.name: kind for kind in (JIRA, TRELLO)}

DISCRIMINATOR = "kind"
PLAIN = (str, bytes, int, float, bool, list, tuple, type(None))  # values no `kind` is read from


def kind_of(config: Any) -> ConnectorKind:
    """The kind of a connector config (anything with a `kind` naming one in `KINDS`)."""
    kind = KINDS.get(str(config.kind))
    if kind is None:
        known = ", ".join(sorted(KINDS))
        raise ConfigError(f"unknown connector kind {config.kind!r}; known: {known}")
    return kind


def entry_model(value: Any) -> type[BaseModel]:
    """The config model of the kind `value` (a `[[connectors]]` table, or a config) names; the
    errors a discriminated union on `kind` gives when it names none."""
    if isinstance(value, dict):
        tag = value.get(DISCRIMINATOR)
    elif isinstance(value, PLAIN):
        raise PydanticKnownError("model_attributes_type")
    else:
        tag = getattr(value, DISCRIMINATOR, None)
    if tag is None:
        raise PydanticKnownError("union_tag_not_found", {"discriminator": f"'{DISCRIMINATOR}'"})
    kind = KINDS.get(str(tag))
    if kind is None:
        raise PydanticKnownError(
            "union_tag_invalid",
            {
                "discriminator": f"'{DISCRIMINATOR}'",
                "tag": str(tag),
                "expected_tags": ", ".join(f"'{name}'" for name in KINDS),
            },
        )
    return kind.config


def validate_entry(value: Any, info: ValidationInfo) -> BaseModel:
    """A `[[connectors]]` entry validated by its kind's model (a config of that model as is);
    the model's errors keep their place under the entry."""
    model = entry_model(value)
    if isinstance(value, model):
        return value
    return model.model_validate(value, context=info.context)


class ByKind:
    """Validation of a `[[connectors]]` entry through `KINDS`, read when the entry is validated
    (and when a JSON schema is made), never frozen at import."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(validate_entry)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """One of the registered models, told apart by `kind`."""
        choices = {name: kind.config.__pydantic_core_schema__ for name, kind in KINDS.items()}
        union = core_schema.tagged_union_schema(choices, discriminator=DISCRIMINATOR)
        return handler(union)


# A `[[connectors]]` entry of a client file: the model of the kind it names in `KINDS`.
ConnectorConfig = Annotated[Entry, ByKind()]
