"""What the command groups of `syncd` share: settings, the runtime, option parsing. Imports
nothing of `syncd.cli`, so the groups import it without a cycle."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.errors import ConfigError

if TYPE_CHECKING:
    from syncd.runtime import Runtime
    from syncd.settings import Settings


def settings(config_dir: Path | None = None) -> Settings:
    from syncd.settings import load_settings

    overrides = {"config_dir": config_dir} if config_dir is not None else {}
    return load_settings(**overrides)


def runtime(config_dir: Path | None = None, *, strict: bool = False) -> Runtime:
    from syncd.migrate import upgrade
    from syncd.runtime import freeze_startup_heap, install, load

    rt = install(load(settings(config_dir), strict=strict))
    upgrade(rt.engine)
    freeze_startup_heap()
    return rt


def parse_as_of(value: str | None) -> date | None:
    """A `--as-of` value as a date; a ConfigError that names the option when it is not one."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of › {value!r}: not a date (YYYY-MM-DD)") from None
