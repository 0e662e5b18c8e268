"""Prometheus metrics of the attestation node (``GET /metrics``).

Each app gets its own registry, so several nodes in one process (tests, the embedded demo)
do not share counters.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "NodeMetrics"]

#: Latency buckets in seconds, dense around the 1-50 ms the node aims for.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class NodeMetrics:
    """The node's counters, gauges and histograms in a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cerkit_node_requests",
            "HTTP requests answered, by endpoint and status code",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.attestations = Counter(
            "cerkit_node_attestations",
            "Attestations answered, by outcome (created, existing, rejected)",
            ["outcome"],
            registry=self.registry,
        )
        self.attest_latency = Histogram(
            "cerkit_node_attest_seconds",
            "Time from request to receipt for accepted attestations",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "cerkit_node_batch_size",
            "Attestations committed per transaction (group commit)",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.commit_latency = Histogram(
            "cerkit_node_commit_seconds",
            "Time to append, sign and prove one batch",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._declare_log_health()
        # Labelled children by label values: ``labels()`` takes a lock and builds a key on
        # every call, a few microseconds on each of thousands of requests a second.
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Counter, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def count_request(self, endpoint: str, status: int) -> None:
        self._child(self.requests, endpoint, str(status)).inc()

    def count_attestations(self, outcome: str, count: int = 1) -> None:
        """``outcome`` is ``created``, ``existing`` or ``rejected``."""
        if count:
            self._child(self.attestations, outcome).inc(count)

    def _declare_log_health(self) -> None:
        """The log's size and the node's self-checks (docs/node.md, what the node checks)."""
        self.log_size = Gauge(
            "cerkit_node_log_size", "Leaves in the transparency log", registry=self.registry
        )
        self.log_consistent = Gauge(
            "cerkit_node_log_consistent",
            "1 while the stored log is consistent with what the node signed, else 0",
            registry=self.registry,
        )
        self.signing = Gauge(
            "cerkit_node_signing",
            "1 while the node signs (log consistent, an active key), else 0",
            registry=self.registry,
        )
        self.log_checks = Counter(
            "cerkit_node_log_checks",
            "Self-checks of the stored log, by outcome (consistent, inconsistent, error)",
            ["outcome"],
            registry=self.registry,
        )
        self.bundle_mismatches = Counter(
            "cerkit_node_stored_bundle_mismatches",
            "Record reads refused because the stored bundle no longer matches its leaf",
            registry=self.registry,
        )
        self.key_reloads = Counter(
            "cerkit_node_key_reloads",
            "Times the key document changed and was re-read",
            registry=self.registry,
        )

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.commit_latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
