"""Prometheus metrics that the sync layer, the queue and the web app increment.

Module-level objects on the default registry, so any module can count without wiring:

    from syncd import metrics
    metrics.PULLS.labels(client, source, "ok").inc()
    with metrics.REMOTE_LATENCY.labels("acme-jira").time(): ...

Outcomes are short words: ``ok``, ``transient``, ``permanent``, ``auth``, ``rate_limited``.
Queue depth and dead letters are read from the database when `/metrics` is scraped.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PULLS = Counter(
    "syncd_pulls", "Connector pulls finished, by outcome.", ["client", "source", "outcome"]
)
RECONCILES = Counter(
    "syncd_reconciles",
    "Reconciles the daemon ran, by outcome: stored (a snapshot), or unchanged (nothing it reads"
    " changed since the last of the same day: nothing was done).",
    ["client", "outcome"],
)
ITEMS = Counter("syncd_items_pulled", "Items stored by pulls.", ["client", "source"])
QUARANTINED = Counter(
    "syncd_items_quarantined", "Payloads that could not be normalized.", ["client", "source"]
)
PUSHES = Counter(
    "syncd_pushes", "Status pushes finished, by outcome.", ["client", "target", "outcome"]
)
PUSH_WRITES = Counter(
    "syncd_push_writes", "Remote writes made by pushes (0 when unchanged).", ["client", "source"]
)
RETRIES = Counter("syncd_retries", "Jobs or requests scheduled for another attempt.", ["kind"])
DEFERRED = Counter(
    "syncd_jobs_deferred",
    "Jobs put back because their client already ran as many as it may (SYNCD_CLIENT_JOBS).",
    ["kind"],
)
DEAD_LETTERS = Counter("syncd_dead_letters", "Jobs that became dead letters.", ["kind"])
WEBHOOKS = Counter("syncd_webhooks", "Webhook deliveries received.", ["source", "outcome"])
REMOTE_LATENCY = Histogram(
    "syncd_remote_request_seconds",
    "Latency of requests to Jira and Trello, per remote (connector id or host).",
    ["remote"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_LATENCY = Histogram(
    "syncd_http_request_seconds",
    "Latency of syncd's own web requests, by route template and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
