"""The communication plan on the dashboard: a client's plan and log, its review pack, the risk
heat map and feedback trend; the public feedback form; in the demo, the caught mails and chat.

The feedback form is the one page reachable without an access token: its link is signed per
delivery (HMAC, compared in constant time), takes one answer, a body of at most 8 KB, a score
of 1 to 5 and a comment of at most 2,000 characters, and refuses cross-site posts.
"""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from syncd.comms import feedback, showcase
from syncd.comms.due import next_time
from syncd.comms.render import document
from syncd.model import utcnow
from syncd.reports.registers import heat
from syncd.store.comms import answered, deliveries, get_delivery
from syncd.web import data
from syncd.web.pages import denied, guard, render, same_origin

MAX_FORM = 8 * 1024
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@guard
def communication(request: Request) -> Response:
    """One client's plan (next times), log, risk heat map and feedback trend."""
    from syncd.status import NoSnapshotError, load_status

    info = data.client_or_none(request)
    if info is None:
        return denied(request, 404)
    engine = request.app.state.engine
    loaded = request.app.state.clients.get(info.id)
    entries = loaded.config.communication if loaded else []
    now = utcnow()
    plan = [(e, next_time(loaded, e, now)) for e in entries] if loaded else []
    try:
        status = load_status(engine, info)
    except NoSnapshotError:
        status = None
    return render(
        request,
        "comms.html",
        info=info,
        plan=plan,
        log=deliveries(engine, info.id),
        s=status,
        heat=heat(status.register) if status else None,
        trend=feedback.trend(engine, info.id),
        answers=feedback.answers(engine, info.id),
        demo=bool(showcase.mail_sources or showcase.chat_sources),
    )


@guard
def review_pack(request: Request) -> Response:
    """The client's review pack as one self-contained page (what the review meeting shows)."""
    from syncd.status import NoSnapshotError, load_status

    info = data.client_or_none(request)
    if info is None:
        return denied(request, 404)
    try:
        status = load_status(request.app.state.engine, info)
    except NoSnapshotError:
        return denied(request, 404)
    response = HTMLResponse(document(status, review=True))
    response.headers["content-security-policy"] = DOCUMENT_CSP
    return response


async def feedback_form(request: Request) -> Response:
    """GET: the form of one signed link; POST: its one answer (a body of at most 8 KB)."""
    body = b""
    if request.method == "POST":
        read = await _limited_body(request)
        if read is None:
            return _message(request, 413, "Too long", "The answer is too long.")
        body = read
    return await run_in_threadpool(_feedback, request, body)


async def _limited_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it passes `MAX_FORM` (the rest is not read)."""
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    return bytes(body)


def _feedback(request: Request, body: bytes) -> Response:
    engine = request.app.state.engine
    key = feedback.verify(engine, str(request.path_params["token"]))
    row = get_delivery(engine, key) if key else None
    if key is None or row is None:
        return _message(request, 404, "Not found", "This feedback link is not valid.")
    if answered(engine, key):
        return _message(request, 409, "Thank you", "This report's feedback was given already.")
    if request.method == "GET":
        return _page(render(request, "feedback.html", row=row, error=""))
    if not same_origin(request):
        return _message(request, 403, "Refused", "This answer came from another site.")
    score, comment, error = _parse(body)
    if error:
        return _page(render(request, "feedback.html", 400, row=row, error=error))
    if not feedback.record(engine, key, score, comment):
        return _message(request, 409, "Thank you", "This report's feedback was given already.")
    return _message(request, 200, "Thank you", "Your answer is recorded.")


def _parse(body: bytes) -> tuple[int, str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=4, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return 0, "", "The answer could not be read."
    score = (fields.get("score") or [""])[0]
    comment = (fields.get("comment") or [""])[0].strip()
    if score not in {"1", "2", "3", "4", "5"}:
        return 0, "", "Choose a score from 1 to 5."
    if len(comment) > feedback.MAX_COMMENT:
        return 0, "", f"The comment is longer than {feedback.MAX_COMMENT} characters."
    return int(score), comment, ""


def _page(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the credential
    return response


def _message(request: Request, code: int, title: str, message: str) -> Response:
    return _page(render(request, "message.html", code, title=title, message=message, status=code))


@guard
def caught_mail(request: Request) -> Response:
    """The demo's SMTP sink: every mail it caught, newest first."""
    if not showcase.mail_sources:
        return denied(request, 404)
    mails = list(reversed(showcase.mails()))
    return render(request, "demo_mail.html", mails=[_summary(m) for m in mails])


@guard
def caught_mail_html(request: Request) -> Response:
    """One caught mail's HTML part, its inline images made data URIs, in a sandboxed page."""
    mails = list(reversed(showcase.mails()))
    index = int(request.path_params["index"])
    if not 0 <= index < len(mails):
        return denied(request, 404)
    response = HTMLResponse(_html_with_images(mails[index]))
    response.headers["content-security-policy"] = DOCUMENT_CSP
    return response


@guard
def caught_chat(request: Request) -> Response:
    """The chat messages the demo's sandbox took from its Slack and Teams webhooks."""
    if not showcase.chat_sources:
        return denied(request, 404)
    chats = [
        (service, json.dumps(body, indent=2, ensure_ascii=False))
        for service, body in showcase.chats()
    ]
    return render(request, "demo_chat.html", chats=list(reversed(chats)))


def _summary(message: EmailMessage) -> dict[str, object]:
    plain = message.get_body(preferencelist=("plain",))
    return {
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "attachments": [str(p.get_filename()) for p in message.iter_attachments()],
        "text": plain.get_content() if plain is not None else "",
    }


def _html_with_images(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    html = str(part.get_content()) if part is not None else ""
    for related in message.walk():
        cid = str(related.get("Content-ID") or "").strip("<>")
        if cid and related.get_content_maintype() == "image":
            payload = related.get_payload(decode=True)
            if isinstance(payload, bytes):
                uri = "data:image/png;base64," + base64.b64encode(payload).decode()
                html = html.replace(f"cid:{cid}", uri)
    return html


def routes() -> list[Route]:
    return [
        Route("/clients/{client}/communication", communication, methods=["GET"]),
        Route("/clients/{client}/review-pack", review_pack, methods=["GET"]),
        Route("/feedback/{token}", feedback_form, methods=["GET", "POST"]),
        Route("/demo/mail", caught_mail, methods=["GET"]),
        Route("/demo/mail/{index:int}", caught_mail_html, methods=["GET"]),
        Route("/demo/chat", caught_chat, methods=["GET"]),
    ]
