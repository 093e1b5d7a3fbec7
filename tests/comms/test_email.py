"""The weekly e-mail through a real SMTP server: parts, inlined HTML, attachments, once only."""

from __future__ import annotations

import io
import ssl
from datetime import date
from email.message import EmailMessage

import pytest
from pydantic import SecretStr
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from syncd.clients import Client
from syncd.comms import delivery
from syncd.comms.config import CommunicationEntry
from syncd.comms.delivery import Channels
from syncd.comms.mail import Smtp
from syncd.comms.sink import MailSink
from syncd.errors import MaybeSentError, NotSentError, PermanentError
from syncd.store.comms import get_delivery

DAY = date(2026, 11, 30)


class Crash(BaseException):
    """A worker dying between the send and the commit (not an error anyone catches)."""


def _channels(
    sink: MailSink, tls: ssl.SSLContext, password: str = "mail-password-value"
) -> Channels:
    smtp = Smtp(
        host="127.0.0.1",
        port=sink.port,
        security="starttls",
        username="syncd",
        password=SecretStr(password),
        sender="syncd <syncd@consultancy.example>",
        context=tls,
    )
    return Channels(smtp=smtp, public_url="https://syncd.example")


def _entry(client: Client, entry_id: str) -> CommunicationEntry:
    return delivery.entry_of(client, entry_id)


def _send(engine: Engine, client: Client, entry_id: str, channels: Channels) -> str:
    delivery.request(engine, client, _entry(client, entry_id), DAY, reason="test")
    return delivery.deliver(
        engine, client, delivery.key_of("acme", entry_id, DAY), channels=channels
    )


def _parts(message: EmailMessage) -> dict[str, EmailMessage]:
    out = {}
    for part in message.walk():
        name = part.get_filename()
        out[part.get_content_type() + (f":{name}" if name else "")] = part
    return out


def test_weekly_email_has_text_inlined_html_charts_and_both_attachments(
    seeded: Engine,
    client: Client,
    smtp_server: MailSink,
    tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    """A `full` e-mail goes over STARTTLS with a login: plain + HTML (CSS inlined, charts as
    inline PNG), the report as a self-contained HTML file and as a PDF."""
    assert _send(seeded, client, "weekly", _channels(smtp_server, tls_pair[1])) == "sent"
    (caught,) = smtp_server.messages()
    msg = caught.message
    assert smtp_server.logins == ["syncd"]
    assert set(caught.recipients) == {"ana@client.example", "pmo@client.example"}
    assert msg["Subject"].startswith("[") and "Acme rollout: status on 2026-11-30" in msg["Subject"]
    assert msg["Message-ID"] == get_delivery(seeded, "acme:weekly:2026-11-30").message_id  # type: ignore[union-attr]
    parts = _parts(msg)
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert (
        "Next milestones:" in plain.get_content()
        and "https://syncd.example/feedback/" in plain.get_content()
    )
    body = html.get_content()
    assert "<style" not in body and 'style="' in body  # the CSS is in the elements now
    assert 'src="cid:s_curve"' in body and 'src="cid:slips"' in body
    assert {"image/png:s_curve.png", "image/png:slips.png"} <= set(parts)
    assert parts["image/png:s_curve.png"]["Content-ID"] == "<s_curve>"
    report = parts["text/html:acme-2026-11-30-report.html"].get_content()
    assert "<canvas" in report and "Content-Security-Policy" in report
    pdf = PdfReader(io.BytesIO(parts["application/pdf:acme-2026-11-30-report.pdf"].get_content()))
    assert round(float(pdf.pages[0].mediabox.width)) == 595  # A4: 210 mm
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Where the project stands" in text and "Charts" in text
    assert any("/XObject" in (page.get("/Resources") or {}) for page in pdf.pages)  # the PNGs


def test_a_delivery_is_not_sent_twice_after_a_crash_between_send_and_commit(
    seeded: Engine,
    client: Client,
    smtp_server: MailSink,
    tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    """The message left, the worker died before recording it: the retry sends nothing, the
    delivery is `unconfirmed` and says how to send it again; `--resend` then sends it once."""
    channels = _channels(smtp_server, tls_pair[1])
    entry = _entry(client, "weekly")
    key = delivery.key_of("acme", "weekly", DAY)
    delivery.request(seeded, client, entry, DAY, reason="test")

    def crash() -> None:
        raise Crash

    with pytest.raises(Crash):
        delivery.deliver(seeded, client, key, channels=channels, after_send=crash)
    assert get_delivery(seeded, key).state == "sending"  # type: ignore[union-attr]
    with pytest.raises(MaybeSentError, match="--resend"):
        delivery.deliver(seeded, client, key, channels=channels)
    assert len(smtp_server.messages()) == 1
    assert get_delivery(seeded, key).state == "unconfirmed"  # type: ignore[union-attr]
    assert delivery.request(seeded, client, entry, DAY, reason="again") is None  # same key
    assert delivery.resend(seeded, key) is not None
    assert delivery.deliver(seeded, client, key, channels=channels) == "sent"
    first, second = smtp_server.messages()
    assert first.message["Message-ID"] == second.message["Message-ID"]


def test_a_refused_send_is_retried_and_then_sent_once(
    seeded: Engine,
    client: Client,
    smtp_server: MailSink,
    tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    """A 451 to the data took nothing: the delivery is queued again, the retry sends it once,
    and a third call finds it sent."""
    channels = _channels(smtp_server, tls_pair[1])
    key = delivery.key_of("acme", "weekly", DAY)
    delivery.request(seeded, client, _entry(client, "weekly"), DAY, reason="test")
    smtp_server.refuse_next()
    with pytest.raises(NotSentError, match="451"):
        delivery.deliver(seeded, client, key, channels=channels)
    assert get_delivery(seeded, key).state == "queued"  # type: ignore[union-attr]
    assert delivery.deliver(seeded, client, key, channels=channels) == "sent"
    assert delivery.deliver(seeded, client, key, channels=channels) == "sent"
    assert len(smtp_server.messages()) == 1


def test_a_wrong_password_is_permanent_and_never_printed(
    seeded: Engine,
    client: Client,
    smtp_server: MailSink,
    tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    """A refused login is a permanent failure whose message holds no password."""
    channels = _channels(smtp_server, tls_pair[1], password="wrong-password-value")
    with pytest.raises(PermanentError) as caught:
        _send(seeded, client, "weekly", channels)
    row = get_delivery(seeded, delivery.key_of("acme", "weekly", DAY))
    assert row is not None and row.state == "failed"
    assert "wrong-password-value" not in str(caught.value) + (row.error or "")
    assert smtp_server.messages() == []


def test_starttls_is_required_when_asked(
    seeded: Engine, client: Client, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    """A server that offers no STARTTLS gets nothing when `starttls` is configured."""
    with MailSink() as plain:
        channels = Channels(smtp=Smtp(host="127.0.0.1", port=plain.port, context=tls_pair[1]))
        with pytest.raises(PermanentError, match="STARTTLS"):
            _send(seeded, client, "weekly", channels)
        assert plain.messages() == []


def test_review_pack_attaches_pack_pdf_and_an_invitation(
    seeded: Engine,
    client: Client,
    smtp_server: MailSink,
    tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    """The review pack e-mail carries the pack as HTML and PDF and the next review as .ics."""
    from icalendar import Calendar

    _send(seeded, client, "review", _channels(smtp_server, tls_pair[1]))
    parts = _parts(smtp_server.messages()[0].message)
    pack = parts["text/html:acme-2026-11-30-review-pack.html"].get_content()
    sections = (
        "What changed since the previous review",
        "Decisions needed",
        "Action items",
        "Issue log",
        "Risk register",
        "Risk heat map",
        "Milestones",
        "Variance history",
    )
    for section in sections:
        assert section in pack
    assert "Vendor API quota may block load tests" in pack
    pdf = PdfReader(
        io.BytesIO(parts["application/pdf:acme-2026-11-30-review-pack.pdf"].get_content())
    )
    assert round(float(pdf.pages[0].mediabox.width)) == 612  # Letter: 8.5 in, as the entry asks
    assert "Risk register" in "".join(page.extract_text() for page in pdf.pages)
    invite = Calendar.from_ical(
        parts["text/calendar:acme-2026-11-30-next-review.ics"].get_content()
    )
    (event,) = invite.walk("VEVENT")
    assert event.decoded("dtstart").weekday() == 3  # Thursday, as the entry's cron says
    assert "ana@client.example" in str(event.get("attendee"))


CRASH = """
import os, sys
from datetime import date
from syncd.clients import load_client
from syncd.comms import delivery
from syncd.store.comms import get_delivery
from syncd.comms.delivery import Channels
from syncd.comms.mail import Smtp
from syncd.db import make_engine
from pathlib import Path

engine = make_engine(sys.argv[1])
client = load_client(Path(sys.argv[2]), "acme")
smtp = Smtp(host="127.0.0.1", port=int(sys.argv[3]), security="none")
day = date(2026, 11, 30)
key = delivery.key_of("acme", "weekly", day)
delivery.request(engine, client, delivery.entry_of(client, "weekly"), day, reason="x")
delivery.deliver(engine, client, key, channels=Channels(smtp=smtp), after_send=lambda: os._exit(9))
"""


def test_a_worker_killed_after_the_send_does_not_send_twice(
    seeded: Engine, client: Client, tmp_path: object
) -> None:
    """A real process dies (exit 9) right after the server took the message: the next worker
    sends nothing and records the delivery as unconfirmed."""
    import os
    import subprocess
    import sys

    from tests.comms.conftest import ENV

    with MailSink() as sink:
        done = subprocess.run(
            [sys.executable, "-c", CRASH, str(seeded.url), str(client.path.parent), str(sink.port)],
            env=os.environ | ENV, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 9, done.stderr
        assert len(sink.messages()) == 1
        key = delivery.key_of("acme", "weekly", DAY)
        channels = Channels(smtp=Smtp(host="127.0.0.1", port=sink.port, security="none"))
        with pytest.raises(MaybeSentError):
            delivery.deliver(seeded, client, key, channels=channels)
        assert len(sink.messages()) == 1
        assert get_delivery(seeded, key).state == "unconfirmed"  # type: ignore[union-attr]
