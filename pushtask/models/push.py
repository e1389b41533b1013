"""Occurrences of a task (pushes), one delivery per group of each, and worker heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime

# BIGINT on MySQL, INTEGER (the rowid alias that autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")

PUSH_STATUSES = ("running", "completed", "failed", "missed")
# awaiting_confirmation: a two-phase channel accepted the message and a person must still act (see
# t_confirmations); it ends sent | failed | cancelled (task paused, edited or deleted) | unconfirmed
# (the organisation's deadline passed with no answer).
DELIVERY_STATES = (
    "pending",
    "sending",
    "sent",
    "failed",
    "uncertain",
    "awaiting_confirmation",
    "cancelled",
    "unconfirmed",
)
# States after which nothing more happens to a delivery (awaiting_confirmation is not one of them).
FINAL_STATES = ("sent", "failed", "uncertain", "cancelled", "unconfirmed")


class Push(Base):
    """One occurrence of a task: the content as it stood when the occurrence was created."""

    __tablename__ = "t_pushes"
    __table_args__ = (
        # A second scheduler creating the same occurrence hits this key: a no-op, never a second push.
        UniqueConstraint("task_id", "fire_at"),
        Index("ix_t_pushes_status_created_at", "status", "created_at"),
        # The calendar: an organisation's pushes in a window of time.
        Index("ix_t_pushes_org_id_fire_at", "org_id", "fire_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("t_tasks.id"))
    org_id: Mapped[str] = mapped_column(String(36))
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_version: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    uncertain_count: Mapped[int] = mapped_column(Integer, default=0)
    # Occurrences skipped because no worker ran in time (recorded on the push that noticed them).
    missed_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Delivery(Base):
    """One group of one push: pending → sending → sent | failed | uncertain | awaiting_confirmation.

    A two-phase channel's delivery waits in awaiting_confirmation (its details in Confirmation)
    until it ends sent, failed, cancelled or unconfirmed.
    """

    __tablename__ = "t_deliveries"
    __table_args__ = (
        UniqueConstraint("push_id", "group_id"),
        # The claim reads this index in order — most urgent first, then fire time, then id — and
        # filters on next_attempt_at inside it, so a burst of 100,000 rows is never sorted. The only
        # state-led index (each state change moves it): the idle sleep's earliest retry
        # (deliveries.earliest_retry) and recovery (deliveries.recover_expired) read their rows through
        # it too, a range over the pending or the sending rows (migration 0017).
        Index("ix_t_deliveries_claim", "state", "claim_rank", "fire_at", "id", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    push_id: Mapped[str] = mapped_column(ForeignKey("t_pushes.id"))
    group_id: Mapped[str] = mapped_column(ForeignKey("t_groups.id"))
    org_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(24))
    # 1 = high, 2 = medium, 3 = low: ascending, so one index serves the claim's whole ORDER BY.
    claim_rank: Mapped[int] = mapped_column(SmallInteger)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    errcode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    msgids: Mapped[str | None] = mapped_column(String(512), nullable=True)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The latest attempt, and whether its request was fully sent (None: unknown, e.g. the worker died).
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    request_sent: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The A/B variant key ("A".."D") this group received; None for a task with one content (issue 19).
    variant: Mapped[str | None] = mapped_column(String(8), nullable=True)


class WorkerBeat(Base):
    """A worker's liveness: health reports the scheduler down when no beat is recent."""

    __tablename__ = "t_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)


class Confirmation(Base):
    """A delivery a two-phase channel accepted and a person must still confirm (WeCom customer group).

    Kept beside t_deliveries rather than in it, so the one-phase hot path (claim, record) moves no
    extra column or index. `check_at` is when the engine next asks the channel (NULL once the
    delivery has ended); `remind_at` when it next reminds (NULL when no reminder is due).
    """

    __tablename__ = "t_confirmations"
    __table_args__ = (
        Index("ix_t_confirmations_check_at", "check_at"),
        Index("ix_t_confirmations_remind_at", "remind_at"),
        Index("ix_t_confirmations_push_id", "push_id"),
    )

    delivery_id: Mapped[int] = mapped_column(BigId, ForeignKey("t_deliveries.id"), primary_key=True)
    push_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(32))
    external_ref: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(64), default="")
    detail_zh: Mapped[str] = mapped_column(String(255), default="")
    detail_en: Mapped[str] = mapped_column(String(255), default="")
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminders: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The channel's answer to the last reminder request when it refused (its own limits), for people.
    remind_refused_zh: Mapped[str | None] = mapped_column(String(255), nullable=True)
    remind_refused_en: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReadBackCheck(Base):
    """An uncertain delivery whose channel can read back (`channels.base.ReadBack`): when to ask next.

    Beside t_deliveries like Confirmation, so the send path moves nothing more. `attempt_at` is the
    delivery's `last_attempt_at` it was made for: a delivery resent and uncertain again is asked
    afresh. `check_at` is NULL once resolved or when the cap was reached (a person decides).
    """

    __tablename__ = "t_readbacks"
    __table_args__ = (
        Index("ix_t_readbacks_check_at", "check_at"),
        Index("ix_t_readbacks_push_id", "push_id"),
    )

    delivery_id: Mapped[int] = mapped_column(BigId, ForeignKey("t_deliveries.id"), primary_key=True)
    push_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(32))
    attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checks: Mapped[int] = mapped_column(SmallInteger, default=0)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # sent | failed | awaiting_confirmation once the channel answered; gave_up when the cap was reached.
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
