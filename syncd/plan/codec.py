"""JSON form of the frozen result values: dataclasses of dates, enums, tuples and numbers.

`dump` turns a value into JSON-ready data; `load` rebuilds it from the type hints, so a
stored snapshot comes back equal to what was computed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def dump(value: Any) -> Any:
    """JSON-ready data (dates as ISO strings, tuples as lists, enums as values)."""
    kind = type(value)
    if kind in _PLAIN:  # most values of a snapshot: answered before any other test
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: dump(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})  # exactly these: a str enum is no str


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass, in order (None for any other type), looked up once per
    type: asking `dataclasses` for them on every value cost a third of storing a snapshot."""
    try:
        return _FIELDS[kind]
    except KeyError:
        names = None
        if dataclasses.is_dataclass(kind):
            names = tuple(f.name for f in dataclasses.fields(kind))
        _FIELDS[kind] = names
        return names


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def load(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass of type `cls` from `dump` output."""
    built: T = _dataclass(typing.cast(Any, cls))(data)
    return built


# A loader per type, made once from its hints and kept: the dashboard reads a snapshot of a
# few hundred values per client, and walking the hints for each value cost more than the rest
# of its overview line.
Loader = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


@cache
def _dataclass(cls: Any) -> Loader:
    hints = typing.get_type_hints(cls)
    fields = {f.name: _loader(hints[f.name]) for f in dataclasses.fields(cls) if f.init}

    def build(data: Any) -> Any:
        return cls(**{k: fields[k](v) for k, v in data.items() if k in fields})

    return build


@cache
def _loader(tp: Any) -> Loader:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = _loader(next(a for a in typing.get_args(tp) if a is not type(None)))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            each = _loader(args[0])
            return lambda value: tuple(each(v) for v in value)
        loaders = tuple(_loader(a) for a in args)
        return lambda value: tuple(f(v) for f, v in zip(loaders, value, strict=True))
    if origin is dict:
        of = _loader(typing.get_args(tp)[1])
        return lambda value: {k: of(v) for k, v in value.items()}
    return _scalar(tp)


def _scalar(tp: Any) -> Loader:
    if typing.get_origin(tp) is typing.Literal:
        return _identity
    convert: Loader | None = None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        convert = _dataclass(tp)
    elif tp is float:
        convert = float
    elif tp is datetime:
        convert = datetime.fromisoformat
    elif tp is date:
        convert = date.fromisoformat
    elif isinstance(tp, type) and issubclass(tp, Enum):
        convert = tp
    if convert is None:
        return _identity
    done = convert
    return lambda value: None if value is None else done(value)
