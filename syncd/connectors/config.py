"""Config models of the connectors, as they appear in `[[connectors]]` of a client file.

Fields ending in `_env` name an environment variable; `clients.load_client` resolves them into
`SecretStr` values on `secrets`, which never print.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from syncd import redact

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraPush(Strict):
    """Where and how a Jira connector shows the consolidated status."""

    issues: list[str] = Field(default_factory=list, description="status issues, e.g. ACME-1")
    epics: bool = False  # also comment on every epic linked to a plan task
    property: bool = True  # issue property `syncd.status`
    labels: bool = False  # syncd-rag-red / -amber / -green
    rag_field: str | None = None  # name of a custom field to set to Red/Amber/Green
    transitions: bool = False  # move status issues by category when the client asks


class TrelloPush(Strict):
    """Where and how a Trello connector shows the consolidated status."""

    list: str | None = None  # name of the list holding the status card; None: no card
    card_title: str = "Project status (syncd)"
    comment: bool = True
    labels: bool = True
    custom_fields: bool = True


class JiraConfig(Strict):
    kind: Literal["jira"]
    id: str = Field(pattern=ID_PATTERN)
    url: str
    deployment: Literal["cloud", "datacenter"] = "cloud"
    email: str | None = None
    auth: Literal["token", "oauth"] = Field(
        default="token",
        description="token: API token (Cloud, with email) or PAT (Data Center); oauth: an "
        "Atlassian OAuth 2.0 (3LO) app, Cloud only",
    )
    token_env: str | None = None
    client_id_env: str | None = None  # OAuth app's client id
    client_secret_env: str | None = None  # OAuth app's secret; also verifies its webhooks
    refresh_token_env: str | None = None  # the grant's first refresh token; rotations are stored
    cloud_id: str | None = Field(
        default=None, description="the site's cloud id; found from the grant when left out"
    )
    api_url: str = "https://api.atlassian.com"  # OAuth: the API gateway
    auth_url: str = "https://auth.atlassian.com"  # OAuth: the token endpoint's host
    jql: str
    story_points_field: str = "Story Points"
    webhook_secret_env: str | None = None
    page_size: int = Field(default=100, ge=1, le=5000)
    concurrency: int = Field(
        default=10,
        ge=1,
        le=32,
        description="requests in flight at most; halved on every 429 and grown back slowly",
    )
    census_every: int = Field(default=24, ge=1, description="pulls between id censuses")
    worklogs: bool = Field(
        default=True,
        description="pull dated worklogs, so AC on a past status date counts the time logged "
        "by then; false saves about a third of a pull's bytes and leaves that AC today's",
    )
    push: JiraPush = Field(default_factory=JiraPush)

    @field_validator("url", "api_url", "auth_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local sandbox)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _credentials(self) -> JiraConfig:
        if self.auth == "token":
            if not self.token_env:
                raise ValueError('token_env is required with auth = "token"')
            return self
        if self.deployment != "cloud":
            raise ValueError('auth = "oauth" is for Jira Cloud; Data Center uses a PAT')
        missing = [
            name
            for name in ("client_id_env", "client_secret_env", "refresh_token_env")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f'auth = "oauth" needs {", ".join(missing)}')
        return self


class TrelloConfig(Strict):
    kind: Literal["trello"]
    id: str = Field(pattern=ID_PATTERN)
    url: str = "https://api.trello.com/1"
    board: str = Field(min_length=1)
    key_env: str
    token_env: str
    secret_env: str | None = None  # the app secret that signs webhooks
    census_every: int = Field(default=24, ge=1)
    push: TrelloPush = Field(default_factory=TrelloPush)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local sandbox)")
        return value.rstrip("/")


ConnectorConfig = Annotated[JiraConfig | TrelloConfig, Field(discriminator="kind")]


class Secrets(BaseModel):
    """Resolved secret values of one connector; repr and str show only asterisks."""

    model_config = ConfigDict(frozen=True)

    token: SecretStr | None = None
    key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Mask every value but the OAuth client id (public, and part of a callback URL) in
        whatever the process writes from now on."""
        names = ("token", "key", "webhook_secret", "client_secret", "refresh_token")
        redact.remember(*(self.value(name) for name in names))

    def value(self, name: str) -> str:
        secret = getattr(self, name)
        return secret.get_secret_value() if secret is not None else ""
