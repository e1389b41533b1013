"""Liveness of the service and the stores it depends on."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response
from sqlalchemy import func, select, text

from pushtask import __version__
from pushtask.api.base import api_route, json_response, lang, runtime, session
from pushtask.i18n import translate
from pushtask.models import WorkerBeat
from pushtask.schemas import HealthOut
from pushtask.services.schedules import iso_utc

bp = Blueprint("health", __name__, url_prefix="/api")
SCHEDULER_STALE_S = 15
RETRY_AFTER_S = 5  # a database restart takes seconds


def _check_redis(client: Any) -> dict[str, Any]:
    import redis

    started = time.perf_counter()
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


def _check_scheduler(now: datetime) -> dict[str, Any]:
    """Report the scheduler down when no worker has ticked recently (a silent stall is visible)."""
    recent = now - timedelta(seconds=SCHEDULER_STALE_S)
    last = session().scalar(select(func.max(WorkerBeat.last_tick_at)).where(WorkerBeat.stopped.is_(False)))
    alive = session().scalar(
        select(func.count()).where(WorkerBeat.stopped.is_(False), WorkerBeat.last_tick_at >= recent)
    )
    state: dict[str, Any] = {"ok": bool(alive), "workers": int(alive or 0), "lastTickAt": iso_utc(last)}
    if not alive:
        state["error"] = f"no worker has ticked in the last {SCHEDULER_STALE_S} s; start `pushtask worker`"
    return state


@api_route(
    bp,
    "/health",
    "GET",
    summary="Service health: database, Redis, scheduler heartbeat, sandbox URL.",
    role=None,
    responses={200: HealthOut, 503: HealthOut},
)
def health() -> Response:
    rt = runtime()
    started = time.perf_counter()
    try:
        session().execute(text("SELECT 1"))
        database: dict[str, Any] = {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}
    except Exception as exc:  # noqa: BLE001 — any failure means "not healthy", reported by type
        session().rollback()  # a connection lost mid-transaction: end it, so the request can close cleanly
        database = {"ok": False, "error": type(exc).__name__, "reason": translate("db_unavailable", lang())}
    database["backend"] = "sqlite" if rt.settings.is_embedded else "mysql"
    redis_state = _check_redis(rt.redis) if rt.redis is not None else None
    scheduler = _check_scheduler(rt.clock()) if database["ok"] else {"ok": False, "error": "database unavailable"}
    healthy = database["ok"] and scheduler["ok"] and (redis_state is None or redis_state["ok"])
    payload = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "database": database,
        "redis": redis_state,
        "scheduler": scheduler,
        "sandbox": {"url": rt.sandbox_url} if rt.sandbox_url else None,
    }
    if database["ok"]:
        return json_response(payload)
    response = json_response(payload, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response
