"""Per-client configuration: one TOML file per client under `config/clients/`.

`load_clients` reads a whole directory and reports every problem at once, each as
``file › field.path: message``. Secrets never appear in the files: fields ending in `_env` name
an environment variable, resolved here into values that never print.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from syncd.comms.config import CommunicationEntry, duplicate_ids
from syncd.connectors.config import Secrets
from syncd.connectors.registry import KINDS, ConnectorConfig, kind_of
from syncd.errors import ConfigError

if TYPE_CHECKING:
    from syncd.mapping.config import MappingConfig

PLAN_SUFFIXES = {".toml", ".csv", ".xml", ".xer", ".mpp"}
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")  # what `syncd check` may print of an `*_env`


class PlanRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    baseline: int | None = Field(default=None, ge=0, le=10, description="MS Project baseline no.")
    format: str | None = None


class ClientConfig(BaseModel):
    """One client's file, validated strictly: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    timezone: str = "UTC"
    poll_minutes: float = Field(default=15, gt=0, le=1440)
    cron: str | None = None  # when set, pulls follow it (in `timezone`) instead of poll_minutes
    dashboard_url: str | None = None
    owner: str = ""  # who looks after the client, shown and filtered on the overview
    tags: list[str] = Field(default_factory=list)  # for filtering the overview
    connectors: list[ConnectorConfig] = Field(min_length=1)
    plan: PlanRef | None = None
    mapping: dict[str, Any] = Field(default_factory=dict)
    communication: list[CommunicationEntry] = Field(default_factory=list)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            from croniter import croniter

            if not croniter.is_valid(value):
                raise ValueError(
                    f"not a cron expression: {value!r} (five fields, e.g. '0 7 * * 1-5')"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


@dataclass(frozen=True)
class Client:
    """A loaded client: its id (the file name), config, resolved secrets and plan path."""

    id: str
    path: Path
    config: ClientConfig
    secrets: dict[str, Secrets] = field(default_factory=dict, repr=False)
    webhooks: dict[str, SecretStr] = field(default_factory=dict, repr=False)  # entry id -> URL

    @property
    def plan_path(self) -> Path | None:
        """The plan file; ConfigError when a relative `[plan] file` leaves the config directory."""
        if self.config.plan is None:
            return None
        where, problem = plan_location(self.path, self.config.plan.file)
        if where is None:
            raise ConfigError(f"{self.path.name} › plan.file: {problem}")
        return where

    @property
    def mapping(self) -> MappingConfig:
        """Statuses, progress techniques, link rules, RAG thresholds and calendar."""
        from syncd.mapping.config import MappingConfig

        return MappingConfig.model_validate(self.config.mapping)

    def connector(self, connector_id: str) -> ConnectorConfig:
        for conn in self.config.connectors:
            if conn.id == connector_id:
                return conn
        raise ConfigError(f"{self.path.name} › connectors: no connector {connector_id!r}")


MAPPING_SECTIONS = (
    "statuses",
    "progress",
    "links",
    "thresholds",
    "calendar",
    "registers",
    "acceptance",
)


def plan_location(client_file: Path, file: str) -> tuple[Path | None, str]:
    """Where `[plan] file` points, or why it may not be read.

    An absolute path is taken as given: the operator chose it. A relative one is read from the
    client file's folder and must stay inside the config directory (the folder holding
    ``clients/``), so a client file cannot make syncd read ``../../../../etc/passwd``.
    """
    given = Path(file)
    if given.is_absolute():
        return given.resolve(), ""
    folder = client_file.resolve().parent
    target = (folder / given).resolve()
    if not target.is_relative_to(folder.parent):
        return None, (
            f"{file} leaves the config directory {folder.parent};"
            " give an absolute path to read a plan from elsewhere"
        )
    return target, ""


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(p for p in err["loc"] if p not in KINDS)
        problems.append(f"{_loc(loc)}: {err['msg']}")
    return problems


def _unset(var: str) -> str:
    """Why an `*_env` value gives no secret; the value itself only when it reads as a name.

    A secret pasted where its variable's name belongs must not be printed back by `syncd check`
    (into a terminal, a CI log): only capitals, digits and underscores are shown.
    """
    if ENV_NAME.fullmatch(var):
        return f"environment variable {var} is not set"
    return (
        "names no set environment variable; it must be a variable's name such as"
        " ACME_JIRA_TOKEN, not the secret itself (the value is not shown)"
    )


def _resolve_secrets(
    config: ClientConfig, env: Mapping[str, str]
) -> tuple[dict[str, Secrets], list[str]]:
    secrets: dict[str, Secrets] = {}
    problems: list[str] = []
    for index, conn in enumerate(config.connectors):
        values: dict[str, SecretStr] = {}
        for name, field_name in kind_of(conn).secrets:
            var = getattr(conn, f"{name}_env", None)
            if var is None:
                continue
            if not env.get(var):
                problems.append(f"connectors[{index}].{name}_env: {_unset(var)}")
                continue
            values[field_name] = SecretStr(env[var])
        secrets[conn.id] = Secrets(**values)
    return secrets, problems


def _resolve_webhooks(
    config: ClientConfig, env: Mapping[str, str]
) -> tuple[dict[str, SecretStr], list[str]]:
    """The chat webhook URL of each `[[communication]]` entry, from its `webhook_env`."""
    found: dict[str, SecretStr] = {}
    problems: list[str] = []
    for index, entry in enumerate(config.communication):
        if entry.webhook_env is None:
            continue
        value = env.get(entry.webhook_env)
        if not value:
            problems.append(f"communication[{index}].webhook_env: {_unset(entry.webhook_env)}")
        elif not value.startswith(("https://", "http://")):
            problems.append(
                f"communication[{index}].webhook_env: {entry.webhook_env} does not hold an"
                " http(s) URL (the value is not shown)"
            )
        else:
            found[entry.id] = SecretStr(value)
    return found, problems


def _semantic_problems(config: ClientConfig, path: Path) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, conn in enumerate(config.connectors):
        if conn.id in seen:
            problems.append(
                f"connectors[{index}].id: duplicate connector id {conn.id!r}"
                f" (also connectors[{seen[conn.id]}])"
            )
        seen.setdefault(conn.id, index)
        problems += [f"connectors[{index}].{p}" for p in kind_of(conn).problems(conn)]
    problems += duplicate_ids(config.communication)
    if config.plan is not None:
        plan, outside = plan_location(path, config.plan.file)
        if plan is None:
            problems.append(f"plan.file: {outside}")
        elif not plan.is_file():
            problems.append(f"plan.file: {config.plan.file} not found next to {path.name}")
        elif plan.suffix.lower() not in PLAN_SUFFIXES and config.plan.format is None:
            problems.append(f"plan.file: unknown plan format {plan.suffix!r}")
    return problems


def _mapping_problems(raw: dict[str, Any]) -> list[str]:
    from syncd.mapping.config import MappingConfig

    try:
        MappingConfig.model_validate(raw)
    except ValidationError as exc:
        return _pydantic_problems(exc)
    return []


def _read_toml(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The TOML document of one file, or the one problem that stops it from being read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except UnicodeDecodeError as exc:
        return None, [f"(file): byte {exc.start}: not UTF-8 text"]
    except OSError as exc:
        return None, [f"(file): cannot read: {exc.strerror or type(exc).__name__}"]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"(toml): {exc}"]
    except RecursionError:
        return None, ["(toml): nested too deeply to read"]


def read_config(path: Path) -> tuple[ClientConfig | None, list[str]]:
    """One client file read and validated on its own, without secrets: a broken file gives
    its problems and harms no other."""
    raw, problems = _read_toml(path)
    if raw is None:
        return None, problems
    mapping = {k: raw.pop(k) for k in MAPPING_SECTIONS if k in raw}
    try:
        problems = _mapping_problems(mapping)
        return ClientConfig.model_validate({**raw, "mapping": mapping}), problems
    except ValidationError as exc:
        return None, problems + _pydantic_problems(exc)
    except RecursionError:
        return None, ["(top): nested too deeply to read"]


def parse_file(
    path: Path, env: Mapping[str, str]
) -> tuple[ClientConfig | None, Client | None, list[str]]:
    """Parse one client file: its config (None when unreadable), the client (None when any
    problem was found) and every problem."""
    config, problems = read_config(path)
    if config is None:
        return None, None, problems
    secrets, secret_problems = _resolve_secrets(config, env)
    hooks, hook_problems = _resolve_webhooks(config, env)
    problems += _semantic_problems(config, path) + secret_problems + hook_problems
    client = Client(id=path.stem, path=path, config=config, secrets=secrets, webhooks=hooks)
    return config, (None if problems else client), problems


def parse_client(path: Path, env: Mapping[str, str]) -> tuple[Client | None, list[str]]:
    """Parse one client file; return the client (or None) and every problem found."""
    _, client, problems = parse_file(path, env)
    return client, problems


def load_clients(
    directory: Path,
    env: Mapping[str, str] | None = None,
    *,
    deeper: Callable[[Path, ClientConfig], list[str]] | None = None,
) -> tuple[list[Client], list[str]]:
    """Every client in `directory`, and every problem as ``file › field.path: message``;
    `deeper` adds the problems of each readable file that need more than the file (its plan)."""
    env = os.environ if env is None else env
    if not directory.is_dir():
        return [], [f"{directory} › (dir): no such directory"]
    clients: list[Client] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        config, client, found = parse_file(path, env)
        problems += [f"{path.name} › {p}" for p in found]
        if deeper is not None and config is not None:
            problems += deeper(path, config)
        if client is not None:
            clients.append(client)
    return clients, list(dict.fromkeys(problems))


def load_client(directory: Path, client_id: str, env: Mapping[str, str] | None = None) -> Client:
    """One client by id (its file name); ConfigError with every problem when it is invalid."""
    path = directory / f"{client_id}.toml"
    if not path.is_file():
        raise ConfigError(f"{path.name} › (file): no client {client_id!r} in {directory}")
    client, problems = parse_client(path, os.environ if env is None else env)
    if client is None:
        raise ConfigError([f"{path.name} › {p}" for p in problems])
    return client
