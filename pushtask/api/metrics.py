"""GET /metrics (Prometheus text format) and the API latency histogram's request hooks."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from pushtask.api.base import runtime
from pushtask.obs import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    """Return this process's metrics and the database gauges (no sign-in: expose it only to monitoring)."""
    rt = runtime()
    return Response(metrics.exposition(rt.sessions, rt.clock), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time every request into pushtask_api_request_seconds, labelled by route template, not by URL."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.path != "/metrics":
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.API_LATENCY.labels(request.method, route, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
