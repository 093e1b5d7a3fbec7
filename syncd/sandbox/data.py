"""The Jira half of the seeded world (`world.generate` builds it; the Trello half is in
`trello_data`): the team, random or demo issues, and the history of status changes and work."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from syncd.sandbox.config import SandboxConfig
from syncd.sandbox.state import (
    STATUSES,
    History,
    Issue,
    JiraUser,
    Project,
    State,
    Status,
    WorkLog,
)

USERS = (
    ("557058:0001", "alice", "Alice Andersen"),
    ("557058:0002", "bob", "Bob Brandt"),
    ("557058:0003", "chen", "Chen Li"),
    ("557058:0004", "dana", "Dana Novak"),
    ("557058:0005", "emil", "Emil Okafor"),
)
BOT_ACCOUNT = "557058:bot"
LABELS = ("backend", "frontend", "infra", "customer", "tech-debt", "security")
COMPONENTS = ("API", "Web", "Data", "Ops")
WORDS = (
    "login",
    "export",
    "invoice",
    "search",
    "report",
    "sync",
    "upload",
    "billing",
    "profile",
    "audit",
    "alerts",
    "import",
    "dashboard",
    "payments",
    "onboarding",
    "cache",
    "pipeline",
)
VERBS = ("Add", "Fix", "Refactor", "Document", "Migrate", "Test", "Harden", "Speed up")
DEMO_EPICS = (
    ("1.1 Discovery", "Done"),
    ("1.2 Design", "In Progress"),
    ("1.3 Data migration", "To Do"),
    ("2.1 Build API", "In Progress"),
    ("2.2 Build UI", "To Do"),
)


def add_users(state: State, cfg: SandboxConfig) -> None:
    """The simulated team plus the bot account the credentials belong to."""
    for account_id, name, display in USERS:
        state.users[account_id] = JiraUser(
            account_id, name, display, f"{name}@example.com", cfg.jira_timezone
        )
    state.users[BOT_ACCOUNT] = JiraUser(
        BOT_ACCOUNT, "syncd-bot", "syncd bot", cfg.creds.jira_email, cfg.jira_timezone
    )


def generate_jira(state: State, rng: random.Random, cfg: SandboxConfig) -> None:
    """Spread `cfg.jira_issues` issues over the projects: epics, children, sub-tasks."""
    projects = cfg.projects or ("ACME",)
    for n, key in enumerate(projects):
        state.projects[key] = Project(
            str(10000 + n), key, f"{key.title()} project", list(COMPONENTS)
        )
    counters = dict.fromkeys(projects, 0)
    made = 0
    epics: dict[str, list[str]] = {p: [] for p in projects}
    while made < cfg.jira_issues:
        project = projects[made % len(projects)]
        issuetype, parent = pick_type(rng, epics[project], state)
        counters[project] += 1
        issue = make_issue(state, rng, project, counters[project], issuetype, parent)
        if issuetype == "Epic":
            epics[project].append(issue.key)
        made += 1


def pick_type(rng: random.Random, epics: list[str], state: State) -> tuple[str, str | None]:
    """Choose an issue type and parent: about one epic per 15 issues, a sixth sub-tasks."""
    if not epics or rng.random() < 0.07:
        return "Epic", None
    roll = rng.random()
    if roll < 0.16:
        candidates = state.child_keys.get(rng.choice(epics), [])
        if candidates:
            return "Sub-task", rng.choice(candidates)
    kind = rng.choices(("Story", "Task", "Bug", "Risk"), weights=(6, 3, 2, 1))[0]
    return kind, rng.choice(epics) if rng.random() < 0.85 else None


def make_issue(
    state: State,
    rng: random.Random,
    project: str,
    number: int,
    issuetype: str,
    parent: str | None,
    *,
    summary: str | None = None,
    status_name: str | None = None,
) -> Issue:
    """Create one plausible issue with history consistent with its status."""
    now = state.clock.now()
    created = now - timedelta(days=rng.uniform(5, 120))
    status = pick_status(rng, status_name)
    estimate = rng.choice((2, 4, 6, 8, 12, 16, 24, 40)) * 3600
    spent = {"new": 0, "indeterminate": int(estimate * rng.uniform(0.1, 0.9)), "done": estimate}
    issue = Issue(
        id=10000 + len(state.issues) + 1,
        key=f"{project}-{number}",
        project=project,
        issuetype=issuetype,
        summary=summary or f"{rng.choice(VERBS)} {rng.choice(WORDS)} {rng.choice(WORDS)}",
        description=f"Generated {issuetype.lower()} for {project}.",
        status_id=STATUSES[0].id,
        assignee=rng.choice([u[0] for u in USERS] + [None]),
        reporter=rng.choice(USERS)[0],
        created=created,
        updated=created,
        priority=rng.choice(("Highest", "High", "Medium", "Medium", "Low")),
        labels=sorted(rng.sample(LABELS, rng.randint(0, 2))),
        components=sorted(rng.sample(COMPONENTS, rng.randint(0, 1))),
        parent=parent,
    )
    if rng.random() < 0.6:
        issue.duedate = (created + timedelta(days=rng.uniform(10, 90))).date()
    if issuetype != "Epic":
        issue.original_estimate_s = estimate
        issue.remaining_estimate_s = max(estimate - spent[status.category], 0)
    if issuetype in ("Story", "Bug"):
        issue.story_points = float(rng.choice((1, 2, 3, 5, 8, 13)))
    walk_to(state, rng, issue, status.id, end=now)
    if issuetype != "Epic":
        backfill_work(state, issue, spent[status.category], end=now)
    state.add_issue(issue)
    return issue


def backfill_work(state: State, issue: Issue, seconds: int, *, end: datetime) -> None:
    """Log `seconds` as a few dated worklogs between the issue's first move and its resolution
    (or `end`); one issue in 200 has more than the 20 a search embeds. Drawn from the issue's own
    random sequence, so the rest of the seeded world is the same with or without worklogs."""
    if seconds <= 0:
        return
    rng = random.Random(issue.id)
    begun = issue.changelog[0].created if issue.changelog else issue.created
    span = (issue.resolutiondate or end) - begun
    count = rng.randint(21, 30) if rng.random() < 0.005 else rng.randint(1, 4)
    count = max(1, min(count, seconds // 900))
    cuts = sorted(rng.sample(range(1, seconds), count - 1))
    author = issue.assignee or USERS[0][0]
    for low, high in zip((0, *cuts), (*cuts, seconds), strict=True):
        started = begun + span * rng.random()
        issue.worklogs.append(
            WorkLog(state.next_worklog_id(), author, started, high - low, started)
        )
    issue.worklogs.sort(key=lambda w: (w.started, w.id))
    issue.time_spent_s = seconds


def pick_status(rng: random.Random, name: str | None) -> Status:
    """A status by name, or a random one spread over all three categories."""
    if name:
        return next(s for s in STATUSES if s.name == name)
    return rng.choices(STATUSES, weights=(4, 2, 1, 3))[0]


def walk_to(state: State, rng: random.Random, issue: Issue, target: str, *, end: datetime) -> None:
    """Record the status changes from To Do up to `target` between created and `end`."""
    path = [s for s in STATUSES if int(s.id) <= int(target)]
    when = issue.created
    for step in path[1:]:
        when = when + (end - when) * rng.uniform(0.1, 0.5)
        record_status_change(state, issue, step.id, when, author=issue.assignee or USERS[0][0])
    if rng.random() < 0.5:
        issue.updated = when + (end - when) * rng.uniform(0.0, 0.3)


def record_status_change(
    state: State, issue: Issue, status_id: str, when: datetime, *, author: str
) -> History:
    """Move `issue` to `status_id` at `when`, writing the changelog and resolution."""
    old = issue.status
    issue.status_id = status_id
    new = issue.status
    items: list[dict[str, str | None]] = [
        {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": old.id,
            "fromString": old.name,
            "to": new.id,
            "toString": new.name,
        }
    ]
    if new.category == "done" and old.category != "done":
        issue.resolutiondate = when
        items.append(resolution_item(None, "Done"))
    elif old.category == "done" and new.category != "done":
        issue.resolutiondate = None
        items.append(resolution_item("Done", None))
    history = History(state.next_jira_id(), author, when, items)
    issue.changelog.append(history)
    issue.updated = max(issue.updated, when)
    state.touch()
    return history


def log_work(
    state: State, issue: Issue, seconds: int, started: datetime, *, author: str, when: datetime
) -> WorkLog:
    """Log `seconds` of work on `issue`, started at `started`, recorded at `when`: time spent
    grows and the remaining estimate shrinks by as much (Jira's `adjustEstimate=auto`)."""
    log = WorkLog(state.next_worklog_id(), author, started, seconds, when)
    issue.worklogs.append(log)
    issue.worklogs.sort(key=lambda w: (w.started, w.id))
    issue.time_spent_s = (issue.time_spent_s or 0) + seconds
    if issue.remaining_estimate_s is not None:
        issue.remaining_estimate_s = max(issue.remaining_estimate_s - seconds, 0)
    issue.updated = max(issue.updated, when)
    state.touch()
    return log


def unlog_work(state: State, issue: Issue, log: WorkLog, *, when: datetime) -> None:
    """Delete a worklog: time spent shrinks and the remaining estimate grows by its time."""
    issue.worklogs.remove(log)
    issue.time_spent_s = (issue.time_spent_s or 0) - log.seconds or None
    if issue.remaining_estimate_s is not None:
        issue.remaining_estimate_s += log.seconds
    issue.updated = max(issue.updated, when)
    state.touch()


def resolution_item(before: str | None, after: str | None) -> dict[str, str | None]:
    """The changelog item Jira writes when the resolution is set or cleared.

    Jira sends the unset side as null; the published document says those fields are not
    nullable, so the sandbox leaves the unset side out (valid under both readings).
    """
    item: dict[str, str | None] = {
        "field": "resolution",
        "fieldtype": "jira",
        "fieldId": "resolution",
    }
    if before:
        item.update({"from": "10000", "fromString": before})
    if after:
        item.update({"to": "10000", "toString": after})
    return item


def generate_demo_jira(state: State, rng: random.Random) -> None:
    """The demo project ACME: WBS-coded epics with a few children each."""
    state.projects["ACME"] = Project("10000", "ACME", "Acme Go-live", list(COMPONENTS))
    number = 0
    for title, status in DEMO_EPICS:
        number += 1
        epic = make_issue(
            state, rng, "ACME", number, "Epic", None, summary=title, status_name=status
        )
        for child in range(rng.randint(3, 5)):
            number += 1
            child_status = status if status != "In Progress" else None
            make_issue(
                state,
                rng,
                "ACME",
                number,
                "Story",
                epic.key,
                summary=f"{title.split(' ', 1)[1]}: part {child + 1}",
                status_name=child_status,
            )
