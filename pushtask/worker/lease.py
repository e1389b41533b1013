"""The one claim: take due rows of an outbox table for this worker, under a lease.

Every row the engine sends — a group's delivery, a notice to a person, an alert, a two-phase
delivery's check — is claimed here: pick the due ids (most urgent first, `FOR UPDATE SKIP LOCKED`
on MariaDB/MySQL so two workers never wait on each other), then one conditional UPDATE that
re-checks the row is still free and stamps it with this claim's lease token. Outcomes are later
written only `WHERE lease_token = <ours>`, so a zombie whose lease was taken over changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from pushtask.channels.base import SendResult
from pushtask.domain.retry import retry_delay, should_retry


def skip_locked(session: Session) -> bool:
    """Tell whether the backend supports FOR UPDATE SKIP LOCKED (MySQL 8, MariaDB ≥ 10.6)."""
    return session.get_bind().dialect.name in {"mysql", "mariadb"}


def take(
    session: Session,
    due: Select[Any],
    entity: Any,  # a mapped class or its Table (the hot path's Core statement)
    key: InstrumentedAttribute[Any],
    still_free: ColumnElement[bool],
    values: Mapping[str, Any],
) -> list[Row[Any]]:
    """Claim the rows `due` selects (primary key first, in order); return those rows as they were.

    `still_free` is re-checked under the lock (a row another worker just took is left alone);
    `values` must set the row's lease token (and whatever marks it taken).
    """
    if skip_locked(session):
        due = due.with_for_update(skip_locked=True)
    # Core on the session's connection: neither statement needs the ORM (no objects, no autoflush).
    conn = session.connection()
    rows = list(conn.execute(due).all())
    if not rows:
        return []
    ids = [row[0] for row in rows]
    conn.execute(update(entity).where(key.in_(ids), still_free).values(**values))
    return rows


@dataclass(frozen=True)
class Step:
    """What follows a failed send, for any row the engine sends (a group's delivery or a notice)."""

    state: str  # "pending" (try again after delay_s) | "failed" | "uncertain" (may have arrived)
    delay_s: float | None = None
    counts_attempt: bool = True  # waiting out a rate limit is not a failed attempt: nothing was sent


def after_failure(attempts: int, result: SendResult, draw: float) -> Step:
    """Retry, give up, or call it uncertain — the same rules for every kind of row (`domain/retry.py`)."""
    if result.retry_after_s is not None and not result.permanent and not result.may_duplicate:
        return Step("pending", retry_delay(1, draw, result.retry_after_s), counts_attempt=False)
    if should_retry(attempts, permanent=result.permanent, may_duplicate=result.may_duplicate):
        return Step("pending", retry_delay(attempts, draw))
    return Step("uncertain" if result.may_duplicate else "failed")
