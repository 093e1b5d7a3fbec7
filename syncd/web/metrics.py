"""`/metrics`: the process counters of `syncd.metrics`, plus gauges read from the store.

Queue depth (jobs by kind and state), dead letters per client and stored items per connector
are counted in the database at scrape time, so every process shows the same truth.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from syncd.store import jobs
from syncd.store.items import stored_by_source
from syncd.store.jobs import JobState
from syncd.web.auth import principal_of
from syncd.web.pages import denied, guard


class StoreCollector(Collector):
    """Gauges computed from the jobs and items tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "syncd_queue_depth", "Jobs by kind and state.", labels=["kind", "state"]
        )
        dead = GaugeMetricFamily(
            "syncd_dead_letters_current", "Dead letters now.", labels=["client"]
        )
        items = GaugeMetricFamily(
            "syncd_items_stored", "Items in the store.", labels=["client", "source"]
        )
        for kind, state, n in jobs.depth(self.engine):
            if state not in (JobState.DONE, JobState.SUPERSEDED):  # ended: they only grow
                depth.add_metric([kind, state], n)
        for client, n in jobs.dead_by_client(self.engine):
            dead.add_metric([client], n)
        for client, source, n in stored_by_source(self.engine):
            items.add_metric([client, source], n)
        yield from (depth, dead, items)


def exposition(engine: Engine) -> bytes:
    """The text exposition of the process registry and the store gauges."""
    store = CollectorRegistry(auto_describe=False)
    store.register(StoreCollector(engine))
    return generate_latest(REGISTRY) + generate_latest(store)


@guard
def metrics(request: Request) -> Response:
    """Prometheus metrics; an unscoped token only (they name every client)."""
    if principal_of(request).client is not None:
        return denied(request, 404)
    return Response(exposition(request.app.state.engine), media_type=CONTENT_TYPE_LATEST)
