"""The service's Prometheus metrics (``GET /metrics``), one registry per app so that two
apps in one process (tests) do not share counters."""

from __future__ import annotations

from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

ROUTES = ("/v1/judge", "/v1/judge/batch", "/run_code", "/v1/health", "/metrics")
"""The route label's values; any other path counts as ``other`` (labels stay bounded)."""

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                   120.0, 300.0)


class ServiceMetrics:
    def __init__(self, queue_depth: Callable[[], float]):
        self.registry = CollectorRegistry()
        self.requests = Counter("perfjudge_requests", "HTTP requests answered, by route and "
                                "status code", ["route", "status"], registry=self.registry)
        self.verdicts = Counter("perfjudge_verdicts", "Verdicts answered (from the store or "
                                "judged), by verdict", ["verdict", "cached"],
                                registry=self.registry)
        self.latency = Histogram("perfjudge_request_seconds", "Time from a request's arrival "
                                 "to its answer, by route", ["route"], buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self.queue = Gauge("perfjudge_queue_depth", "Checks waiting or running",
                           registry=self.registry)
        self.queue.set_function(queue_depth)

    def observe(self, path: str, status: int, seconds: float) -> None:
        route = path if path in ROUTES else "other"
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def verdict(self, verdict: str, cached: bool) -> None:
        self.verdicts.labels(verdict, "true" if cached else "false").inc()

    def text(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
