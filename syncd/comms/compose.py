"""What one delivery sends: the e-mail of an entry's form, or its Slack / Teams message.

`summary` is the short e-mail; `full` attaches the report as a self-contained HTML file and as
PDF; `review-pack` attaches the review pack as HTML and PDF and the next review's invitation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from syncd.comms import chat, ics, mail, render
from syncd.comms.config import CommunicationEntry
from syncd.comms.pdf import pdf
from syncd.comms.render import Attachment
from syncd.reports.html import render_html
from syncd.reports.model import Status


@dataclass(frozen=True)
class Email:
    subject: str
    message: EmailMessage


@dataclass(frozen=True)
class Chat:
    subject: str
    body: dict[str, Any] = field(default_factory=dict)


def attachments(
    status: Status, entry: CommunicationEntry, *, now: datetime, sender: str, key: str
) -> tuple[list[Attachment], str]:
    """The files a form attaches, and the next review's time as text (review packs)."""
    stem = f"{status.client.id}-{status.as_of}"
    images = render.chart_images(status)
    if entry.form == "full":
        doc = render.document(status, paper=entry.paper, images=images)
        return [
            Attachment(f"{stem}-report.html", "text/html", render_html(status).encode()),
            Attachment(f"{stem}-report.pdf", "application/pdf", pdf(doc)),
        ], ""
    if entry.form == "review-pack":
        files, when = [], ""
        if entry.cron:
            start = ics.next_review(entry.cron, status.client.timezone, now)
            when = f"{start:%Y-%m-%d %H:%M} UTC"
            invite = ics.invitation(
                uid=f"{key}@syncd.invalid",
                title=f"{status.client.name}: project review",
                start=start,
                stamp=now,
                organizer=sender,
                attendees=entry.audience,
                url=status.client.dashboard_url,
            )
            files.append(Attachment(f"{stem}-next-review.ics", "text/calendar", invite))
        doc = render.document(
            status, review=True, paper=entry.paper, next_review=when, images=images
        )
        return [
            Attachment(f"{stem}-review-pack.html", "text/html", doc.encode()),
            Attachment(f"{stem}-review-pack.pdf", "application/pdf", pdf(doc)),
            *files,
        ], when
    return [], ""


def email(
    status: Status,
    entry: CommunicationEntry,
    *,
    key: str,
    sender: str,
    now: datetime,
    feedback_url: str = "",
) -> Email:
    """The whole e-mail of one delivery."""
    files, _ = attachments(status, entry, now=now, sender=sender, key=key)
    names = tuple(a.filename for a in files)
    subject = render.subject(status, form=entry.form, given=entry.subject)
    message = mail.build(
        sender=sender,
        to=entry.audience,
        subject=subject,
        plain=render.email_text(status, feedback_url=feedback_url, attached=names),
        html=render.email_html(
            status, subject_line=subject, feedback_url=feedback_url, attached=names
        ),
        images=render.chart_images(status),
        attachments=files,
        msg_id=mail.message_id(key),
    )
    return Email(subject, message)


CHAT: dict[str, Callable[..., dict[str, Any]]] = {
    "slack": chat.slack_message,
    "teams": chat.teams_message,
}


def chat_message(status: Status, entry: CommunicationEntry, *, reason: str) -> Chat:
    subject = render.subject(status, form=entry.form, given=entry.subject)
    return Chat(subject, CHAT[entry.channel](status, reason=reason))
