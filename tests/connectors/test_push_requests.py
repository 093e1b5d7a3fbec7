"""What a status push costs, in requests the sandbox counts, and what a push retried after a
crash between two of its writes leaves behind: one status comment, one status card.

Each push runs on a new connector (as every job builds one), over real HTTP, every exchange
checked against the official document. A crash is the process dying at one request: before it
is sent, or after the server applied it and before its answer arrived; the retry starts from
the ids the store held before (none, for a first push).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from syncd.connectors.base import MARKER
from syncd.connectors.jira.config import JiraPush
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.trello.connector import TrelloConnector
from syncd.connectors.trello.normalize import RAG_LABELS
from syncd.model import PushOutcome, StatusPush
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.testing import run, sample_status
from tests.connectors.harness_jira import jira_config, jira_secrets
from tests.connectors.harness_trello import trello_config, trello_secrets
from tests.contracts import contract_errors

Connector = JiraConnector | TrelloConnector


class Crash(Exception):
    """The process died here."""


@dataclass
class Dying(httpx.AsyncBaseTransport):
    """Real HTTP, each exchange checked against its document; the process dies at the first
    request matching `die` = (method, path pattern, "before" it is sent or "after" it was
    applied)."""

    die: tuple[str, str, str] | None = None
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    problems: list[str] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        dies = self.die is not None and (
            request.method == self.die[0] and re.search(self.die[1], request.url.path)
        )
        if dies and self.die and self.die[2] == "before":
            raise Crash(f"before {request.method} {request.url.path}")
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.problems.extend(contract_errors(request, response))
        if dies:
            raise Crash(f"after {request.method} {request.url.path}")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Pushed:
    """One push: its outcome (None when it crashed) and the requests the sandbox answered."""

    outcome: PushOutcome | None
    routes: Counter[str]

    @property
    def requests(self) -> int:
        return sum(self.routes.values())

    @property
    def remote(self) -> dict[str, Any]:
        assert self.outcome is not None
        return dict(self.outcome.remote)


def push(
    sb: Sandbox,
    build: Callable[[Dying], Connector],
    target: str,
    status: StatusPush,
    known: dict[str, Any],
    *,
    die: tuple[str, str, str] | None = None,
) -> Pushed:
    """One push on a new connector, its requests counted by the sandbox."""
    transport = Dying(die)
    sb.reset_stats()

    async def go() -> PushOutcome | None:
        connector = build(transport)
        try:
            return await connector.push(status, target=target, known=known)
        except Crash:
            return None
        finally:
            await connector.aclose()

    outcome = run(go())
    assert transport.problems == []
    assert (outcome is None) == (die is not None)
    routes = Counter({route: n for route, n in sb.stats()["requests"].items() if n})
    return Pushed(outcome, routes)


# -- Jira ------------------------------------------------------------------------------------


@dataclass
class Site:
    """A sandbox Jira, the route prefix of its flavour, and how to build a connector to it."""

    sb: Sandbox
    api: str
    build: Callable[[Dying], Connector]

    def routes(self, **counts: int) -> Counter[str]:
        """The sandbox's route names for `counts` of each kind of request."""
        names = {
            "property": "PUT {p}/issue/{{key}}/properties/{{prop}}",
            "create": "POST {p}/issue/{{key}}/comment",
            "comments": "GET {p}/issue/{{key}}/comment",
            "edit": "PUT {p}/issue/{{key}}/comment/{{comment_id}}",
            "comment": "GET {p}/issue/{{key}}/comment/{{comment_id}}",
            "issue": "GET {p}/issue/{{key}}",
        }
        return Counter({names[k].format(p=self.api): n for k, n in counts.items()})

    def push(self, status: StatusPush, known: dict[str, Any], **kw: Any) -> Pushed:
        return push(self.sb, self.build, "ACME-1", status, known, **kw)


@pytest.fixture(params=[True, False], ids=["cloud", "dc"])
def jira(request: pytest.FixtureRequest) -> Iterator[Site]:
    """A sandbox and a connector with the default push (a comment and the property on ACME-1)."""
    cloud: bool = request.param
    with Sandbox(SandboxConfig(seed=8, jira_issues=20, trello_cards=0)) as sb:
        config = jira_config(sb, cloud=cloud, push=JiraPush(issues=["ACME-1"]))
        secrets = jira_secrets(sb, cloud=cloud)
        yield Site(
            sb,
            "/cloud/rest/api/3" if cloud else "/dc/rest/api/2",
            lambda t: JiraConnector(config, secrets, transport=t),
        )


def status_comments(sb: Sandbox) -> list[Any]:
    with sb.state.lock:
        return [c for c in sb.state.issues["ACME-1"].comments if "syncd" in c.properties]


def test_jira_first_push_is_three_requests(jira: Site) -> None:
    """The property (Jira answers 201: it was not there, so no comment of syncd's is either),
    the comment, and one read for a twin a push at the same time could have made."""
    first = jira.push(sample_status(), {})
    assert first.routes == jira.routes(property=1, create=1, comments=1)
    assert first.outcome is not None and first.outcome.writes == 2
    assert len(status_comments(jira.sb)) == 1


def test_jira_update_push_is_two_requests(jira: Site) -> None:
    """A changed status after a known push: the property and the known comment, written unread;
    the same status again reads the issue and the comment and writes nothing."""
    first = jira.push(sample_status(), {})
    changed = sample_status(rag="red", note="slipped")
    update = jira.push(changed, first.remote)
    assert update.routes == jira.routes(property=1, edit=1)
    assert update.remote["comment_id"] == first.remote["comment_id"]
    again = jira.push(changed, update.remote)
    assert again.routes == jira.routes(issue=1, comment=1)
    assert again.outcome is not None and not again.outcome.changed
    comments = status_comments(jira.sb)
    assert len(comments) == 1 and comments[0].properties["syncd"]["digest"] == changed.digest


def test_jira_update_of_a_deleted_comment_makes_one_again(jira: Site) -> None:
    """The known comment deleted by someone: the edit's 404 sends the push to the comments,
    and it makes one comment again."""
    first = jira.push(sample_status(), {})
    with jira.sb.state.lock:
        jira.sb.state.issues["ACME-1"].comments.clear()
    update = jira.push(sample_status(note="later"), first.remote)
    assert update.routes == jira.routes(property=1, edit=1, comments=2, create=1)
    assert len(status_comments(jira.sb)) == 1


@pytest.mark.parametrize(
    ("die", "retry_counts"),
    [
        (("POST", r"/comment$", "before"), {"property": 1, "comments": 2, "create": 1}),
        (("POST", r"/comment$", "after"), {"property": 1, "comments": 1}),
        (("PUT", r"/properties/", "after"), {"property": 1, "comments": 2, "create": 1}),
    ],
    ids=["before-the-comment", "after-the-comment", "after-the-property"],
)
def test_jira_first_push_retried_after_a_crash_leaves_one_comment(
    jira: Site, die: tuple[str, str, str], retry_counts: dict[str, int]
) -> None:
    """The first push dies between its writes; its retry, knowing no id, finds the property
    there (200, not 201), so it searches the comments before creating: one comment."""
    jira.push(sample_status(), {}, die=die)
    retry = jira.push(sample_status(), {})
    assert retry.routes == jira.routes(**retry_counts)
    assert len(status_comments(jira.sb)) == 1
    again = jira.push(sample_status(), retry.remote)
    assert again.outcome is not None and not again.outcome.changed


def test_jira_update_retried_after_a_crash_leaves_one_comment(jira: Site) -> None:
    """An update dies after the property, before the comment; its retry (the store still holds
    the last push) edits the same comment: one comment, with the new status."""
    first = jira.push(sample_status(), {})
    changed = sample_status(note="later")
    jira.push(changed, first.remote, die=("PUT", r"/comment/", "before"))
    retry = jira.push(changed, first.remote)
    assert retry.routes == jira.routes(property=1, edit=1)
    comments = status_comments(jira.sb)
    assert len(comments) == 1 and comments[0].properties["syncd"]["digest"] == changed.digest


# -- Trello ----------------------------------------------------------------------------------

T = "/trello/1"


@pytest.fixture
def trello() -> Iterator[tuple[Sandbox, Callable[[Dying], Connector]]]:
    """A sandbox board without a status list, and a connector with the default push."""
    with Sandbox(SandboxConfig(seed=9, jira_issues=0, trello_cards=10)) as sb:
        config = trello_config(sb, status_list="Status")
        yield sb, lambda t: TrelloConnector(config, trello_secrets(sb), transport=t)


def trello_routes(**counts: int) -> Counter[str]:
    names = {
        "board": f"GET {T}/boards/{{board_id}}",
        "labels": f"GET {T}/boards/{{board_id}}/labels",
        "card": f"GET {T}/cards/{{card_id}}",
        "comments": f"GET {T}/cards/{{card_id}}/actions",
        "new_list": f"POST {T}/lists",
        "new_label": f"POST {T}/labels",
        "new_card": f"POST {T}/cards",
        "new_comment": f"POST {T}/cards/{{card_id}}/actions/comments",
        "edit_card": f"PUT {T}/cards/{{card_id}}",
        "edit_comment": f"PUT {T}/actions/{{action_id}}",
    }
    return Counter({names[k]: n for k, n in counts.items()})


def status_card(sb: Sandbox) -> tuple[Any, list[Any], list[str]]:
    """The one status card on the board, its marked comments, and its labels' names."""
    state = sb.state
    with state.lock:
        board = state.boards[sb.board_ids[0]]
        cards = [state.cards[c] for c in board.cards if MARKER in state.cards[c].desc]
        assert len(cards) == 1, f"{len(cards)} status cards"
        comments = [
            a
            for a in (state.actions[x] for x in board.actions)
            if a.type == "commentCard" and MARKER in a.data.get("text", "")
        ]
        names = [state.labels[i].name for i in cards[0].id_labels]
        return cards[0], comments, names


def test_trello_first_push_is_seven_requests(trello: tuple[Sandbox, Any]) -> None:
    """The board (its cards' markers in the same answer), the list, the label, the card with
    its label, one read for twins of card and label, the comment, one read for its twin."""
    sb, build = trello
    first = push(sb, build, sb.board_ids[0], sample_status(), {})
    assert first.routes == trello_routes(
        board=2, new_list=1, new_label=1, new_card=1, new_comment=1, comments=1
    )
    _, comments, labels = status_card(sb)
    assert len(comments) == 1 and labels == [RAG_LABELS["amber"][0]]


def test_trello_update_push_is_four_requests(trello: tuple[Sandbox, Any]) -> None:
    """A changed status: the card with its comments, the board, the card's PUT (its RAG label
    too) and the comment's. A RAG whose label the board lacks costs its creation and a twin
    check; the same status again reads two things and writes nothing."""
    sb, build = trello
    board = sb.board_ids[0]
    first = push(sb, build, board, sample_status(), {})
    update = push(sb, build, board, sample_status(note="later"), first.remote)
    four = trello_routes(card=1, board=1, edit_card=1, edit_comment=1)
    assert update.routes == four
    red = push(sb, build, board, sample_status(rag="red", note="x"), update.remote)
    assert red.routes == four + trello_routes(new_label=1, labels=1)
    assert status_card(sb)[2] == [RAG_LABELS["red"][0]]
    amber = push(sb, build, board, sample_status(note="y"), red.remote)
    assert amber.routes == four
    again = push(sb, build, board, sample_status(note="y"), amber.remote)
    assert again.routes == trello_routes(card=1, board=1)
    assert again.outcome is not None and not again.outcome.changed
    _, comments, labels = status_card(sb)
    assert len(comments) == 1 and labels == [RAG_LABELS["amber"][0]]
    assert first.remote == update.remote == red.remote == amber.remote == again.remote


@pytest.mark.parametrize(
    ("die", "retry_counts"),
    [
        (("POST", r"/cards$", "before"), {"board": 2, "new_card": 1, "new_comment": 1}),
        (("POST", r"/cards$", "after"), {"board": 1, "card": 1, "new_comment": 1}),
        (("POST", r"/actions/comments$", "after"), {"board": 1, "card": 1}),
    ],
    ids=["before-the-card", "after-the-card", "after-the-comment"],
)
def test_trello_first_push_retried_after_a_crash_leaves_one_card(
    trello: tuple[Sandbox, Any], die: tuple[str, str, str], retry_counts: dict[str, int]
) -> None:
    """The first push dies between its writes; its retry, knowing no id, finds the list, the
    label, the card and the comment the first attempt made: one card with its label, one
    comment."""
    sb, build = trello
    board = sb.board_ids[0]
    push(sb, build, board, sample_status(), {}, die=die)
    retry = push(sb, build, board, sample_status(), {})
    made_comment = "new_comment" in retry_counts
    expected = trello_routes(**retry_counts, comments=1 if made_comment else 0)
    assert retry.routes == +expected
    _, comments, labels = status_card(sb)
    assert len(comments) == 1 and labels == [RAG_LABELS["amber"][0]]
    again = push(sb, build, board, sample_status(), retry.remote)
    assert again.outcome is not None and not again.outcome.changed
