"""Sample clients for report and web tests: real plans, real reconciliations, a seeded store.

`acme` follows the demo plan (Oct 2026 - Jan 2027, 5 leaf tasks and a Go-live milestone) with
Jira and Trello items; `globex` follows the worked example of docs/plan-math.md §3.7
(A, B, C, D, M).
Snapshots are computed by `syncd.plan.reconcile` at weekly status dates, as the daemon would.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from syncd.db import Cursor, Job, SyncError
from syncd.mapping.config import LinkRule, MappingConfig
from syncd.model import StatusCategory, StatusChange, WorkItem
from syncd.plan import Baseline, Dependency, PlanTask, build_baseline, load_plan
from syncd.plan.reconcile import reconcile
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports.model import ClientInfo, SourceInfo
from syncd.store import save_snapshot, sessions
from syncd.store.items import upsert_items

REPO = Path(__file__).resolve().parents[2]
XSS = "<script>alert('x')</script> & <b>bold</b>"
CONFIG = MappingConfig(links=[LinkRule(by="wbs_in_title")])


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    """An item's life: key, title, when it started and finished (None: not yet)."""

    source: str
    key: str
    title: str
    points: float = 3.0
    started: date | None = None
    finished: date | None = None
    type: str = "Story"
    labels: tuple[str, ...] = ()
    assignee: str | None = "Dana Lee"
    due: date | None = None


def item_on(spec: Spec, as_of: date) -> WorkItem:
    """The item as a pull on `as_of` would have seen it."""
    history: list[StatusChange] = []
    category = StatusCategory.TODO
    if spec.started and spec.started <= as_of:
        history.append(
            StatusChange(at(spec.started), "To Do", "In Progress", StatusCategory.IN_PROGRESS)
        )
        category = StatusCategory.IN_PROGRESS
    if spec.finished and spec.finished <= as_of:
        history.append(
            StatusChange(at(spec.finished, 16), "In Progress", "Done", StatusCategory.DONE)
        )
        category = StatusCategory.DONE
    trello = spec.source.endswith("board")
    url = (
        f"https://trello.com/c/{spec.key}"
        if trello
        else f"https://acme.atlassian.net/browse/{spec.key}"
    )
    return WorkItem(
        source=spec.source,
        external_id=spec.key,
        key=spec.key,
        title=spec.title,
        url=url,
        type="card" if trello else spec.type,
        status={"todo": "To Do", "in_progress": "In Progress", "done": "Done"}[category.value],
        category=category,
        assignee=spec.assignee,
        created=at(date(2026, 1, 5)),
        updated=at(as_of),
        due=at(spec.due) if spec.due else None,
        resolved=at(spec.finished, 16)
        if category is StatusCategory.DONE and spec.finished
        else None,
        story_points=spec.points,
        labels=spec.labels,
        history=tuple(history),
    )


def _d(text: str) -> date:
    return date.fromisoformat(text)


ACME_SPECS = (
    Spec(
        "acme-jira", "ACME-11", "1.1 Interview stakeholders", 5, _d("2026-10-01"), _d("2026-10-09")
    ),
    Spec("acme-jira", "ACME-12", "1.1 Current-state map", 3, _d("2026-10-05"), _d("2026-10-16")),
    Spec("acme-jira", "ACME-21", "1.2 Architecture", 8, _d("2026-10-19"), _d("2026-11-06")),
    Spec("acme-jira", "ACME-22", "1.2 UX concepts", 5, _d("2026-10-21"), _d("2026-11-18")),
    Spec("acme-jira", "ACME-31", "1.3 Extract legacy data", 8, _d("2026-10-26"), _d("2026-11-20")),
    Spec("acme-jira", "ACME-32", "1.3 Load and verify", 5, _d("2026-11-16")),
    Spec("acme-jira", "ACME-41", "2.1 Orders endpoint", 8, _d("2026-11-09"), _d("2026-11-27")),
    Spec("acme-jira", "ACME-42", "2.1 Billing endpoint", 8, _d("2026-11-23")),
    Spec("acme-jira", "ACME-43", "2.1 Auth endpoint", 5),
    Spec("acme-jira", "ACME-90", f"Hotfix {XSS}", 2, _d("2026-11-02"), _d("2026-11-10"), "Bug"),
    Spec(
        "acme-jira",
        "ACME-99",
        "Vendor API quota may block load tests",
        0,
        type="Risk",
        assignee="Sam Roe",
        due=_d("2026-11-20"),
    ),
    Spec("acme-board", "tr1", "2.2 Checkout screens", 5, _d("2026-11-16")),
    Spec("acme-board", "tr2", "2.2 Account screens", 5),
    Spec("acme-board", "tr3", "Marketing landing page", 3, _d("2026-11-20"), labels=("issue",)),
)

GLOBEX_SPECS = (
    Spec("globex-jira", "GX-1", "A Design spec", 5, _d("2026-03-02"), _d("2026-03-05")),
    Spec("globex-jira", "GX-2", "B Build core", 5, _d("2026-03-06"), _d("2026-03-11")),
    Spec("globex-jira", "GX-3", "B Build adapters", 5, _d("2026-03-09")),
    Spec("globex-jira", "GX-4", "C Docs", 3, _d("2026-03-06"), _d("2026-03-10")),
    Spec("globex-jira", "GX-5", "D Deploy", 3),
)


def globex_plan() -> Baseline:
    """The worked example of docs/plan-math.md §3.7."""
    t = [
        PlanTask("A", "Design", _d("2026-03-02"), _d("2026-03-05"), wbs="A", budget=40),
        PlanTask(
            "B",
            "Build",
            _d("2026-03-06"),
            _d("2026-03-13"),
            wbs="B",
            budget=90,
            dependencies=(Dependency("A"),),
        ),
        PlanTask(
            "C",
            "Docs",
            _d("2026-03-06"),
            _d("2026-03-10"),
            wbs="C",
            budget=30,
            dependencies=(Dependency("A"),),
        ),
        PlanTask(
            "D",
            "Deploy",
            _d("2026-03-16"),
            _d("2026-03-17"),
            wbs="D",
            budget=20,
            dependencies=(Dependency("B"), Dependency("C")),
        ),
        PlanTask(
            "M",
            "Release",
            _d("2026-03-17"),
            _d("2026-03-17"),
            wbs="M",
            milestone=True,
            dependencies=(Dependency("D"),),
        ),
    ]
    return build_baseline("Globex migration", t, label="Signed plan", version="1")


@dataclass
class Sample:
    """One sample client: its info, plan, item specs and status dates."""

    info: ClientInfo
    plan: Baseline
    specs: tuple[Spec, ...]
    dates: tuple[date, ...]
    version: int = 1
    expected: dict[str, Any] = field(default_factory=dict)

    def items(self, as_of: date) -> list[WorkItem]:
        return [item_on(s, as_of) for s in self.specs]

    def snapshot(self, as_of: date) -> StatusSnapshot:
        rec = reconcile(self.plan, self.items(as_of), as_of=as_of, config=CONFIG)
        return StatusSnapshot(rec, baseline_version=self.version, baseline_label=self.plan.label)

    @property
    def leaves(self) -> list[PlanTask]:
        return list(self.plan.leaves)


def acme() -> Sample:
    info = ClientInfo(
        id="acme",
        name="Acme rollout",
        timezone="Europe/Berlin",
        sources=(
            SourceInfo("acme-jira", "jira", "https://acme.atlassian.net"),
            SourceInfo("acme-board", "trello", "https://trello.com"),
        ),
    )
    plan = load_plan(REPO / "syncd" / "plan" / "demo_plan.toml")
    dates = tuple(_d("2026-11-02") + timedelta(weeks=n) for n in range(5))
    return Sample(info, plan, ACME_SPECS, dates)


def globex() -> Sample:
    info = ClientInfo(
        id="globex",
        name="Globex migration",
        sources=(SourceInfo("globex-jira", "jira", "https://globex.atlassian.net"),),
    )
    dates = (_d("2026-03-04"), _d("2026-03-06"), _d("2026-03-11"))
    return Sample(info, globex_plan(), GLOBEX_SPECS, dates)


def seed(engine: Engine, samples: list[Sample], *, now: datetime) -> dict[str, int]:
    """Store baselines, one snapshot per status date, the latest items, pulls, errors, dead jobs.

    Returns the ids of the dead-letter jobs by client.
    """
    from syncd.store.baselines import save_baseline

    dead: dict[str, int] = {}
    for s in samples:
        save_baseline(engine, s.info.id, s.plan.to_dict(), label=s.plan.label, source_file="x")
        with sessions(engine).begin() as session:
            for d in s.dates:
                save_snapshot(
                    session, s.info.id, d, baseline_version=s.version, data=s.snapshot(d).to_dict()
                )
            upsert_items(session, s.info.id, s.items(s.dates[-1]))
            for src in s.info.sources:
                session.add(
                    Cursor(
                        client=s.info.id,
                        source=src.id,
                        pulls=3,
                        state={},
                        last_success=now - timedelta(minutes=5),
                        cursor=now,
                    )
                )
            session.add(
                SyncError(
                    client=s.info.id,
                    source=s.info.sources[0].id,
                    kind="quarantine",
                    message=f"bad payload {XSS}",
                    at=now,
                    resolved=False,
                )
            )
            job = Job(
                kind="push",
                client=s.info.id,
                target=f"{s.info.sources[0].id}:status",
                payload={},
                state="dead",
                attempts=5,
                max_attempts=5,
                due_at=now,
                last_error="403 Forbidden",
                created=now,
                updated=now,
            )
            session.add(job)
            session.flush()
            dead[s.info.id] = job.id
    return dead


def replace_items(specs: tuple[Spec, ...], **changes: Any) -> tuple[Spec, ...]:
    return tuple(replace(s, **changes) for s in specs)
