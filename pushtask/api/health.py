"""Liveness of the service and the stores it depends on."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response
from sqlalchemy import text

from pushtask import __version__
from pushtask.api.base import api_route, json_response, runtime, session
from pushtask.schemas import HealthOut

bp = Blueprint("health", __name__, url_prefix="/api")


def _check_redis(url: str) -> dict[str, Any]:
    import redis

    started = time.perf_counter()
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


@api_route(
    bp,
    "/health",
    "GET",
    summary="Service health with database (and Redis) checks.",
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
        database = {"ok": False, "error": type(exc).__name__}
    database["backend"] = "sqlite" if rt.settings.is_embedded else "mysql"
    redis_state = _check_redis(rt.settings.redis_url) if rt.settings.redis_url else None
    healthy = database["ok"] and (redis_state is None or redis_state["ok"])
    payload = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "database": database,
        "redis": redis_state,
    }
    return json_response(payload, 200 if database["ok"] else 503)
