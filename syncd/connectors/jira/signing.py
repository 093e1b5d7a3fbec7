"""Checks of Jira webhook deliveries: admin webhooks sign the raw body with HMAC-SHA256
(`X-Hub-Signature: sha256=<hex>`) when a secret is configured; an OAuth app's dynamic webhooks
carry `Authorization: Bearer <JWT>`, an HS256 token made with the app's secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time


def jira_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of `X-Hub-Signature: sha256=<hex>` over the raw body."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip())


def jira_jwt_ok(
    secret: str, header: str | None, *, now: float | None = None, leeway: float = 60.0
) -> bool:
    """Constant-time check of an OAuth app's webhook JWT: HS256 only, signed with `secret`,
    not expired (`leeway` seconds of clock skew allowed)."""
    if not header or header[:7].lower() != "bearer ":
        return False
    parts = header[7:].strip().split(".")
    if len(parts) != 3:
        return False
    try:
        head, claims = (json.loads(_unb64(p)) for p in parts[:2])
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return False
    if not isinstance(head, dict) or head.get("alg") != "HS256" or not isinstance(claims, dict):
        return False
    signed = f"{parts[0]}.{parts[1]}".encode()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        return False
    expiry = claims.get("exp")
    current = time.time() if now is None else now
    return isinstance(expiry, int | float) and current <= expiry + leeway


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
