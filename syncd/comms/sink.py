"""A real SMTP server on loopback that keeps what it is sent: the demo's mail sink, and the
server the tests send through (shipped, so any deployment can test its own plan with it).

`MailSink` runs aiosmtpd in a thread. With `tls` it offers STARTTLS (and requires it); with
`login` it takes AUTH PLAIN/LOGIN for that one user and password, after STARTTLS only.
`refuse_next` answers the next message's data with a 451 (a refusal: nothing was taken).
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MAX_KEPT = 200
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command


@dataclass(frozen=True)
class Caught:
    """One message as the server took it: envelope, raw bytes, and the parsed message."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    message: EmailMessage = field(repr=False)


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            if self.sink.refusals > 0:
                self.sink.refusals -= 1
                return "451 4.3.0 try again later"
            raw = bytes(envelope.original_content or envelope.content)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.sink.caught.append(
                Caught(envelope.mail_from, tuple(envelope.rcpt_tos), raw, parsed)
            )
            del self.sink.caught[:-MAX_KEPT]
        return "250 2.0.0 OK: queued"


class _BoundController(Controller):
    """aiosmtpd's controller serving on a socket bound beforehand: bound to port 0, it gets a
    free port with no moment in which another program could take it first."""

    def __init__(self, handler: _Handler, sock: socket.socket, **kwargs: Any) -> None:
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self.sock, ssl=self.ssl_context)


class MailSink:
    """``with MailSink() as sink: …`` — `sink.port`, `sink.caught`."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
        port: int = 0,
    ) -> None:
        self.caught: list[Caught] = []
        self.lock = threading.Lock()
        self.refusals = 0
        self.logins: list[str] = []
        kwargs: dict[str, Any] = {"data_size_limit": 20 * 1024 * 1024}
        if tls is not None:
            kwargs |= {"tls_context": tls, "require_starttls": True}
        if login is not None:
            kwargs |= {"auth_required": True, "authenticator": self._authenticator(login)}
        if port:
            self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=port, **kwargs)
        else:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            self.controller = _BoundController(_Handler(self), sock, **kwargs)

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            if ok:
                self.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)

        return check

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def refuse_next(self, count: int = 1) -> None:
        with self.lock:
            self.refusals += count

    def messages(self) -> list[Caught]:
        with self.lock:
            return list(self.caught)

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
