"""What each tracker's `ConnectorKind` answers for the rest of syncd: push targets, body
format, site URL, secret names, cross-field checks, webhook callbacks and signature checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from syncd.connectors.config import Secrets
from syncd.connectors.jira import KIND as JIRA
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.registry import KINDS, kind_of
from syncd.connectors.trello import KIND as TRELLO
from syncd.connectors.trello.config import TrelloConfig
from syncd.connectors.trello.signing import trello_signature
from syncd.errors import ConfigError
from syncd.model import WorkItem


def jira(**fields: object) -> JiraConfig:
    base: dict[str, object] = {
        "kind": "jira",
        "id": "acme-jira",
        "url": "https://acme.atlassian.net",
        "email": "pm@acme.test",
        "token_env": "JIRA_TOKEN",
        "jql": "project = ACME",
    }
    return JiraConfig.model_validate(base | fields)


def trello(**fields: object) -> TrelloConfig:
    base: dict[str, object] = {
        "kind": "trello",
        "id": "acme-trello",
        "board": "b1",
        "key_env": "TRELLO_KEY",
        "token_env": "TRELLO_TOKEN",
    }
    return TrelloConfig.model_validate(base | fields)


def epic(key: str, *, source: str = "acme-jira", task: str | None = "1.1") -> WorkItem:
    return WorkItem(source=source, external_id=key, key=key, title=key, type="Epic", plan_task=task)


def test_the_registry_lists_each_kind_under_its_name() -> None:
    """KINDS is keyed by the `kind` of a client file's entry; kind_of finds a config's kind."""
    assert KINDS == {"jira": JIRA, "trello": TRELLO}
    assert kind_of(jira()) is JIRA and kind_of(trello()) is TRELLO


def test_an_unknown_kind_is_a_config_error_naming_the_known_ones() -> None:
    """A config of a kind nobody registered gets a clear error, not a KeyError."""

    class Other:
        kind = "asana"

    with pytest.raises(ConfigError, match="unknown connector kind 'asana'; known: jira, trello"):
        kind_of(Other())


def test_jira_targets_are_status_issues_then_linked_epics_when_asked() -> None:
    """Status issues in file order; with `push.epics`, this connector's epics linked to a plan
    task, sorted, without repeating a status issue."""
    items = [
        epic("ACME-9"),
        epic("ACME-1"),
        epic("ACME-5", task=None),  # linked to no task
        epic("ACME-7", source="other-jira"),
    ]
    plain = jira(push={"issues": ["ACME-1", "ACME-2"]})
    assert JIRA.targets(plain, items) == ["ACME-1", "ACME-2"]
    with_epics = jira(push={"issues": ["ACME-1", "ACME-2"], "epics": True})
    assert JIRA.targets(with_epics, items) == ["ACME-1", "ACME-2", "ACME-9"]


def test_trello_targets_its_board_only_with_a_status_list() -> None:
    """The status card lives on the board: a target only when `push.list` names its list."""
    assert TRELLO.targets(trello(), []) == []
    assert TRELLO.targets(trello(push={"list": "Status"}), []) == ["b1"]


def test_body_formats_and_site_urls() -> None:
    """Jira Cloud takes ADF, Data Center wiki markup, Trello Markdown; Trello's public API is
    opened on trello.com, any other URL as given."""
    assert JIRA.body(jira()) == "adf"
    assert JIRA.body(jira(deployment="datacenter")) == "wiki"
    assert TRELLO.body(trello()) == "markdown"
    assert JIRA.site_url(jira()) == "https://acme.atlassian.net"
    assert TRELLO.site_url(trello()) == "https://trello.com"
    assert TRELLO.site_url(trello(url="http://127.0.0.1:9/1")) == "http://127.0.0.1:9/1"


def test_secret_names_map_env_fields_to_secrets() -> None:
    """Every `<name>_env` a kind reads exists on its config; Trello's `secret` is the webhook
    secret."""
    for kind, config in ((JIRA, jira()), (TRELLO, trello())):
        for env_field, secret in kind.secrets:
            assert f"{env_field}_env" in type(config).model_fields
            assert secret in Secrets.model_fields
    assert ("secret", "webhook_secret") in TRELLO.secrets


def test_jira_cloud_with_a_token_needs_an_email() -> None:
    """The cross-field check that `syncd check` reports as `connectors[i].email`."""
    assert JIRA.problems(jira(email=None)) == ["email: required for Jira Cloud (basic auth)"]
    assert JIRA.problems(jira()) == [] and JIRA.problems(jira(deployment="datacenter")) == []
    assert TRELLO.problems(trello()) == []


def test_webhook_callbacks_and_lapses() -> None:
    """A token connector has its own callback path; an OAuth app has one path for all, and its
    dynamic webhooks lapse; Trello's do not."""
    assert JIRA.webhooks is not None and TRELLO.webhooks is not None
    secrets = Secrets(client_id=SecretStr("app-1"))
    assert JIRA.webhooks.callback("acme", jira(), secrets) == "/webhooks/jira/acme/acme-jira"
    oauth = jira(
        auth="oauth",
        token_env=None,
        client_id_env="ID",
        client_secret_env="SECRET",
        refresh_token_env="REFRESH",
    )
    app = hashlib.sha256(b"app-1").hexdigest()[:16]
    assert JIRA.webhooks.callback("acme", oauth, secrets) == f"/webhooks/jira-app/{app}"
    assert JIRA.webhooks.lapses(oauth) and not JIRA.webhooks.lapses(jira())
    assert JIRA.grants(oauth) and not JIRA.grants(jira()) and not TRELLO.grants(trello())
    callback = TRELLO.webhooks.callback("acme", trello(), Secrets())
    assert callback == "/webhooks/trello/acme/acme-trello"
    assert not TRELLO.webhooks.lapses(trello())


def test_verify_tells_signed_from_unsigned_from_unverifiable() -> None:
    """True for a good signature, False for a bad one, None when the connector has no secret."""
    assert JIRA.webhooks is not None and TRELLO.webhooks is not None
    body, url = b'{"a": 1}', "https://syncd.test/webhooks/trello/acme/acme-trello"
    signed = Secrets(webhook_secret=SecretStr("s"))
    good = {"x-hub-signature": "sha256=" + hmac.new(b"s", body, "sha256").hexdigest()}
    assert JIRA.webhooks.verify(jira(), signed, good, body, url) is True
    assert JIRA.webhooks.verify(jira(), signed, {"x-hub-signature": "sha256=0"}, body, url) is False
    assert JIRA.webhooks.verify(jira(), Secrets(), good, body, url) is None
    header = {"x-trello-webhook": trello_signature("s", body, url)}
    assert TRELLO.webhooks.verify(trello(), signed, header, body, url) is True
    assert TRELLO.webhooks.verify(trello(), signed, header, body, url + "/x") is False
    assert TRELLO.webhooks.verify(trello(), Secrets(), header, body, url) is None


def test_delivery_ids() -> None:
    """Jira names a delivery in a header, Trello by its action's id; None leaves the digest."""
    assert JIRA.webhooks is not None and TRELLO.webhooks is not None
    assert JIRA.webhooks.delivery({"x-atlassian-webhook-identifier": "d-1"}, {}) == "d-1"
    assert JIRA.webhooks.delivery({}, {}) is None
    assert TRELLO.webhooks.delivery({}, {"action": {"id": "a-1"}}) == "a-1"
    assert TRELLO.webhooks.delivery({}, {"action": "odd"}) is None
