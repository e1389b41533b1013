"""Error bodies and the health check."""

from __future__ import annotations

from typing import Literal

from pushtask.schemas.base import Output


class FieldError(Output):
    field: str
    message: str


class ErrorOut(Output):
    error: str
    details: list[FieldError] | None = None
    reason: str | None = None


class HealthOut(Output):
    status: Literal["ok", "degraded"]
    version: str
    database: dict[str, object]
    redis: dict[str, object] | None
    scheduler: dict[str, object]
    sandbox: dict[str, object] | None = None
