"""JSON form of the frozen result values: dataclasses of dates, enums, tuples and numbers.

`dump` turns a value into JSON-ready data; `load` rebuilds it from the type hints, so a
stored snapshot comes back equal to what was computed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def dump(value: Any) -> Any:
    """JSON-ready data (dates as ISO strings, tuples as lists, enums as values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass of type `cls` from `dump` output."""
    hints = _hints(typing.cast(Any, cls))
    fields = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    return cls(**{k: _load(hints[k], v) for k, v in data.items() if k in fields})


def _load(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _load(inner[0], value)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], v) for v in value)
        return tuple(_load(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        _, vt = typing.get_args(tp)
        return {k: _load(vt, v) for k, v in value.items()}
    return _scalar(tp, value)


def _scalar(tp: Any, value: Any) -> Any:
    if typing.get_origin(tp) is typing.Literal or value is None:
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return load(tp, value)
    if tp is float:
        return float(value)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if tp is date:
        return date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    return value
