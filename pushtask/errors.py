"""Errors the services raise and the API turns into HTTP answers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its path (e.g. ``schedule.time``), a message code and its parameters."""

    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class ServiceError(Exception):
    """Base of the errors a use case reports to its caller."""


class InvalidInput(ServiceError):
    """The request breaks validation rules; answered as 400 with field-level messages."""

    def __init__(self, problems: list[FieldProblem], error: str = "Invalid input") -> None:
        super().__init__(error)
        self.problems = problems
        self.error = error


class NotFound(ServiceError):
    """The object does not exist for this caller (other organisations' objects included)."""

    def __init__(self, error: str = "Not found", code: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        # A message code (pushtask/i18n.py) answered as `reason` when the bare `error` would not say enough.
        self.code = code


class Conflict(ServiceError):
    """The action is not allowed in the object's current state; answered as 409 with a reason."""

    def __init__(self, code: str, error: str = "Conflict", **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.error = error
        self.params = params


class Forbidden(ServiceError):
    """The caller's role does not allow the action."""


class RateLimited(ServiceError):
    """Too many of these lately; answered as 429 with Retry-After (whole seconds)."""

    def __init__(self, retry_after_s: float, error: str = "Rate limit exceeded") -> None:
        super().__init__(error)
        self.error = error
        self.retry_after_s = retry_after_s
