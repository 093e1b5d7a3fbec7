"""`syncd check --online` for a Jira connector: read-only questions to the site.

site reachable (`GET serverInfo`) · credentials valid (`GET myself`) · the JQL parses and how
many issues it matches (Cloud: `POST search/approximate-count`; Data Center: `GET search` with
`maxResults=0`) · the story-points, RAG and link-rule fields exist (`GET field`, with the names
that look like them when not) · each status issue exists and the account may comment on and
edit it (`GET issue`, `GET mypermissions`) · a webhook can be registered (Administer Jira for an
admin webhook; an OAuth app's `GET webhook`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from syncd.connectors.probe import (
    Finding,
    bad,
    error_messages,
    field_rules,
    good,
    guarded,
    look_alikes,
    named_field,
    quoted,
)
from syncd.http import classify
from syncd.mapping.config import MappingConfig

if TYPE_CHECKING:
    from syncd.connectors.jira.session import Session as JiraConnector

STATUS_PERMISSIONS = ("ADD_COMMENTS", "EDIT_ISSUES")  # comment, property, labels, RAG field
POINT_HINTS = ("point", "estimate")


async def probe(connector: JiraConnector, mapping: MappingConfig) -> list[Finding]:
    """Every check, in order; after an unreachable site or refused credentials, nothing more."""
    found = await guarded("site", lambda: site(connector))
    if not all(f.ok for f in found):
        return found
    found += await guarded("credentials", lambda: credentials(connector))
    if not all(f.ok for f in found):
        return found
    found += await guarded("jql", lambda: jql(connector))
    found += await guarded("fields", lambda: fields(connector, mapping))
    for key in connector.config.push.issues:
        found += await guarded(f"status issue {key}", partial(status_issue, connector, key))
    found += await guarded("webhook", lambda: webhook(connector))
    return found


async def site(connector: JiraConnector) -> list[Finding]:
    """Any answer from `serverInfo` but 404 means a Jira is there (it may refuse the login)."""
    answer = await connector.client.get(f"{connector.api}/serverInfo")
    if answer.status_code == 404:
        return [bad("site", f"no Jira REST API at {connector.config.url} (HTTP 404)")]
    if answer.status_code >= 500:
        return [bad("site", f"{connector.config.url} answers HTTP {answer.status_code}")]
    info = answer.json() if answer.status_code == 200 else {}
    title = str(info.get("serverTitle") or "Jira")
    version = f" {info['version']}" if info.get("version") else ""
    return [good("site", f"{connector.config.url} reachable ({title}{version})")]


async def credentials(connector: JiraConnector) -> list[Finding]:
    config = connector.config
    answer = await connector.client.get(f"{connector.api}/myself")
    if answer.status_code in (401, 403):
        if config.auth == "oauth":
            how = "the OAuth app's grant (client_id_env, client_secret_env, refresh_token_env)"
        elif connector.cloud:
            how = f"email {config.email!r} with the API token in ${config.token_env}"
        else:
            how = f"the personal access token in ${config.token_env}"
        return [bad("credentials", f"refused (HTTP {answer.status_code}): check {how}")]
    me = classify(answer, service="jira").json()
    who = me.get("displayName") or me.get("name") or me.get("accountId") or "?"
    return [good("credentials", f"valid: signed in as {who}")]


async def jql(connector: JiraConnector) -> list[Finding]:
    """The client's query as written: parsed by Jira and counted, nothing fetched."""
    query = connector.config.jql
    if connector.cloud:
        answer = await connector.client.post(
            f"{connector.api}/search/approximate-count", json={"jql": query}
        )
        key = "count"
    else:
        params = {"jql": query, "maxResults": "0", "fields": "id"}
        answer = await connector.client.get(f"{connector.api}/search", params=params)
        key = "total"
    if answer.status_code == 400:
        return [bad("jql", f"Jira refuses {query!r}: {error_messages(answer)}")]
    count = classify(answer, service="jira").json().get(key)
    about = "about " if connector.cloud else ""
    return [good("jql", f"parses; matches {about}{count} issue(s)")]


def uses_points(mapping: MappingConfig) -> bool:
    """Whether any task is measured by story points."""
    return mapping.progress.default == "story_points" or any(
        t == "story_points" for t in mapping.progress.tasks.values()
    )


async def fields(connector: JiraConnector, mapping: MappingConfig) -> list[Finding]:
    """The story-points field, the RAG field and link-rule fields, by name on this site."""
    rows: Any = classify(
        await connector.client.get(f"{connector.api}/field"), service="jira"
    ).json()
    catalogue = {str(f.get("name", "")): str(f.get("id", "")) for f in rows if isinstance(f, dict)}
    names = list(catalogue)
    check = f"story points field {connector.config.story_points_field!r}"
    found = [
        _field(
            check,
            connector.config.story_points_field,
            catalogue,
            used=uses_points(mapping),
            hints=POINT_HINTS,
        )
    ]
    rag = connector.config.push.rag_field
    if rag:
        found.append(_field(f"push.rag_field {rag!r}", rag, catalogue, used=True))
    found += [
        named_field(index, name, names, explicit=explicit)
        for index, name, explicit in field_rules(mapping, connector.id)
    ]
    return found


def _field(
    check: str, name: str, catalogue: dict[str, str], *, used: bool, hints: tuple[str, ...] = ()
) -> Finding:
    """A field by its name (any case); when missing, the fields that look like it, and red
    only if something reads it."""
    by_lower = {n.lower(): i for n, i in catalogue.items()}
    if name.lower() in by_lower:
        return good(check, f"exists ({by_lower[name.lower()]})")
    alike = look_alikes(name, catalogue, hints=hints)
    shown = ", ".join(f"{n!r} ({catalogue[n]})" for n in alike) or "none"
    detail = f"no field of that name on the site; fields that look like it: {shown}"
    if used:
        return bad(check, detail)
    return good(check, f"{detail}; unused: no task is measured by story points")


async def status_issue(connector: JiraConnector, key: str) -> list[Finding]:
    """The issue exists, and the account may comment on it and edit it (and transition it)."""
    check = f"status issue {key}"
    answer = await connector.client.get(
        f"{connector.api}/issue/{key}", params={"fields": "summary"}
    )
    if answer.status_code == 404:
        return [bad(check, "does not exist, or this account may not see it")]
    classify(answer, service="jira")
    wanted = list(STATUS_PERMISSIONS)
    if connector.config.push.transitions:
        wanted.append("TRANSITION_ISSUES")
    missing = await _missing(connector, wanted, issueKey=key)
    if missing:
        return [bad(check, f"exists, but this account lacks {quoted(missing)}: syncd cannot write")]
    return [good(check, f"exists and is writable ({', '.join(wanted)})")]


async def _missing(connector: JiraConnector, wanted: list[str], **context: str) -> list[str]:
    """The permissions of `wanted` the account does not have (in `context`: issue, project)."""
    answer = await connector.client.get(
        f"{connector.api}/mypermissions", params={**context, "permissions": ",".join(wanted)}
    )
    held = classify(answer, service="jira").json().get("permissions") or {}
    return [p for p in wanted if not (held.get(p) or {}).get("havePermission")]


async def webhook(connector: JiraConnector) -> list[Finding]:
    """Whether syncd could register its webhook; nothing is registered."""
    config = connector.config
    if config.auth == "oauth":
        answer = await connector.client.get("/rest/api/3/webhook", params={"startAt": "0"})
        if answer.status_code in (401, 403):
            return [
                bad("webhook", f"the app may not register webhooks (HTTP {answer.status_code})")
            ]
        classify(answer, service="jira")
        return [good("webhook", "possible: the app may register a dynamic webhook for the JQL")]
    if not config.webhook_secret_env:
        return [good("webhook", "none configured (no webhook_secret_env): polling only")]
    if await _missing(connector, ["ADMINISTER"]):
        return [
            bad(
                "webhook",
                "not possible: an admin webhook needs the Administer Jira global permission,"
                " which this account lacks; syncd would poll only",
            )
        ]
    return [good("webhook", "possible: the account administers Jira (admin webhook)")]
