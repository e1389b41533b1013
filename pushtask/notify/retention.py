"""Purge what is older than the retention period, in small batches that never lock a table for long.

Each batch selects up to BATCH primary keys through a `created_at` index and deletes exactly those
rows in its own short transaction, so API requests and the scheduler interleave with the purge.
A finished push's per-group results are summarised into `t_push_summaries` before its delivery
rows go, so the history keeps its totals and the failed groups' reasons.

The purge runs once a day: a worker's housekeeping calls `run_daily`, which works through at
most a few batches per call until nothing old is left, then records the day in `t_maintenance`.
Two workers purging at once only delete the same rows twice (the second delete finds none).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from pushtask.db import unit_of_work
from pushtask.models import (
    CallbackReceipt,
    Confirmation,
    Delivery,
    Feedback,
    Group,
    InboxItem,
    LinkClick,
    Maintenance,
    Notification,
    Push,
    PushSummary,
    ReadBackCheck,
    TaskLog,
)

log = logging.getLogger("pushtask.retention")

BATCH = 1000
PUSH_BATCH = 100
JOB = "purge"
# A callback receipt only matters while WeChat may retry the callback, and a retry older than the
# freshness window (PUSHTASK_CALLBACK_MAX_AGE_SECONDS, at most an hour) is refused anyway.
RECEIPT_KEEP = timedelta(days=1)


def _old_ids(
    session: Session,
    id_col: InstrumentedAttribute[Any],
    created: InstrumentedAttribute[Any],
    cutoff: datetime,
    extra: Any = None,
    in_id_order: bool = False,
) -> list[Any]:
    query = select(id_col).where(created < cutoff)
    if extra is not None:
        query = query.where(extra)
    if in_id_order:
        query = query.order_by(id_col)
    return list(session.scalars(query.limit(BATCH)))


def _purge_table(
    sessions: sessionmaker[Session],
    model: Any,
    cutoff: datetime,
    extra: Any = None,
    *,
    created: InstrumentedAttribute[Any] | None = None,
    in_id_order: bool = False,
) -> int:
    """One batch of `model`'s rows older than `cutoff` by `created` (default: its `created_at`).

    `in_id_order`: for a table whose ids rise with time and whose time column has no index (the click
    log): the oldest come first in primary-key order, so a batch stops after BATCH rows.
    """
    with unit_of_work(sessions) as session:
        column = created if created is not None else model.created_at
        ids = _old_ids(session, model.id, column, cutoff, extra, in_id_order)
        if ids:
            session.execute(delete(model).where(model.id.in_(ids)))
    return len(ids)


def summarize_push(session: Session, push: Push, now: datetime) -> None:
    """Keep a finished push's per-group results (sent, failed with reasons, uncertain)."""
    rows = session.execute(
        select(Delivery.group_id, Delivery.state, Delivery.error_zh, Delivery.error_en, Group.name)
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.push_id == push.id)
    ).all()
    session.add(
        PushSummary(
            push_id=push.id,
            sent_groups=[g for g, state, *_ in rows if state == "sent"],
            # Cancelled and unconfirmed two-phase groups keep their own state and reason here.
            failed_groups=[
                {"groupId": g, "name": name, "error": zh or "", "errorEn": en or ""}
                | ({} if state == "failed" else {"state": state})
                for g, state, zh, en, name in rows
                if state in ("failed", "cancelled", "unconfirmed")
            ],
            uncertain_groups=[g for g, state, *_ in rows if state == "uncertain"],
            summarized_at=now,
        )
    )


def _purge_receipts(sessions: sessionmaker[Session], cutoff: datetime) -> int:
    with unit_of_work(sessions) as session:
        keys = list(
            session.scalars(select(CallbackReceipt.key).where(CallbackReceipt.received_at < cutoff).limit(BATCH))
        )
        if keys:
            session.execute(delete(CallbackReceipt).where(CallbackReceipt.key.in_(keys)))
    return len(keys)


def _purge_deliveries(sessions: sessionmaker[Session], cutoff: datetime, now: datetime) -> int:
    with unit_of_work(sessions) as session:
        pushes = list(
            session.scalars(
                select(Push)
                .where(
                    Push.status.in_(("completed", "failed", "missed")),
                    Push.created_at < cutoff,
                    ~exists().where(PushSummary.push_id == Push.id),
                )
                .limit(PUSH_BATCH)
            )
        )
        for push in pushes:
            summarize_push(session, push, now)
        if pushes:
            ids = [p.id for p in pushes]
            session.execute(delete(Confirmation).where(Confirmation.push_id.in_(ids)))
            session.execute(delete(ReadBackCheck).where(ReadBackCheck.push_id.in_(ids)))
            session.execute(delete(Delivery).where(Delivery.push_id.in_(ids)))
    return len(pushes)


def purge_step(
    sessions: sessionmaker[Session],
    now: datetime,
    days: int,
    *,
    max_batches: int = 10,
    budget_s: float = 0.5,
    timer: Callable[[], float] = time.monotonic,
) -> tuple[dict[str, int], bool]:
    """Delete up to `max_batches` batches of old rows; return the counts and whether all is done."""
    cutoff = now - timedelta(days=days)
    jobs: list[tuple[str, Callable[[], int]]] = [
        ("pushes_summarized", lambda: _purge_deliveries(sessions, cutoff, now)),
        ("task_logs", lambda: _purge_table(sessions, TaskLog, cutoff)),
        ("notifications", lambda: _purge_table(sessions, Notification, cutoff, Notification.state != "sending")),
        ("inbox", lambda: _purge_table(sessions, InboxItem, cutoff)),
        ("feedback", lambda: _purge_table(sessions, Feedback, cutoff)),
        # The raw click log (a visitor hash per visit); the engagement report reads the daily
        # roll-ups and the distinct visitors, which stay.
        (
            "link_clicks",
            lambda: _purge_table(sessions, LinkClick, cutoff, created=LinkClick.clicked_at, in_id_order=True),
        ),
        ("callback_receipts", lambda: _purge_receipts(sessions, now - RECEIPT_KEEP)),
    ]
    counts = {name: 0 for name, _ in jobs}
    started = timer()
    batches = 0
    for name, job in jobs:
        while True:
            if batches >= max_batches or timer() - started > budget_s:
                return counts, False
            batches += 1
            done = job()
            counts[name] += done
            if done < (PUSH_BATCH if name == "pushes_summarized" else BATCH):
                break
    return counts, True


def run_daily(sessions: sessionmaker[Session], now: datetime, days: int) -> dict[str, int] | None:
    """Purge a few batches if today's purge has not finished; None when it already has."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with unit_of_work(sessions) as session:
        last = session.scalar(select(Maintenance.last_run_at).where(Maintenance.name == JOB))
        if last is not None and last >= day_start:
            return None
        if last is None:
            try:
                with session.begin_nested():
                    session.add(Maintenance(name=JOB, last_run_at=datetime(1970, 1, 1, tzinfo=UTC)))
                    session.flush()
            except IntegrityError:
                pass  # another worker created it
    counts, finished = purge_step(sessions, now, days)
    if any(counts.values()):
        log.info("retention purge", extra={"purged": counts, "retention_days": days})
    if finished:
        with unit_of_work(sessions) as session:
            row = session.get(Maintenance, JOB)
            if row is not None:
                row.last_run_at = now
        log.info("retention purge finished for the day", extra={"retention_days": days})
    return counts
