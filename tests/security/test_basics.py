"""Security basics: constant-time signature checks, loopback by default, no secrets in reprs."""

from __future__ import annotations

import base64
import hmac
from typing import Any

import pytest

from syncd.connectors.config import Secrets
from syncd.connectors.jira import signing as jira_signing
from syncd.connectors.trello import signing as trello_signing
from syncd.settings import Settings


def test_signature_checks_compare_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every webhook check (Jira HMAC and JWT, Trello) uses hmac.compare_digest, never `==`."""
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(jira_signing.hmac, "compare_digest", spy)
    body = b'{"a": 1}'
    good = "sha256=" + hmac.new(b"s", body, "sha256").hexdigest()
    assert jira_signing.jira_signature_ok("s", body, good) is True
    assert jira_signing.jira_signature_ok("s", body, "sha256=00") is False
    sig = trello_signing.trello_signature("s", body, "https://cb")
    assert trello_signing.trello_signature_ok("s", body, "https://cb", sig) is True
    assert trello_signing.trello_signature_ok("s", body, "https://other", sig) is False
    head = base64.urlsafe_b64encode(b'{"alg":"HS256"}').rstrip(b"=").decode()
    claims = base64.urlsafe_b64encode(b'{"exp":4102444800}').rstrip(b"=").decode()
    mac = hmac.new(b"s", f"{head}.{claims}".encode(), "sha256").digest()
    jwt = f"{head}.{claims}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert jira_signing.jira_jwt_ok("s", f"Bearer {jwt}") is True
    assert jira_signing.jira_jwt_ok("t", f"Bearer {jwt}") is False
    assert len(calls) == 6


def test_daemon_binds_to_loopback_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no setting, syncd listens on 127.0.0.1 only; SYNCD_BIND changes it explicitly."""
    monkeypatch.delenv("SYNCD_BIND", raising=False)
    assert Settings().host_port == ("127.0.0.1", 8080)
    monkeypatch.setenv("SYNCD_BIND", "0.0.0.0:9000")
    assert Settings().host_port == ("0.0.0.0", 9000)


def test_secrets_never_show_in_repr_or_str() -> None:
    """A resolved secret prints as asterisks in repr, str and model dumps."""
    from pydantic import SecretStr

    secrets = Secrets(token=SecretStr("hunter2-token"), key=SecretStr("hunter2-key"))
    text = repr(secrets) + str(secrets) + str(secrets.model_dump()) + secrets.model_dump_json()
    assert "hunter2" not in text
    assert secrets.value("token") == "hunter2-token"
