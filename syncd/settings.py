"""Process settings: environment variables `SYNCD_*`, then an optional `config/syncd.toml`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from syncd.errors import ConfigError


class _TomlSource(PydanticBaseSettingsSource):
    """Reads `<config_dir>/syncd.toml` when it exists; environment variables win over it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            return tomllib.loads(self.path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path} › {exc}") from exc


class Settings(BaseSettings):
    """Where syncd keeps its data, which broker it uses, where it listens."""

    model_config = SettingsConfigDict(env_prefix="SYNCD_", extra="forbid")

    config_dir: Path = Path("config")
    data_dir: Path = Path(".data")
    database_url: str = ""
    broker_url: str = "embedded"
    queue_name: str = Field(
        default="syncd",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="the broker queue of this deployment (several deployments may share a broker)",
    )
    bind: str = "127.0.0.1:8080"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="text lines, or one JSON object per line"
    )
    public_url: str = Field(default="", description="URL the dashboard is reached at, for links")
    webhook_base_url: str = Field(default="", description="URL trackers can reach webhooks at")
    job_lease_seconds: float = Field(
        default=0.0, ge=0.0, description="override every job lease (0: per-kind defaults)"
    )
    client_jobs: int = Field(
        default=2,
        ge=1,
        description="jobs of one client that run at once, counted over every worker process",
    )
    pull_slice: int = Field(
        default=10_000,
        ge=0,
        description="issues one pull job fetches before its worker goes to other jobs and the"
        " pull resumes as the next job (0: a pull is one job however long)",
    )
    http_header_timeout: float = Field(
        default=10.0, gt=0.0, description="seconds a client has to send a request's headers"
    )
    http_body_timeout: float = Field(
        default=30.0, gt=0.0, description="seconds a client has to send a request's body"
    )
    http_max_connections: int = Field(
        default=1000, ge=16, description="open connections kept; idle ones make room first"
    )
    rate_budget: Literal["shared", "process"] = Field(
        default="shared",
        description="request budgets per credential: shared by every process (in Redis or"
        " PostgreSQL when one is configured), or each process its own (for comparison)",
    )
    webhook_retention_days: float = Field(
        default=7.0, gt=0.0, description="days ended webhook inbox rows and their keys are kept"
    )
    schema_wait_seconds: float = Field(
        default=300.0, gt=0.0, description="seconds `syncd worker` waits for the schema at start"
    )
    smtp_host: str = Field(default="", description="the mail server e-mail reports go through")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="STARTTLS on a plain port, TLS from the start, or none"
    )
    smtp_username: str = ""
    smtp_password: SecretStr = Field(default=SecretStr(""), repr=False)
    smtp_from: str = Field(default="syncd <syncd@localhost>", description="the From: header")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_any_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        import os

        config_dir = Path(os.environ.get("SYNCD_CONFIG_DIR", "config"))
        toml = _TomlSource(settings_cls, config_dir / "syncd.toml")
        return (init_settings, env_settings, toml)

    @property
    def db_url(self) -> str:
        """The database URL; a SQLite file under the data directory unless one is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'syncd.db').resolve()}"

    @property
    def clients_dir(self) -> Path:
        return self.config_dir / "clients"

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.bind.rpartition(":")
        return (host or "127.0.0.1").strip("[]"), int(port)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and syncd.toml; a readable ConfigError when they are wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [f"settings › {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(lines) from exc
