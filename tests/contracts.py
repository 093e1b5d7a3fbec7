"""Check HTTP traffic against the official OpenAPI documents (openapi-core).

The documents live in `tests/fixtures/contracts/` (or `$SYNCD_CONTRACTS_DIR`)
and are loaded once per process. Paths are mapped onto the documents' servers: `/cloud` and
`/dc` prefixes are stripped for Jira, as is OAuth apps' `/api/ex/jira/{cloudId}` (which is
checked, gaps included, as if it were `/cloud`), and `/trello/1` becomes Trello's `/1`.

API (for the sandbox's tests and the connectors' tests alike):

    contract_errors(request, response) -> list[str]   # [] when both match the contract
    validate(request, response)                        # raises ContractError listing problems
    validate_jira(request, response); validate_trello(request, response)
    contract_checking_client(**httpx_kwargs) -> httpx.Client
        # an httpx.Client whose every exchange is validated; problems are collected in
        # `client.contract_problems` (a list) and, with strict=True (default), raised.

Where the documents do not cover the sandbox's traffic, `KNOWN_GAPS` below says why the
check is skipped; each entry is a documented exception, not a silent pass.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

JIRA_SERVER = "https://your-domain.atlassian.net"
TRELLO_SERVER = "https://api.trello.com"

# (method or "*", path regex on the sandbox path, what to skip, why)
KNOWN_GAPS: list[tuple[str, str, str, str]] = [
    # Admin webhooks are not part of the platform REST document.
    ("*", r"^/(cloud|dc)/rest/webhooks/", "all", "admin webhooks API is not in jira-platform-v3"),
    # The removed search answers 410, which the document (still listing it) does not describe.
    (
        "*",
        r"^/cloud/rest/api/[23]/search$",
        "response",
        "410 for the removed search is undocumented",
    ),
    # REST v2 carries rich text as strings where v3 has ADF; v2 is mapped onto v3 for the
    # shapes, so the request body of v2 comment writes (a string) is not checked.
    ("POST", r"^/(cloud|dc)/rest/api/2/issue/[^/]+/comment", "request", "v2 body is a string"),
    ("PUT", r"^/(cloud|dc)/rest/api/2/issue/[^/]+/comment/", "request", "v2 body is a string"),
    # The sandbox's own admin API has no document.
    ("*", r"^/_admin/", "all", "sandbox admin API"),
    # Trello's document pins `{id}` to 24 hex digits, but Trello accepts `me` there.
    ("*", r"^/trello/1/members/me", "all", "`me` is not a 24-hex id in the document"),
    # Trello's document wants 32-hex custom field ids in the batch body; real ids are 24 hex.
    ("PUT", r"^/trello/1/cards/[^/]+/customFields$", "request", "idCustomField pattern is wrong"),
    # Trello answers 404 for a label or comment that is already gone (two writers tidying up
    # the same twin); the document lists only 200 for these deletes.
    ("DELETE", r"^/trello/1/(labels|actions)/[^/]+$", "response", "404 when already deleted"),
    # Atlassian's OAuth 2.0 (3LO) endpoints live on auth.atlassian.com and api.atlassian.com,
    # outside the platform document: the refresh-token grant and the sites a token reaches.
    ("POST", r"^/auth/oauth/token$", "all", "OAuth token endpoint is not in jira-platform-v3"),
    (
        "GET",
        r"^/api/oauth/token/accessible-resources$",
        "all",
        "accessible-resources is not in jira-platform-v3",
    ),
]

# Other places where the documents disagree with the real services, handled in code below:
# - Jira writes date-times as `2026-11-20T10:15:30.000+0100`; the documents say RFC 3339
#   `date-time`. Both forms are accepted.
# - Trello's document marks date-times (dateLastActivity, date) as `date`; `date` accepts
#   a date or a date-time.
# - Trello's document gives query parameters defaults that fail their own schemas (a boolean
#   default on a string, a comma list outside its enum); defaults are dropped on load.
# - Jira's document declares a JSON body for answers Jira sends empty (204 after an edit or a
#   transition; 200/201 after a property PUT); an empty body is accepted there.
# - openapi-core cannot check OAuth2 security schemes and warns; that warning is silenced
#   around validation only.


class ContractError(AssertionError):
    """Traffic that does not match the official document."""


@dataclass
class Exchange:
    """An httpx request adapted to openapi-core's request protocol."""

    method: str
    host_url: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@dataclass
class Answer:
    """An httpx response adapted to openapi-core's response protocol."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def contracts_dir() -> Path:
    """Where the documents are: `$SYNCD_CONTRACTS_DIR` or `tests/fixtures/contracts`."""
    override = os.environ.get("SYNCD_CONTRACTS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "fixtures" / "contracts"


@cache
def spec(name: str) -> OpenAPI:
    """The parsed document `name` (e.g. `jira-platform-v3.json`), loaded once per process."""
    with (contracts_dir() / name).open(encoding="utf-8") as handle:
        document = json.load(handle)
    if name.startswith("trello"):
        drop_parameter_defaults(document)
        # The document lists a card's `labels` as ids; Trello sends label objects (see
        # tests/fixtures/payloads/trello), as `idLabels` holds the ids.
        card = document["components"]["schemas"]["Card"]["properties"]
        card["labels"] = {"type": "array", "items": {"$ref": "#/components/schemas/Label"}}
    # Atlassian's own document fails the spec validator (e.g. a default of "" outside its
    # enum in ProjectClassification), so the document is used as published, unvalidated.
    # Jira writes date-times as `2026-11-20T10:15:30.000+0100` (no colon in the offset), which
    # the documents call `date-time` although it is not RFC 3339: both forms are accepted.
    formats = {"date-time": is_date_time, "date": is_date_or_date_time}
    config = Config(
        spec_validator_cls=None,
        extra_format_validators=formats,
        extra_format_unmarshallers={"date-time": str, "date": str},
    )
    return OpenAPI.from_dict(document, config=config)


DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")


def drop_parameter_defaults(document: dict[str, Any]) -> None:
    """Remove parameter defaults (Trello's fail their own schemas)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict):
                    parameter.get("schema", {}).pop("default", None)


def is_date_or_date_time(value: Any) -> bool:
    """A date, or (as Trello really sends) a date-time."""
    if not isinstance(value, str):
        return True
    return re.match(r"^\d{4}-\d\d-\d\d$", value) is not None or is_date_time(value)


def is_date_time(value: Any) -> bool:
    """RFC 3339, or Jira's variant with a `+hhmm` offset."""
    return not isinstance(value, str) or DATE_TIME.match(value) is not None


def site_path(path: str) -> str:
    """An OAuth app's gateway path (`/ex/jira/{cloudId}/...` on api.atlassian.com, under `/api`
    in the sandbox) as the `/cloud/...` one it mirrors."""
    return re.sub(r"^(?:/api)?/ex/jira/[^/]+/", "/cloud/", path)


def spec_path(path: str) -> tuple[str, str, str] | None:
    """(document, server, path in the document) for a sandbox path; None when not covered."""
    if path.startswith("/trello/1/"):
        return "trello-v1.json", TRELLO_SERVER, path[len("/trello") :]
    match = re.match(r"^/(cloud|dc)(/rest/(api/(2|3|latest)|agile/1\.0)/.*)$", path)
    if match is None:
        return None
    inner = re.sub(r"^/rest/api/(2|latest)/", "/rest/api/3/", match.group(2))
    if inner.startswith("/rest/agile/"):
        return "jira-software-agile-v1.json", JIRA_SERVER, inner
    return "jira-platform-v3.json", JIRA_SERVER, inner


def gap(method: str, path: str) -> str:
    """What KNOWN_GAPS skips for this request: "all", "request", "response" or ""."""
    skipped = {what for m, rx, what, _ in KNOWN_GAPS if m in ("*", method) and re.search(rx, path)}
    return "all" if "all" in skipped or {"request", "response"} <= skipped else "".join(skipped)


def adapt(
    request: httpx.Request, response: httpx.Response, server: str, path: str
) -> tuple[Exchange, Answer]:
    """httpx objects as openapi-core wants them."""
    url = urlsplit(str(request.url))
    query = ImmutableMultiDict(parse_qsl(url.query, keep_blank_values=True))
    params = RequestParameters(query=query, header=Headers(list(request.headers.items())))
    body = request.content or None
    exchange = Exchange(
        request.method.lower(),
        server,
        path,
        params,
        body,
        request.headers.get("content-type", "").lower(),
    )
    answer = Answer(
        response.status_code,
        response.headers.get("content-type", "").lower(),
        Headers(list(response.headers.items())),
        response.content or None,
    )
    return exchange, answer


def contract_errors(request: httpx.Request, response: httpx.Response) -> list[str]:
    """Every way the request and response disagree with their document."""
    path = urlsplit(str(request.url)).path
    skip = gap(request.method, site_path(path))
    where = spec_path(site_path(path))
    if skip == "all" or where is None:
        return []
    document, server, inner = where
    openapi = spec(document)
    exchange, answer = adapt(request, response, server, inner)
    problems: list[str] = []
    with warnings.catch_warnings():
        # openapi-core warns once per check that it cannot verify the contracts' OAuth 2.0 and
        # API-key security schemes; the auth headers are checked by the connectors' own tests.
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        if skip != "request":
            problems += [describe("request", e) for e in openapi.iter_request_errors(exchange)]
        if skip != "response":
            errors = openapi.iter_response_errors(exchange, answer)
            problems += [describe("response", e) for e in errors if not empty_ok(e, answer)]
    return [f"{request.method} {path} -> {response.status_code}: {p}" for p in problems]


def empty_ok(error: BaseException, answer: Answer) -> bool:
    """An empty 2xx body where the document declares content (see the notes above)."""
    return type(error).__name__ == "MissingData" and not answer.data and answer.status_code < 300


def describe(side: str, error: BaseException) -> str:
    """An error with its schema details (not the whole offending value), on one line."""
    details = [type(error).__name__]
    cause = error.__cause__ or error
    for inner in getattr(cause, "schema_errors", None) or []:
        where = "/".join(str(p) for p in getattr(inner, "absolute_path", []))
        details.append(f"at {where or '.'}: {getattr(inner, 'message', inner)}"[:300])
    if len(details) == 1:
        details.append(str(cause)[:300])
    return f"{side}: " + " | ".join(details)


def validate(request: httpx.Request, response: httpx.Response) -> None:
    """Raise ContractError when the exchange breaks its document."""
    problems = contract_errors(request, response)
    if problems:
        raise ContractError("\n".join(problems))


def validate_jira(request: httpx.Request, response: httpx.Response) -> None:
    """Validate a Jira exchange (Cloud `/cloud/...` or Data Center `/dc/...`)."""
    validate(request, response)


def validate_trello(request: httpx.Request, response: httpx.Response) -> None:
    """Validate a Trello exchange (`/trello/1/...`)."""
    validate(request, response)


class CheckingClient(httpx.Client):
    """An httpx.Client that validates every response it receives."""

    contract_problems: list[str]


def contract_checking_client(*, strict: bool = True, **kwargs: Any) -> CheckingClient:
    """An httpx.Client validating every exchange; raises ContractError when `strict`."""
    problems: list[str] = []

    def check(response: httpx.Response) -> None:
        response.read()
        found = contract_errors(response.request, response)
        problems.extend(found)
        if found and strict:
            raise ContractError("\n".join(found))

    hooks = kwargs.pop("event_hooks", {})
    hooks = {**hooks, "response": [*hooks.get("response", []), check]}
    client = CheckingClient(event_hooks=hooks, **kwargs)
    client.contract_problems = problems
    return client
