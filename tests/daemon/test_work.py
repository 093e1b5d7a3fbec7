"""The work a job carries: typed values whose wire form (the row's payload JSON) is the one
syncd always wrote, so rows queued before the values were typed still run."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from syncd.errors import PermanentError
from syncd.model import StatusCategory, StatusPush
from syncd.store.jobs import Claimed
from syncd.store.work import (
    DeliverJob,
    JobKind,
    PullJob,
    PushJob,
    ReconcileJob,
    WebhookJob,
    Work,
    work_of,
)

STATUS = StatusPush(
    client="acme",
    rag="amber",
    headline="Amber: SPI 0.91",
    markdown="**Amber**",
    adf={"type": "doc", "version": 1, "content": []},
    wiki="*Amber*",
    machine={"rag": "amber", "spi": 0.91},
    fields=(("RAG", "Amber"), ("SPI", "0.91")),
    dashboard_url="https://syncd.example/clients/acme",
    digest="d1",
    category=StatusCategory.IN_PROGRESS,
)
WORK: list[Work] = [
    PullJob(),
    ReconcileJob(),
    PushJob(source="acme-jira", target="ACME-1", status=STATUS),
    WebhookJob(source="acme-jira", delivery="d-1", body={"issue": {"key": "ACME-1"}}),
    DeliverJob(key="acme:weekly:2026-11-30"),
]


def test_each_kind_writes_the_payload_syncd_always_wrote() -> None:
    """The wire forms are the dicts the scheduler, pipeline, receiver and plan queued before."""
    assert [work.wire() for work in WORK] == [
        {},
        {},
        {"source": "acme-jira", "target": "ACME-1", "status": asdict(STATUS)},
        {"source": "acme-jira", "delivery": "d-1", "body": {"issue": {"key": "ACME-1"}}},
        {"key": "acme:weekly:2026-11-30"},
    ]
    assert [work.kind for work in WORK] == list(JobKind)


@pytest.mark.parametrize("work", WORK, ids=lambda w: w.kind)
def test_work_reads_back_from_its_stored_json(work: Work) -> None:
    """What a row stores (its payload, through JSON) reads back as the same value."""
    import orjson

    stored = orjson.loads(orjson.dumps(work.wire()))
    assert work_of(work.kind, stored) == work


def test_payloads_of_an_earlier_syncd_read_back() -> None:
    """A status queued before syncd knew categories, a webhook without a delivery id or body,
    and the store's count of requests made while a row ran all read back."""
    old_status = {k: v for k, v in asdict(STATUS).items() if k != "category"}
    old_status["fields"] = [list(pair) for pair in STATUS.fields]
    push = work_of("push", {"source": "acme-jira", "target": "ACME-1", "status": old_status})
    assert isinstance(push, PushJob)
    assert push.status.category is None and push.status.fields == STATUS.fields
    assert work_of("webhook", {"source": "acme-jira"}) == WebhookJob(source="acme-jira")
    assert work_of("pull", {"_again": 2}) == PullJob()
    assert work_of("deliver", {"key": "k", "_again": 1}) == DeliverJob(key="k")


def test_a_claimed_job_gives_its_work_only_as_its_own_kind() -> None:
    """`carried` reads the payload as the job's kind; asked for another kind, it refuses for
    good (a retry would not change the row)."""
    job = Claimed(7, JobKind.DELIVER, "acme", "weekly", {"key": "k"}, attempts=1)
    assert job.carried(DeliverJob) == DeliverJob(key="k")
    with pytest.raises(PermanentError, match="job 7 is a deliver job, not a push job"):
        job.carried(PushJob)
