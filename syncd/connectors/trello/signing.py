"""Check of Trello webhook deliveries: `X-Trello-Webhook` is the base64 HMAC-SHA1 of the app
secret over `body + callbackURL`."""

from __future__ import annotations

import base64
import hashlib
import hmac


def trello_signature(secret: str, body: bytes, callback_url: str) -> str:
    digest = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def trello_signature_ok(secret: str, body: bytes, callback_url: str, header: str | None) -> bool:
    """Constant-time check of `X-Trello-Webhook` over body + the registered callback URL."""
    if not header:
        return False
    return hmac.compare_digest(trello_signature(secret, body, callback_url), header.strip())
