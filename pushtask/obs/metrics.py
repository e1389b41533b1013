"""Prometheus metrics of this process, and the database gauges every process can read.

Counters and histograms are process-local (one registry per process, not shared): `pushtask
serve` runs API and worker in one process, so its `/metrics` has everything; in scale-out each
`pushtask api` process reports its own API latency, and worker-side series (retries, lateness,
notifications) live in the worker processes — see README "Operations". The gauges (pushes and
deliveries by state, queue depth, pending notices) are read from the database at scrape time,
so they are the same whichever process answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Delivery, Notification, Push

REGISTRY = CollectorRegistry(auto_describe=True)

API_LATENCY = Histogram(
    "pushtask_api_request_seconds",
    "API request latency by route and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "pushtask_deliveries_total",
    "Group deliveries recorded by this worker, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
RETRIES = Counter("pushtask_retries_total", "Retries scheduled, by kind.", ["kind"], registry=REGISTRY)
LATENESS = Histogram(
    "pushtask_delivery_lateness_seconds",
    "Seconds from an occurrence's fire time to a group's message being sent.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "pushtask_notifications_total",
    "Notices handled by this worker, by type and outcome.",
    ["type", "outcome"],
    registry=REGISTRY,
)


def observe_delivery(sent: bool, retried: bool, fire_at: datetime, now: datetime) -> None:
    """Count one recorded send; sent ones also measure how late they were."""
    if sent:
        _SENT.inc()
        LATENESS.observe(max(0.0, (now - fire_at).total_seconds()))
    elif retried:
        _RETRIED.inc()
        _DELIVERY_RETRIES.inc()
    else:
        _FAILED.inc()


# The children looked up once: `labels()` is a locked dictionary lookup, and this runs for every send.
_SENT, _RETRIED, _FAILED = (DELIVERIES.labels(outcome=o) for o in ("sent", "retry", "failed"))
_DELIVERY_RETRIES = RETRIES.labels(kind="delivery")


class DatabaseGauges(Collector):
    """Gauges read from the database when scraped."""

    def __init__(self, sessions: sessionmaker[Session], clock: object) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pushes = GaugeMetricFamily("pushtask_pushes", "Pushes (occurrences) by status.", labels=["status"])
        deliveries = GaugeMetricFamily("pushtask_deliveries", "Group deliveries by state.", labels=["state"])
        notices = GaugeMetricFamily("pushtask_notifications", "Outbox notices by state.", labels=["state"])
        depth = GaugeMetricFamily("pushtask_queue_depth", "Deliveries due now and not yet sent (pending, due).")
        now = self.clock()  # type: ignore[operator]
        with self.sessions() as session:
            for status, n in session.execute(select(Push.status, func.count()).group_by(Push.status)):
                pushes.add_metric([status], n)
            for state, n in session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)):
                deliveries.add_metric([state], n)
            for state, n in session.execute(select(Notification.state, func.count()).group_by(Notification.state)):
                notices.add_metric([state], n)
            due = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
            )
            depth.add_metric([], due or 0)
        yield from (pushes, deliveries, notices, depth)


def exposition(sessions: sessionmaker[Session], clock: object) -> bytes:
    """Return this process's metrics plus the database gauges, in Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseGauges(sessions, clock))
    return generate_latest(REGISTRY) + generate_latest(registry)
