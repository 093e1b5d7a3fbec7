"""The `[[connectors]]` entry of a Jira site (`kind = "jira"`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from syncd.connectors.config import ID_PATTERN, Strict


class JiraPush(Strict):
    """Where and how a Jira connector shows the consolidated status."""

    issues: list[str] = Field(default_factory=list, description="status issues, e.g. ACME-1")
    epics: bool = False  # also comment on every epic linked to a plan task
    property: bool = True  # issue property `syncd.status`
    labels: bool = False  # syncd-rag-red / -amber / -green
    rag_field: str | None = None  # name of a custom field to set to Red/Amber/Green
    transitions: bool = False  # move status issues by category when the client asks


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
