"""E-mail: the MIME message of a delivery, and its sending over SMTP.

The message is multipart/mixed: a multipart/alternative body (plain text, then HTML inside a
multipart/related with the charts as inline PNG images) and the attachments (the report as a
self-contained HTML file and as PDF; a review pack's invitation as `.ics`). Its Message-ID is
stable per delivery key, so a message sent again on an operator's word is recognisable as the
same one.

SMTP tells the sender a message was taken only by the answer to the end of its data. A
refusal before that (no connection, no STARTTLS, bad login, a refused sender or recipient,
a 4xx/5xx to the data) means nothing was taken: `NotSentError`, safe to retry. A connection lost
after the data went out means it may have been: `MaybeSentError`, never retried on its own.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from pydantic import SecretStr

from syncd import redact
from syncd.comms.render import Attachment
from syncd.errors import ConfigError, MaybeSentError, NotSentError, PermanentError


@dataclass(frozen=True)
class Smtp:
    """Where and how to send: host, port, `starttls` / `tls` / `none`, login, From."""

    host: str
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: SecretStr = field(default_factory=lambda: SecretStr(""))
    sender: str = "syncd <syncd@localhost>"
    timeout: float = 30.0
    context: ssl.SSLContext | None = None  # tests pass one that trusts their own certificate

    @classmethod
    def from_settings(cls, settings: object) -> Smtp:
        host = str(getattr(settings, "smtp_host", ""))
        if not host:
            raise ConfigError("settings › SYNCD_SMTP_HOST: no mail server set for e-mail entries")
        return cls(
            host=host,
            port=int(getattr(settings, "smtp_port", 587)),
            security=str(getattr(settings, "smtp_security", "starttls")),
            username=str(getattr(settings, "smtp_username", "")),
            password=getattr(settings, "smtp_password", SecretStr("")),
            sender=str(getattr(settings, "smtp_from", cls.sender)),
        )


def message_id(key: str, domain: str = "syncd.invalid") -> str:
    """The Message-ID of a delivery: the same key gives the same id, every time."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    plain: str,
    html: str,
    images: dict[str, bytes],
    attachments: Sequence[Attachment],
    msg_id: str,
) -> EmailMessage:
    """The whole MIME message."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    msg["Date"], msg["Message-ID"] = formatdate(localtime=False), msg_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a report
    msg.set_content(plain)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for name, png in images.items():
        html_part.add_related(png, "image", "png", cid=f"<{name}>", filename=f"{name}.png")
    for item in attachments:
        maintype, subtype = item.mime.split("/", 1)
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg


def _open(smtp: Smtp) -> smtplib.SMTP:
    context = smtp.context or ssl.create_default_context()
    if smtp.security == "tls":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.security == "starttls":
        conn.ehlo()
        if not conn.has_extn("starttls"):
            conn.close()
            raise PermanentError(f"{smtp.host}:{smtp.port} offers no STARTTLS; refusing plain text")
        conn.starttls(context=context)
        conn.ehlo()
    return conn


def send(smtp: Smtp, msg: EmailMessage) -> None:
    """Send one message; `NotSentError` when it surely was not taken, `MaybeSentError` when it
    may have been."""
    redact.remember(smtp.password.get_secret_value())
    try:
        conn = _open(smtp)
        if smtp.username:
            conn.login(smtp.username, smtp.password.get_secret_value())
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentError(f"SMTP login refused ({exc.smtp_code})") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise NotSentError(f"SMTP {smtp.host}:{smtp.port}: {type(exc).__name__}: {exc}") from None
    try:
        refused = conn.send_message(msg)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise PermanentError(f"SMTP refused the message: {exc}") from None
    except smtplib.SMTPResponseException as exc:  # an answer to the data: it was not taken
        raise NotSentError(f"SMTP answered {exc.smtp_code}: {exc.smtp_error!r}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MaybeSentError(
            f"SMTP connection lost while sending ({type(exc).__name__}); the message may have"
            " been delivered"
        ) from None
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    if refused:
        raise PermanentError(f"SMTP refused recipients: {', '.join(sorted(refused))}")
