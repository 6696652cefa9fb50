"""Prometheus metrics (prometheus-client): decisions by outcome and policy, latency of deciding, tracing and
logging, log write errors, refused accesses, reloads, and the rulebase digest as a label.

With several worker processes (`--workers N`) every process writes its
samples to PROMETHEUS_MULTIPROC_DIR (set by `warrant serve`) and
/metrics adds them up, so a scrape sees the whole server.
"""
from __future__ import annotations

import os

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)

BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self):
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self._children: dict = {}       # (id(metric), label values) -> its child (`of`)
        registry = None if self.multiprocess else CollectorRegistry()
        kw = {"registry": registry} if registry is not None else {}
        self.registry = registry
        self.decisions = Counter("warrant_decisions_total", "Decisions answered, by outcome", ["outcome"], **kw)
        self.items = Counter("warrant_items_total", "Requested items decided, by outcome and the deciding rule's "
                                                    "policy", ["outcome", "policy"], **kw)
        self.deciding = Histogram("warrant_decide_seconds", "Time to decide one request (with its trace)",
                                  ["explain"], buckets=BUCKETS, **kw)
        self.logging = Histogram("warrant_log_seconds", "Time to commit a decision's record to the log",
                                 buckets=BUCKETS, **kw)
        self.log_errors = Counter("warrant_log_write_errors_total", "Decisions refused because the log could not be "
                                                                    "written", **kw)
        self.refused = Counter("warrant_access_refused_total", "Requests refused for want of a valid token or "
                                                               "role", ["reason"], **kw)
        self.reloads = Counter("warrant_reloads_total", "Rulebase reloads, by result", ["result"], **kw)
        self.problems = Counter("warrant_problems_total", "Answers with a problem document, by status", ["status"],
                                **kw)
        gauge = {"multiprocess_mode": "liveall"} if self.multiprocess else {}
        self.rulebase = Gauge("warrant_rulebase_info", "The rulebase being served (1), by name and digest",
                              ["name", "sha256"], **gauge, **kw)

    def of(self, metric, *labels):
        """A metric's child for these label values, kept: `labels()` takes a lock and builds a key each
        time, and a decision touches three to five children."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def serving(self, name: str, sha256: str | None, previous: tuple | None) -> None:
        if previous is not None:
            try:
                self.rulebase.remove(*previous)
            except KeyError:
                pass
        self.rulebase.labels(name, sha256 or "none").set(1)

    def render(self) -> tuple[bytes, str]:
        if self.multiprocess:
            from prometheus_client import multiprocess
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
