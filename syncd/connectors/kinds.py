"""What syncd knows of a kind of tracker, in one value: `ConnectorKind`.

Each tracker package (`syncd/connectors/<tool>/`) exports one `KIND`; `registry.KINDS` lists
them, and everything outside the packages (client files, pipeline, daemon, web, reports,
`syncd check`) goes through these values instead of naming a tracker.

    kind = kind_of(config)                       # from a `[[connectors]]` entry
    connector = kind.build(config, secrets, transport=None, timezone="UTC", keeper=None)
    kind.targets(config, items)                  # where the consolidated status goes

Building imports the connector (and httpx) only when called, so reading client files stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from syncd.model import BodyFormat as BodyFormat  # what `body` answers, named here for trackers

if TYPE_CHECKING:
    from syncd.connectors.base import Connector
    from syncd.connectors.config import Secrets
    from syncd.model import WorkItem

REFRESH_BEFORE = timedelta(days=7)  # the upkeep extends a webhook that lapses sooner than this


class Keeper(Protocol):
    """Where the newest refresh token of each OAuth grant lives, by the grant's key."""

    def load(self, grant: str) -> str | None: ...

    def save(self, grant: str, refresh_token: str) -> None: ...


@dataclass(frozen=True)
class Registered:
    """A webhook the tracker holds for syncd: its remote id, callback and lapse time if any."""

    remote_id: str
    callback: str
    expires: datetime | None = None


def callback_path(client: str, source: str, kind: str) -> str:
    """The URL path a connector's webhook deliveries arrive at (one per client and connector)."""
    return f"/webhooks/{kind}/{client}/{source}"


Register = Callable[..., Coroutine[Any, Any, Registered | None]]


Headers = Mapping[str, str]


@dataclass(frozen=True)
class AppWebhooks:
    """Deliveries for an app that serves many connectors at one URL (`/webhooks/<kind>-app/<app>`),
    routed by the webhook ids they name.

    * `member(config, secrets, app)`: whether the connector belongs to the app `app`;
    * `verify(config, secrets, headers)`: whether a member's secret signs the delivery;
    * `matched(payload)`: the remote ids of the webhooks the delivery matched.
    """

    member: Callable[[Any, Secrets, str], bool]
    verify: Callable[[Any, Secrets, Headers], bool]
    matched: Callable[[dict[str, Any]], set[str]]


@dataclass(frozen=True)
class Webhooks:
    """How a kind's webhooks are made, kept and received.

    * `callback(client, config, secrets)`: the URL path the tracker should call;
    * `register(config, secrets, url, *, keeper)`: make (or find) the webhook; None when the
      credentials do not allow one (polling goes on);
    * `verify(config, secrets, headers, body, url)`: True when the delivery is signed as the
      connector's secret says, False when not, None when there is no secret to check with;
    * `delivery(headers, payload)`: the delivery's id, None when it has none (the body's digest
      is used);
    * `answers_head`: the tracker checks a new callback with a HEAD first;
    * `lapses(config)`: whether the webhook expires and must be extended;
    * `extend(config, secrets, hook, *, keeper)`: push its expiry out (or make it again);
    * `app`: deliveries for an app at one URL, when the kind has such apps.
    """

    callback: Callable[[str, Any, Secrets], str]
    register: Register
    verify: Callable[[Any, Secrets, Headers, bytes, str], bool | None]
    delivery: Callable[[Headers, dict[str, Any]], str | None]
    answers_head: bool = False
    lapses: Callable[[Any], bool] = lambda config: False
    extend: Register | None = None
    app: AppWebhooks | None = None


@dataclass(frozen=True)
class ConnectorKind:
    """One kind of tracker.

    * `name`: the `kind = "..."` of a `[[connectors]]` entry;
    * `config`: its pydantic model, with `kind: Literal[name]`, `id` and `census_every` (the
      `Entry` of `connectors/config.py`); client files pick it by `kind`;
    * `build(config, secrets, *, transport, timezone, keeper, clock)`: a `Connector`;
    * `secrets`: (`<field>_env` in the client file, `Secrets` field) pairs;
    * `targets(config, items)`: the push targets (status issues, a board's status card);
    * `body(config)`: the status body format the tracker takes (`StatusPush.body(format)`);
    * `site_url(config)`: where a person opens the tracker (reports link to it);
    * `problems(config)`: checks across fields, as messages `field: what is wrong`;
    * `grants(config)`: whether it holds an OAuth grant whose refresh token rotates (a `Keeper`
      must keep the newest);
    * `webhooks`: None when syncd takes no deliveries from this kind;
    * `preload`: the modules its functions import on first use (the daemon imports them before
      its worker threads start).
    """

    name: str
    config: type[BaseModel]
    build: Callable[..., Connector]
    secrets: Sequence[tuple[str, str]]
    targets: Callable[[Any, list[WorkItem]], list[str]]
    body: Callable[[Any], BodyFormat]
    site_url: Callable[[Any], str] = lambda config: str(config.url)
    problems: Callable[[Any], list[str]] = lambda config: []
    grants: Callable[[Any], bool] = lambda config: False
    webhooks: Webhooks | None = None
    preload: Sequence[str] = ()
