"""syncd's status on a Trello board: one card, one comment on it, one RAG label, custom fields.

Every part is read before it is written and written only when it differs, so a second identical
push writes nothing. The card and the comment carry a hidden Markdown marker line; when the ids
of the last push are lost (or its answer was), the marker finds them again. Creates are never
retried blindly: after a failed POST the writer looks for what it tried to create first.

What it costs: the card of the last push is read with its comments nested (one request), then
the board with its lists, labels and custom fields (one), with every card's description in the
same answer when the card must be found again by its marker. A new card is created with its RAG
label, and its comments are not read: it has none yet. A label change rides on the card's own
update when syncd's label is the only one the card keeps. After creating a card, a comment or a
label, one read looks for a twin made by a push running at the same time (a worker whose lease
ran out, a push from the command line); every writer keeps the oldest, so the twins go. After a
new card that one read covers the label made just before it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from syncd.connectors.base import MARKER
from syncd.connectors.trello.config import TrelloConfig
from syncd.connectors.trello.normalize import MARKER_LINE, RAG_LABELS, JsonDict, is_own_label
from syncd.errors import (
    ConfigError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncd.http import Remote
from syncd.model import PushOutcome, StatusPush

TEXT_LIMIT = 16_384  # Trello's limit for a description and for a comment
CREATE_ATTEMPTS = 5
# A card with its comments nested, newest first (Trello's cap, 1000): one request, not two.
CARD_READ = {
    "fields": "name,desc,idList,idLabels,closed",
    "customFieldItems": "true",
    "actions": "commentCard",
    "actions_limit": "1000",
    "action_fields": "data,date",
    "action_memberCreator": "false",
}
BOARD_READ = {
    "fields": "name",
    "lists": "open",
    "labels": "all",
    "labels_limit": "1000",
    "customFields": "true",
}
MARKED_CARDS = {"cards": "all", "card_fields": "desc,closed"}  # to find the card by its marker
LABELS = {"labels": "all", "labels_limit": "1000"}

Finder = Callable[[], Awaitable[JsonDict | None]]


@dataclass
class Run:
    """What one push did so far."""

    writes: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Rag:
    """The board label of the status's RAG (None: none to set). `unchecked` while this push
    made it and has not yet looked for a twin another push made at the same time."""

    label: JsonDict | None = None
    unchecked: bool = False


def marked(markdown: str) -> str:
    """Text syncd owns: the status, then the hidden marker line."""
    room = TEXT_LIMIT - len(MARKER_LINE) - 3
    body = markdown if len(markdown) <= room else markdown[: room - 1] + "…"
    return f"{body.rstrip()}\n\n{MARKER_LINE}"


def same_text(a: str | None, b: str) -> bool:
    return (a or "").strip() == b.strip()


def is_marked(card: JsonDict) -> bool:
    return MARKER in str(card.get("desc") or "")


def marked_comments_of(actions: list[JsonDict]) -> list[JsonDict]:
    """The comments among `actions` that carry syncd's marker."""
    return [c for c in actions if MARKER in str((c.get("data") or {}).get("text") or "")]


def our_comment(ours: list[JsonDict], known: dict[str, Any]) -> JsonDict | None:
    """The comment of the last push if it is among `ours`, else the oldest of them."""
    by_id = [c for c in ours if c.get("id") == known.get("comment_id")]
    return (by_id or sorted(ours, key=lambda c: str(c.get("date"))))[0] if ours else None


def card_changes(card: JsonDict, list_id: str, desc: str, title: str) -> dict[str, str]:
    """What a PUT must change for `card` to show the status in the status list, open."""
    changes: dict[str, str] = {}
    if not same_text(card.get("desc"), desc):
        changes["desc"] = desc
    if card.get("name") != title:
        changes["name"] = title
    if card.get("idList") != list_id:
        changes["idList"] = list_id
    if card.get("closed"):
        changes["closed"] = "false"
    return changes


def labels_wanted(card: JsonDict, board: JsonDict, wanted: JsonDict) -> list[str]:
    """The card's labels with syncd's other RAG labels gone and `wanted` on."""
    own = {str(lb["id"]) for lb in board.get("labels") or [] if is_own_label(str(lb.get("name")))}
    keep = [str(i) for i in card.get("idLabels") or [] if str(i) not in own - {str(wanted["id"])}]
    return keep if str(wanted["id"]) in keep else [*keep, str(wanted["id"])]


class StatusWriter:
    """Writes one `StatusPush` onto the board of a `TrelloConfig`."""

    def __init__(self, remote: Remote, config: TrelloConfig) -> None:
        self.remote = remote
        self.config = config
        self.board = config.board
        self.own_ids: set[str] = set()
        self.once = Remote(
            remote.client,
            service=remote.service,
            budgets=remote.budgets,
            attempts=1,
            budget=remote.budget,
            on_throttle=remote.on_throttle,
            clock=remote.clock,
        )

    async def get(self, path: str, **params: str) -> Any:
        return await self.remote.json("GET", path, params=params)

    async def push(self, status: StatusPush, *, known: dict[str, Any]) -> PushOutcome:
        """The card in the configured list, then its comment, RAG label and custom fields."""
        options = self.config.push
        if options.list is None:
            raise ConfigError(f"connector {self.config.id}: push.list is not set")
        run = Run()
        read = await self.read_known(known)
        card = read if read is not None and is_marked(read) and not read.get("closed") else None
        search = MARKED_CARDS if card is None else {}
        board = await self.get(f"/boards/{self.board}", **BOARD_READ, **search)
        list_id = await self.ensure_list(board, options.list, run)
        if card is None:
            card = await self.marked_card(board.get("cards") or [], read)
        rag = (
            await self.rag_label(board, status.rag, run, card is None) if options.labels else Rag()
        )
        card = await self.ensure_card(card, list_id, status, board, rag, run)
        remote: dict[str, Any] = {"list_id": list_id, "card_id": card["id"]}
        if options.comment:
            remote["comment_id"] = await self.ensure_comment(card, status, known, run)
        if rag.label is not None:
            await self.ensure_label(card, board, rag.label, run)
        if options.custom_fields:
            await self.ensure_fields(card, board, status.fields, run)
        self.own_ids.update(str(v) for v in remote.values())
        return PushOutcome(
            remote=remote, changed=run.writes > 0, writes=run.writes, warnings=tuple(run.warnings)
        )

    async def create(self, path: str, params: dict[str, str], find: Finder) -> JsonDict:
        """POST once at a time; after a lost answer, look before posting again."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                created: JsonDict = await self.once.json("POST", path, params=params)
            except RateLimitedError as exc:
                await self.once.clock.pause(exc.retry_after)
            except TransientError:
                found = await find()
                if found is not None:
                    return found
                await self.once.clock.pause(min(8.0, 0.25 * 2**attempt))
            else:
                return created
        raise TransientError(
            f"POST {path}: no answer after {CREATE_ATTEMPTS} attempts", service="trello"
        )

    # -- the list and the card ---------------------------------------------------------------

    async def ensure_list(self, board: JsonDict, name: str, run: Run) -> str:
        """The id of the open list called `name` (any case), created at the left when missing."""

        async def find() -> JsonDict | None:
            lists = await self.get(f"/boards/{self.board}/lists", filter="open")
            return by_name(lists, name)

        found = by_name(board.get("lists") or [], name)
        if found is None:
            found = await self.create(
                "/lists", {"name": name, "idBoard": self.board, "pos": "top"}, find
            )
            run.writes += 1
        return str(found["id"])

    async def read_known(self, known: dict[str, Any]) -> JsonDict | None:
        """The card of the last push with its comments, None when there is none or it is gone."""
        if not known.get("card_id"):
            return None
        try:
            card: JsonDict = await self.get(f"/cards/{known['card_id']}", **CARD_READ)
        except NotFoundError:
            return None
        return card

    async def marked_card(self, cards: list[JsonDict], read: JsonDict | None) -> JsonDict | None:
        """The card among `cards` whose description carries the marker (open ones first), with
        its comments; `read` (that card read already, archived) is not read again."""
        mine = sorted((c for c in cards if is_marked(c)), key=lambda c: bool(c.get("closed")))
        if not mine:
            return None
        if read is not None and str(read.get("id")) == str(mine[0]["id"]):
            return read
        card: JsonDict = await self.get(f"/cards/{mine[0]['id']}", **CARD_READ)
        return card

    async def find_card(self) -> JsonDict | None:
        """The marked card, looked for after a POST /cards whose answer was lost."""
        cards = await self.get(f"/boards/{self.board}/cards/all", fields="desc,closed")
        return await self.marked_card(cards, None)

    async def ensure_card(
        self,
        card: JsonDict | None,
        list_id: str,
        status: StatusPush,
        board: JsonDict,
        rag: Rag,
        run: Run,
    ) -> JsonDict:
        """The status card: `card` updated where it differs, or a new one (with its label)."""
        if card is None:
            card, fresh = await self.new_card(list_id, status, rag, run)
            if fresh:
                return card
        return await self.update_card(card, list_id, status, board, rag, run)

    async def new_card(
        self, list_id: str, status: StatusPush, rag: Rag, run: Run
    ) -> tuple[JsonDict, bool]:
        """A card created in the list with its RAG label; when another push created one at the
        same time, the oldest (not fresh: bring it up to date)."""
        params = {
            "idList": list_id,
            "name": self.config.push.card_title,
            "desc": marked(status.markdown),
            "pos": "top",
        }
        if rag.label is not None:
            params["idLabels"] = str(rag.label["id"])
        created = await self.create("/cards", params, self.find_card)
        run.writes += 1
        self.own_ids.add(str(created["id"]))
        return await self.sole_card(created, rag, run)

    async def sole_card(self, created: JsonDict, rag: Rag, run: Run) -> tuple[JsonDict, bool]:
        """After a create, one read of the open cards (and the labels, when this push made its
        label): twins of either are archived or deleted, the oldest kept (every writer keeps the
        same). The card is returned with its labels and comments as they now are."""
        params = {"fields": "id", "cards": "open", "card_fields": "desc,idLabels"}
        seen = await self.get(
            f"/boards/{self.board}", **params, **(LABELS if rag.unchecked else {})
        )
        dropped: set[str] = set()
        if rag.unchecked and rag.label is not None:
            rag.label, dropped = await self.tidy_labels(seen.get("labels") or [], rag.label, run)
            rag.unchecked = False

        async def archive(extra: str) -> None:
            await self.remote.json("PUT", f"/cards/{extra}", params={"closed": "true"})
            run.warnings.append(f"archived a second status card {extra} on board {self.board}")

        oldest = await keep_oldest(
            [c for c in seen.get("cards") or [] if is_marked(c)], archive, run
        )
        if oldest is None or str(oldest["id"]) == str(created["id"]):
            labels = (oldest or created).get("idLabels") or []
            fresh = {"actions": [], **created, "idLabels": [i for i in labels if i not in dropped]}
            return fresh, True  # made just now: no comment on it yet
        kept: JsonDict = await self.get(f"/cards/{oldest['id']}", **CARD_READ)
        return kept, False

    async def update_card(
        self, card: JsonDict, list_id: str, status: StatusPush, board: JsonDict, rag: Rag, run: Run
    ) -> JsonDict:
        """One PUT for whatever differs; the RAG label rides along when it is the card's only
        one (a PUT sets the whole list, and Trello's document takes one id there)."""
        self.own_ids.add(str(card["id"]))
        changes = card_changes(card, list_id, marked(status.markdown), self.config.push.card_title)
        if rag.label is not None:
            labels = labels_wanted(card, board, rag.label)
            if len(labels) == 1 and set(labels) != set(card.get("idLabels") or []):
                changes["idLabels"] = labels[0]
        if not changes:
            return card
        updated = await self.remote.json("PUT", f"/cards/{card['id']}", params=changes)
        run.writes += 1
        card = {**card, **updated} if isinstance(updated, dict) else {**card, **changes}
        if "idLabels" in changes:
            card["idLabels"] = [changes["idLabels"]]
        return card

    # -- the comment ------------------------------------------------------------------------

    async def ensure_comment(
        self, card: JsonDict, status: StatusPush, known: dict[str, Any], run: Run
    ) -> str:
        """syncd's one comment on the card, edited in place when the status changed. The card's
        comments came with it (none on a card made just now)."""
        text, card_id = marked(status.markdown), str(card["id"])

        async def find() -> JsonDict | None:
            return our_comment(await self.marked_comments(card_id), known)

        nested = card.get("actions")
        comment = await find() if nested is None else our_comment(marked_comments_of(nested), known)
        if comment is None:
            created = await self.create(f"/cards/{card_id}/actions/comments", {"text": text}, find)
            run.writes += 1
            comment = await self.sole_comment(card_id, created, run)
            if comment is created:
                return str(created["id"])
        if not same_text((comment.get("data") or {}).get("text"), text):
            await self.remote.json("PUT", f"/actions/{comment['id']}", params={"text": text})
            run.writes += 1
        return str(comment["id"])

    async def marked_comments(self, card_id: str) -> list[JsonDict]:
        """The card's comments that carry syncd's marker."""
        comments = await self.get(f"/cards/{card_id}/actions", filter="commentCard")
        return marked_comments_of(comments)

    async def sole_comment(self, card_id: str, created: JsonDict, run: Run) -> JsonDict:
        """After a create: when another push commented at the same time, keep the oldest marked
        comment and delete the others."""

        async def delete(extra: str) -> None:
            await self.remote.request("DELETE", f"/actions/{extra}")

        oldest = await keep_oldest(await self.marked_comments(card_id), delete, run)
        if oldest is None or str(oldest["id"]) == str(created["id"]):
            return created
        return dict(oldest)

    # -- the RAG label and custom fields -----------------------------------------------------

    async def rag_label(self, board: JsonDict, rag: str, run: Run, card_follows: bool) -> Rag:
        """The board's label for `rag`, created when missing. When a card is created next, the
        twin check of the label waits for the card's (one read covers both)."""
        if rag not in RAG_LABELS:
            run.warnings.append(f"no RAG label for {rag!r}")
            return Rag()
        name, color = RAG_LABELS[rag]
        found = by_name(board.get("labels") or [], name)
        if found is not None:
            return Rag(found)
        made = await self.create_label(name, color, run)
        if made is None or card_follows:
            return Rag(made, unchecked=made is not None)
        labels = await self.get(f"/boards/{self.board}/labels")
        kept, _ = await self.tidy_labels(labels, made, run)
        return Rag(kept)

    async def create_label(self, name: str, color: str, run: Run) -> JsonDict | None:
        """A board label for syncd's RAG; None (with a warning) when the board refuses one."""

        async def find() -> JsonDict | None:
            return by_name(await self.get(f"/boards/{self.board}/labels"), name)

        params = {"name": name, "color": color, "idBoard": self.board}
        try:
            label = await self.create("/labels", params, find)
        except PermanentError as exc:
            run.warnings.append(f"could not create label {name!r}: {exc}")
            return None
        run.writes += 1
        return label

    async def tidy_labels(
        self, labels: list[JsonDict], made: JsonDict, run: Run
    ) -> tuple[JsonDict, set[str]]:
        """Another push may have made the same label at the same time: the oldest of that name
        is kept, the others deleted (their ids returned)."""

        async def delete(extra: str) -> None:
            await self.remote.request("DELETE", f"/labels/{extra}")

        same = [lb for lb in labels if by_name([lb], str(made.get("name") or ""))]
        kept = await keep_oldest(same, delete, run) or made
        return kept, {str(lb["id"]) for lb in same} - {str(kept["id"])}

    async def ensure_label(
        self, card: JsonDict, board: JsonDict, wanted: JsonDict, run: Run
    ) -> None:
        """Exactly `wanted` among syncd's RAG labels on the card, for what the card's create or
        update did not already set."""
        on_card = {str(i) for i in card.get("idLabels") or []}
        wanted_id = str(wanted["id"])
        own = [
            str(lb["id"])
            for lb in board.get("labels") or []
            if is_own_label(str(lb.get("name") or ""))
        ]
        for label_id in sorted(on_card & (set(own) - {wanted_id})):
            await self.label_write("DELETE", f"/cards/{card['id']}/idLabels/{label_id}", {}, run)
        if wanted_id not in on_card:
            params = {"value": wanted_id}
            await self.label_write("POST", f"/cards/{card['id']}/idLabels", params, run)

    async def label_write(self, method: str, path: str, params: dict[str, str], run: Run) -> None:
        """Add or remove a card label; a 400 after a retry means it is already done."""
        try:
            await self.remote.request(method, path, params=params)
        except PermanentError as exc:
            if exc.status != 400:
                raise
        run.writes += 1

    async def ensure_fields(
        self, card: JsonDict, board: JsonDict, values: tuple[tuple[str, str], ...], run: Run
    ) -> None:
        """Set each status field the board defines (by name, any case) where its value differs."""
        definitions = {str(d.get("name", "")).lower(): d for d in board.get("customFields") or []}
        current = {str(i.get("idCustomField")): i for i in card.get("customFieldItems") or []}
        for name, value in values:
            definition = definitions.get(name.lower())
            if definition is None:
                continue
            body = field_body(definition, value)
            if body is None:
                run.warnings.append(f"custom field {name!r} cannot hold {value!r}")
                continue
            if same_item(current.get(str(definition["id"])), body):
                continue
            path = f"/cards/{card['id']}/customField/{definition['id']}/item"
            await self.remote.json("PUT", path, json=body)
            run.writes += 1


async def keep_oldest(
    rows: list[JsonDict], drop: Callable[[str], Awaitable[None]], run: Run
) -> JsonDict | None:
    """The oldest of `rows` (Trello ids grow with time, so every writer picks the same one),
    the others dropped, a write each; None when there are none."""
    ordered = sorted(rows, key=lambda r: str(r["id"]))
    for extra in ordered[1:]:
        with contextlib.suppress(NotFoundError):  # the other writer dropped it first
            await drop(str(extra["id"]))
        run.writes += 1
    return ordered[0] if ordered else None


def by_name(rows: list[JsonDict], name: str) -> JsonDict | None:
    """The first row whose `name` equals `name`, ignoring case and outer spaces."""
    wanted = name.strip().lower()
    return next((r for r in rows if str(r.get("name") or "").strip().lower() == wanted), None)


def field_body(definition: JsonDict, value: str) -> dict[str, Any] | None:
    """The request body setting a custom field of the definition's type to `value`."""
    kind = definition.get("type")
    if kind == "list":
        option = next(
            (o for o in definition.get("options") or []
             if str((o.get("value") or {}).get("text", "")).lower() == value.lower()),
            None,
        )  # fmt: skip
        return None if option is None else {"idValue": option["id"]}
    if kind == "number":  # Trello's guide sends numbers and booleans as strings
        try:
            float(value)
        except ValueError:
            return None
        return {"value": {"number": value.strip()}}
    if kind == "checkbox":
        checked = value.strip().lower() in ("true", "yes", "1")
        return {"value": {"checked": "true" if checked else "false"}}
    if kind == "date":
        return {"value": {"date": value}}
    return {"value": {"text": value}}


def same_item(item: JsonDict | None, body: dict[str, Any]) -> bool:
    """Whether a card's custom field item already holds what `body` would write."""
    if item is None:
        return False
    if "idValue" in body:
        return bool(item.get("idValue") == body["idValue"])
    ((kind, wanted),) = body["value"].items()
    have = (item.get("value") or {}).get(kind)
    if have is None:
        return False
    if kind == "number":
        try:
            return float(have) == float(wanted)
        except ValueError:
            return False
    if kind == "checked":
        return str(have).lower() == str(wanted).lower()
    return str(have) == str(wanted)


def is_own_action(action: JsonDict, own_ids: set[str], *, title: str = "") -> bool:
    """Whether an action (a webhook's `action`) is syncd writing its own card, comment or label."""
    data = action.get("data") or {}
    card: JsonDict = data["card"] if isinstance(data.get("card"), dict) else {}
    if {str(card.get("id")), str(action.get("id"))} & own_ids:
        return True
    texts = [data.get("text"), (data.get("action") or {}).get("text"), card.get("desc"),
             (data.get("old") or {}).get("desc")]  # fmt: skip
    if any(MARKER in str(t) for t in texts if t):
        return True
    label: JsonDict = data["label"] if isinstance(data.get("label"), dict) else {}
    if is_own_label(str(label.get("name") or "")):
        return True
    return bool(title) and card.get("name") == title
