"""Writing the consolidated status to one Jira issue, idempotently.

What differs is written, nothing else (labels, status, RAG field and the `syncd.status`
property are read when they must be compared). The status comment is found again through its
comment property (`syncd` → `{"marker": "syncd:status", "client": ..., "digest": ...}`) or the
id syncd stored, and edited in place. Creating it is the one write that is not idempotent: it
is sent once, and when its answer is lost the issue's comments are searched for the marker
before trying again.

What it costs. The property is written before the comment, so an issue that had no property
has no comment of syncd's: a first push learns that from the property's PUT (Jira answers 201
when it creates one) and creates the comment without paging the comments first. An update (the
last push is known and wrote another status) edits the known comment and writes the property
without reading either; when the comment is gone (404) the comments are searched. The issue is
read only to compare something (labels, a RAG field, a transition, or the property when this
very status was pushed before, so that pushing it again writes nothing), the field catalogue
only when a RAG field is configured. After creating a comment the comments are read once more:
a push running at the same time (a worker whose lease ran out) may have made one too, and every
writer keeps the oldest. A push that lost the ids of the last one rewrites the property with
the same value.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from syncd.connectors.base import MARKER
from syncd.connectors.jira.normalize import OWN_LABEL_PREFIX
from syncd.connectors.paging import Page, pages
from syncd.errors import NotFoundError, RateLimitedError, TransientError
from syncd.model import PushOutcome, StatusPush

if TYPE_CHECKING:
    from syncd.connectors.jira.session import Session as JiraConnector

COMMENT_PROPERTY = "syncd"
PROPERTY_KEY = "syncd.status"
CREATE_ATTEMPTS = 5
log = logging.getLogger(__name__)
JIRA_CATEGORY = {"todo": "new", "in_progress": "indeterminate", "done": "done"}


def marker(status: StatusPush) -> dict[str, Any]:
    return {"marker": MARKER, "client": status.client, "digest": status.digest}


def marker_of(comment: dict[str, Any], client: str) -> dict[str, Any] | None:
    """The syncd marker of a comment written for `client`, if it is one."""
    for prop in comment.get("properties") or []:
        value = prop.get("value") if isinstance(prop, dict) else None
        if (
            prop.get("key") == COMMENT_PROPERTY
            and isinstance(value, dict)
            and value.get("marker") == MARKER
            and value.get("client") == client
        ):
            return value
    return None


async def push(
    connector: JiraConnector, status: StatusPush, *, target: str, known: dict[str, Any]
) -> PushOutcome:
    """Property, comment, labels, RAG field and transition: each written only when different."""
    issue = await read_issue(connector, status, target, known)
    writes, first = await put_property(connector, status, target, issue)
    comment_id, made = await status_comment(connector, status, target, known, first=first)
    writes += made
    warnings: list[str] = []
    if issue is not None:
        writes += await edit_fields(connector, status, target, issue)
        if transitions(connector, target):
            moved, warning = await transition(connector, status, target, issue)
            writes += moved
            warnings.extend([warning] if warning else [])
    remote = {"comment_id": comment_id, "digest": status.digest}
    return PushOutcome(remote=remote, changed=writes > 0, writes=writes, warnings=tuple(warnings))


def transitions(connector: JiraConnector, target: str) -> bool:
    """Whether a push to `target` moves it (status issues only, when the client asks)."""
    return connector.config.push.transitions and target in connector.config.push.issues


def is_update(status: StatusPush, known: dict[str, Any]) -> bool:
    """Whether the last push to this target is known and wrote another status: then its comment
    is edited without being read, and the property written without being compared."""
    return bool(known.get("comment_id")) and known.get("digest") not in (None, status.digest)


async def read_issue(
    connector: JiraConnector, status: StatusPush, target: str, known: dict[str, Any]
) -> dict[str, Any] | None:
    """The issue's labels, status, RAG field and `syncd.status` property, when something needs
    comparing: labels, a RAG field or a transition, or the property when this very status was
    pushed before (so that pushing it again writes nothing). None otherwise: a first push or an
    update writes the property as it is."""
    options = connector.config.push
    again = options.property and known.get("digest") == status.digest
    if not (options.labels or options.rag_field or transitions(connector, target) or again):
        return None
    meta = await connector.load_meta() if options.rag_field else None
    fields = ["labels", "status", *([meta.rag_field] if meta and meta.rag_field else [])]
    issue: dict[str, Any] = await connector.remote.json(
        "GET",
        f"{connector.api}/issue/{target}",
        params={"fields": ",".join(fields), "properties": PROPERTY_KEY},
    )
    return issue


async def status_comment(
    connector: JiraConnector,
    status: StatusPush,
    target: str,
    known: dict[str, Any],
    *,
    first: bool,
) -> tuple[str, int]:
    """The id of our comment on `target` and how many writes it took (0 when unchanged);
    `first` when the issue had no `syncd.status` property before this push."""
    if is_update(status, known) and await edit_comment(
        connector, status, target, str(known["comment_id"])
    ):
        connector.remember_comment(str(known["comment_id"]))
        return str(known["comment_id"]), 1
    comment = await our_comment(connector, status, target, known, first=first)
    writes = 0
    if comment is None:
        created = await create_comment(connector, status, target)
        comment = await sole_comment(connector, target, status.client, created)
        if comment is None:
            return created, 1
        writes = 1  # another push made one first: ours is gone, theirs is brought up to date
    comment_id = str(comment["id"])
    connector.remember_comment(comment_id)
    if (marker_of(comment, status.client) or {}).get("digest") == status.digest:
        return comment_id, writes
    await put_comment(connector, status, target, comment_id)
    return comment_id, writes + 1


async def our_comment(
    connector: JiraConnector,
    status: StatusPush,
    target: str,
    known: dict[str, Any],
    *,
    first: bool,
) -> dict[str, Any] | None:
    """Our comment on `target` with its marker, None when there is none: the known one (unless
    an update just found it gone), else the one the comments show. An issue that had no
    `syncd.status` property has none: the property is written before any comment."""
    if known.get("comment_id") and not is_update(status, known):
        found = await known_comment(connector, target, status.client, known)
        if found is not None:
            return found
    elif not known.get("comment_id") and first:
        return None
    return await find_marked(connector, target, status.client)


async def edit_comment(
    connector: JiraConnector, status: StatusPush, target: str, comment_id: str
) -> bool:
    """Write the status into comment `comment_id`; False when it is gone."""
    try:
        await put_comment(connector, status, target, comment_id)
    except NotFoundError:
        return False
    return True


async def put_comment(
    connector: JiraConnector, status: StatusPush, target: str, comment_id: str
) -> None:
    await connector.remote.request(
        "PUT",
        f"{connector.api}/issue/{target}/comment/{comment_id}",
        json={"body": body_of(connector, status), "properties": [prop(status)]},
    )


def body_of(connector: JiraConnector, status: StatusPush) -> Any:
    return status.adf if connector.cloud else status.wiki


def prop(status: StatusPush) -> dict[str, Any]:
    return {"key": COMMENT_PROPERTY, "value": marker(status)}


async def known_comment(
    connector: JiraConnector, target: str, client: str, known: dict[str, Any]
) -> dict[str, Any] | None:
    comment_id = known.get("comment_id")
    if not comment_id:
        return None
    try:
        comment: dict[str, Any] = await connector.remote.json(
            "GET",
            f"{connector.api}/issue/{target}/comment/{comment_id}",
            params={"expand": "properties"},
        )
    except NotFoundError:
        return None
    return comment if marker_of(comment, client) is not None else None


async def comments_of(connector: JiraConnector, target: str) -> AsyncIterator[dict[str, Any]]:
    """Every comment on `target`, with its properties, page by page."""

    async def fetch(start: int) -> Page[list[dict[str, Any]], int]:
        page = await connector.remote.json(
            "GET",
            f"{connector.api}/issue/{target}/comment",
            params={"expand": "properties", "startAt": start, "maxResults": 100},
        )
        comments = list(page.get("comments") or [])
        following = start + len(comments)
        return Page(comments, following if following < int(page.get("total") or 0) else None)

    listing = f"comments of {target}"
    async for comments in pages(fetch, first=0, source=connector.id, listing=listing):
        for comment in comments:
            yield comment


async def find_marked(connector: JiraConnector, target: str, client: str) -> dict[str, Any] | None:
    """Our comment among the issue's comments, through its property."""
    async for comment in comments_of(connector, target):
        if marker_of(comment, client) is not None:
            return dict(comment)
    return None


async def create_comment(connector: JiraConnector, status: StatusPush, target: str) -> str:
    """POST once; after a lost answer, adopt the comment if the server made it, else retry."""
    url = f"{connector.api}/issue/{target}/comment"
    body = {"body": body_of(connector, status), "properties": [prop(status)]}
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            created = await connector.once.json("POST", url, json=body)
        except TransientError as exc:
            if attempt == CREATE_ATTEMPTS:
                raise
            wait = exc.retry_after if isinstance(exc, RateLimitedError) else 0.2 * 2**attempt
            await connector.once.clock.pause(wait * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
            found = await find_marked(connector, target, status.client)
            if found is not None:
                connector.remember_comment(str(found["id"]))
                return str(found["id"])
            continue
        connector.remember_comment(str(created["id"]))
        return str(created["id"])
    raise AssertionError("unreachable")  # pragma: no cover


async def sole_comment(
    connector: JiraConnector, target: str, client: str, created: str
) -> dict[str, Any] | None:
    """After a create: when another push created one at the same time, keep the oldest marked
    comment (every writer picks the same one) and delete the others. Returns the kept comment
    when it is not `created`."""
    ours = [c async for c in comments_of(connector, target) if marker_of(c, client)]
    ours.sort(key=lambda c: (len(str(c["id"])), str(c["id"])))
    for extra in ours[1:]:
        with contextlib.suppress(NotFoundError):  # the other writer deleted it first
            url = f"{connector.api}/issue/{target}/comment/{extra['id']}"
            await connector.remote.request("DELETE", url)
        log.warning("deleted a second status comment %s on %s", extra["id"], target)
    if not ours or str(ours[0]["id"]) == created:
        return None
    return dict(ours[0])


async def put_property(
    connector: JiraConnector, status: StatusPush, target: str, issue: dict[str, Any] | None
) -> tuple[int, bool]:
    """The `syncd.status` property, unless the issue read shows it holds this status already;
    with whether the issue had none before (the read tells, or else the PUT: Jira answers 201
    when it creates the property, 200 when it replaces it). A retried PUT may answer 200 for a
    property its first attempt created: that only costs a search of the comments."""
    if not connector.config.push.property:
        return 0, False
    held = None if issue is None else issue.get("properties") or {}
    if held is not None and held.get(PROPERTY_KEY) == status.machine:
        return 0, False
    answer = await connector.remote.request(
        "PUT", f"{connector.api}/issue/{target}/properties/{PROPERTY_KEY}", json=status.machine
    )
    return 1, (PROPERTY_KEY not in held) if held is not None else answer.status_code == 201


def label_update(status: StatusPush, labels: list[str]) -> list[dict[str, str]]:
    wanted = f"{OWN_LABEL_PREFIX}{status.rag}"
    ops = [{"remove": lb} for lb in labels if lb.startswith(OWN_LABEL_PREFIX) and lb != wanted]
    return ops if wanted in labels else [{"add": wanted}, *ops]


def rag_value(kind: str, rag: str) -> Any:
    return {"value": rag.title()} if kind == "option" else rag.title()


async def edit_fields(
    connector: JiraConnector, status: StatusPush, target: str, issue: dict[str, Any]
) -> int:
    """RAG labels and the RAG custom field, in one edit when either differs."""
    fields = issue.get("fields") or {}
    body: dict[str, Any] = {}
    if connector.config.push.labels:
        ops = label_update(status, [str(lb) for lb in fields.get("labels") or []])
        if ops:
            body["update"] = {"labels": ops}
    meta = connector.meta
    if meta is not None and meta.rag_field:
        value = rag_value(meta.rag_field_type, status.rag)
        current = fields.get(meta.rag_field)
        if isinstance(current, dict) and isinstance(value, dict):
            current = {"value": current.get("value")}
        if current != value:
            body["fields"] = {meta.rag_field: value}
    if not body:
        return 0
    await connector.remote.request("PUT", f"{connector.api}/issue/{target}", json=body)
    return 1


async def transition(
    connector: JiraConnector, status: StatusPush, target: str, issue: dict[str, Any]
) -> tuple[int, str | None]:
    """Move a status issue to a status of the project's category (`StatusPush.category`); warn
    when no transition leads there."""
    wanted = JIRA_CATEGORY.get(status.category.value) if status.category else None
    current = ((issue.get("fields") or {}).get("status") or {}).get("statusCategory") or {}
    if wanted is None or current.get("key") == wanted:
        return 0, None
    data = await connector.remote.json("GET", f"{connector.api}/issue/{target}/transitions")
    for option in data.get("transitions") or []:
        if ((option.get("to") or {}).get("statusCategory") or {}).get("key") == wanted:
            await connector.remote.request(
                "POST",
                f"{connector.api}/issue/{target}/transitions",
                json={"transition": {"id": str(option["id"])}},
            )
            return 1, None
    return 0, f"{target}: no transition leads to a {wanted!r} status"
