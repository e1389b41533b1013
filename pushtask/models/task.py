"""Push tasks, their target groups and reviewers, and their change log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime, new_id

STATUSES = ("draft", "scheduled", "running", "completed", "failed", "paused")
PRIORITIES = {"low": 1, "medium": 2, "high": 3}
PREVIEW_STATES = ("none", "pending", "confirmed", "modify_requested", "stale")


class Task(Base):
    __tablename__ = "t_tasks"
    __table_args__ = (
        # The list page: one organisation's live tasks by time.
        Index("ix_t_tasks_org_id_deleted_at_display_time", "org_id", "deleted_at", "display_time"),
        Index("ix_t_tasks_org_id_creator_id", "org_id", "creator_id"),
        # The list's default order (newest first) without sorting every task of the organisation.
        Index("ix_t_tasks_org_id_deleted_at_created_at", "org_id", "deleted_at", "created_at"),
        # The scheduler: what is due next.
        Index("ix_t_tasks_status_next_fire_at", "status", "next_fire_at"),
        # The calendar: an organisation's recurring tasks, and its one-offs in a window of time.
        Index("ix_t_tasks_org_id_schedule_type_schedule_time", "org_id", "schedule_type", "schedule_time"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    name: Mapped[str] = mapped_column(String(200))
    schedule_type: Mapped[str] = mapped_column(String(16))
    schedule_time: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    recurring_interval: Mapped[str | None] = mapped_column(String(16), nullable=True)
    interval: Mapped[int] = mapped_column(SmallInteger, default=1)
    # ISO weekdays as "1,3,5" (weekly rules only).
    weekdays: Mapped[str | None] = mapped_column(String(20), nullable=True)
    month_day: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    recurring_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_image: Mapped[str | None] = mapped_column(String(255), nullable=True)
    content_link: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    content_miniprogram: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    content_version: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(SmallInteger, default=2)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    preview_state: Mapped[str] = mapped_column(String(20), default="none")
    creator_id: Mapped[str] = mapped_column(ForeignKey("t_users.id"))
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # next_fire_at when there is one, else the first scheduled time: what lists filter and sort by.
    display_time: Mapped[datetime] = mapped_column(UTCDateTime())
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How late an occurrence may still be sent when no worker ran at its time; later ones are "missed".
    misfire_grace_seconds: Mapped[int] = mapped_column(Integer, default=600)
    send_late: Mapped[bool] = mapped_column(Boolean, default=False)
    last_push_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Pushes carry a signed feedback link (issue 8): appended to the link or mini-program page path.
    feedback_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Recurring only: "all", "cn_workdays" or "skip_cn_holidays" (pushtask.domain.workcalendar).
    schedule_calendar: Mapped[str] = mapped_column(String(20), default="all", server_default="all")
    # Single occurrences changed by hand: {"skips": [UTC ISO], "moves": [[from, to], …]} (docs/occurrences.md).
    occurrence_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A/B variants (issue 19): [{"key": "A", "content": {text, image, link, miniprogram}}, …] (2–4), else None.
    # The content_* columns then hold variant A's content (what the list, exports and search show).
    variants: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # Groups the operator assigned to a variant by hand: {"A": [group ids], …}; the rest are split.
    variant_groups: Mapped[dict[str, list[str]] | None] = mapped_column(JSON, nullable=True)


class TaskGroup(Base):
    __tablename__ = "t_task_groups"

    task_id: Mapped[str] = mapped_column(ForeignKey("t_tasks.id"), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("t_groups.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class TaskRecipient(Base):
    __tablename__ = "t_task_recipients"

    task_id: Mapped[str] = mapped_column(ForeignKey("t_tasks.id"), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("t_recipients.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class TaskLog(Base):
    """One change to a task: who did what, with each changed field's old and new value."""

    __tablename__ = "t_task_logs"
    __table_args__ = (Index("ix_t_task_logs_task_id_created_at", "task_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(ForeignKey("t_tasks.id"))
    org_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(36))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
