"""Entity properties, as Jira keeps them on issues and on comments alike."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from syncd.sandbox.routing import ApiError, Call, json_response

PROPERTY_LIMIT = 32768  # characters of JSON, as Jira documents


def checked_property(call: Call) -> Any:
    """A property value: non-empty JSON of at most 32768 characters."""
    if not call.body.strip():
        raise ApiError(400, "The property value must not be empty.")
    if len(call.body) > PROPERTY_LIMIT:
        raise ApiError(400, "The property value is too long; the limit is 32768 characters.")
    return call.json()


def keys_answer(base: str, properties: dict[str, Any]) -> Response:
    """`GET …/properties`: the keys, each with its URL under `base`."""
    return json_response({"keys": [{"self": f"{base}/{k}", "key": k} for k in properties]})


def value_answer(properties: dict[str, Any], key: str) -> Response:
    """`GET …/properties/{key}`, or Jira's 404."""
    if key not in properties:
        raise ApiError(404, f"The property with key '{key}' does not exist.")
    return json_response({"key": key, "value": properties[key]})


def put_value(call: Call, properties: dict[str, Any]) -> bool:
    """`PUT …/properties/{prop}`: store the checked value; True when it was created."""
    value = checked_property(call)
    created = call.path["prop"] not in properties
    properties[call.path["prop"]] = value
    return created
