"""Notifications to people (outbox and in-admin inbox), their channel settings, feedback, upkeep.

The outbox is the source of truth for every notice: a row is written in the same transaction as
the event that causes it (a push finishing, a reminder coming due) and a worker delivers it later,
so a crash between the two never loses a notice. `dedupe_key` is unique: planning the same
reminder twice — two workers, or one worker twice — inserts one row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import HASH_LENGTH, EncryptedText
from pushtask.models.base import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")
MEMBER = "t_feedback.member"

NOTIFICATION_TYPES = ("reminder", "result", "preview", "alert")
# pending → sending → sent | inbox (no channel reached the person: the bell shows it) | failed (alerts only)
NOTIFICATION_STATES = ("pending", "sending", "sent", "inbox", "failed")
NOTIFY_CHANNELS = ("wecom", "miniprogram", "inbox")


class Notification(Base):
    """One notice for one person (a user or a reviewer) or for the operations robot."""

    __tablename__ = "t_notifications"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_t_notifications_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_t_notifications_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    type: Mapped[str] = mapped_column(String(16))
    # "reminder:<task>:<fire_at>:u:<user>" — one row per occurrence and person, whoever plans it.
    dedupe_key: Mapped[str] = mapped_column(String(191))
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recipient_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    push_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InboxItem(Base):
    """A notice shown under the admin's bell: those no WeChat channel could deliver."""

    __tablename__ = "t_inbox"
    __table_args__ = (
        Index("ix_t_inbox_user_id_created_at", "user_id", "created_at"),
        Index("ix_t_inbox_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36))
    notification_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(512), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationSettings(Base):
    """How one user is reached: the directory recipient that is them, the channels, muted reminders.

    A user without a row (or without a linked recipient) gets every notice in the inbox.
    """

    __tablename__ = "t_notification_settings"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    # The t_recipients row carrying this user's WeCom userid or mini-program openid.
    recipient_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # Comma-separated, in order of preference, from NOTIFY_CHANNELS.
    channels: Mapped[str] = mapped_column(String(64), default="wecom,miniprogram,inbox")
    mute_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Feedback(Base):
    """One group member's answer to a push (rating and/or text), through a signed feedback link."""

    __tablename__ = "t_feedback"
    __table_args__ = (
        # A member answering the same link twice keeps one row (on the hash: the member id is encrypted).
        UniqueConstraint("token_hash", "member_hash"),
        Index("ix_t_feedback_task_id_created_at", "task_id", "created_at"),
        Index("ix_t_feedback_group_id_created_at", "group_id", "created_at"),
        Index("ix_t_feedback_created_at", "created_at"),
        # The engagement report counts answers per push and group (issue 19).
        Index("ix_t_feedback_push_id_group_id", "push_id", "group_id", "member_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(36))
    group_id: Mapped[str] = mapped_column(String(36))
    push_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The mini program's per-phone member id: personal, so encrypted, and found by its keyed hash.
    member: Mapped[str] = mapped_column(EncryptedText(MEMBER))
    member_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    rating: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    # Members' words are personal data: encrypted at rest.
    content: Mapped[str] = mapped_column(EncryptedText("t_feedback.content"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @validates("member")
    def _hash_member(self, _key: str, value: str) -> str:
        self.member_hash = fieldcrypt.lookup_hash(value, MEMBER)
        return value

    @classmethod
    def member_is(cls, member: str) -> ColumnElement[bool]:
        """A condition matching answers by exactly this member id (under any ring key)."""
        return cls.member_hash.in_(fieldcrypt.lookup_hashes(member, MEMBER))


class PushSummary(Base):
    """A finished push's per-group results, kept when the delivery rows are purged."""

    __tablename__ = "t_push_summaries"

    push_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sent_groups: Mapped[list[str]] = mapped_column(JSON)
    failed_groups: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    uncertain_groups: Mapped[list[str]] = mapped_column(JSON)
    summarized_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Maintenance(Base):
    """When a periodic job (the daily purge) last ran, so only one worker runs it per day."""

    __tablename__ = "t_maintenance"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
