"""Previews sent to reviewers, their decisions, callback receipts and subscription quotas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime, new_id

PREVIEW_STATUSES = ("pending", "confirmed", "modify_requested")
DECISION_PATHS = ("api", "card", "text")


class Preview(Base):
    """One preview of one content version of a task, sent to its reviewers."""

    __tablename__ = "t_previews"
    __table_args__ = (Index("ix_t_previews_task_id_created_at", "task_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(ForeignKey("t_tasks.id"))
    # The version this preview showed: deciding it after the content changed is refused.
    content_version: Mapped[int] = mapped_column(Integer)
    # Exactly what the push would send (the planner's content snapshot of that version).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The A/B variant this preview shows ("A".."D"); None for a task with one content (issue 19).
    variant: Mapped[str | None] = mapped_column(String(8), nullable=True)


class PreviewRecipient(Base):
    """One reviewer of one preview: how it was delivered and what they decided."""

    __tablename__ = "t_preview_recipients"

    preview_id: Mapped[str] = mapped_column(ForeignKey("t_previews.id"), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("t_recipients.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(32))
    # sent | failed | no_quota
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The WeCom card's task_id (unique per card) and the response_code that updates it.
    card_task_id: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    response_code: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PreviewDecision(Base):
    """The audit of one confirm/modify: who, when, through which path, with what comment."""

    __tablename__ = "t_preview_decisions"
    __table_args__ = (Index("ix_t_preview_decisions_task_id_created_at", "task_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    preview_id: Mapped[str] = mapped_column(ForeignKey("t_previews.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    org_id: Mapped[str] = mapped_column(String(36))
    response: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallbackReceipt(Base):
    """A WeChat callback already handled: WeChat retries, the primary key makes a retry a no-op."""

    __tablename__ = "t_callback_receipts"

    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Subscription(Base):
    """How many one-time subscribe messages a mini-program reviewer has granted for a template."""

    __tablename__ = "t_subscriptions"

    recipient_id: Mapped[str] = mapped_column(ForeignKey("t_recipients.id"), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
