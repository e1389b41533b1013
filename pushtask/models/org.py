"""Organisations and their users: who may sign in and what they may do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime, new_id

ROLES = ("admin", "operator", "viewer")


class Organization(Base):
    __tablename__ = "t_orgs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    approval_required: Mapped[bool] = mapped_column(Boolean, default=True)
    # "any": one named reviewer's confirmation suffices; "all": every reviewer of the preview must confirm.
    approval_quorum: Mapped[str] = mapped_column(String(8), default="any", server_default="any")
    # Two-phase channels (a group owner must confirm): how long the engine waits before a delivery
    # becomes "unconfirmed", and after how long it reminds the owner.
    confirm_deadline_s: Mapped[int] = mapped_column(Integer, default=86400, server_default="86400")
    confirm_remind_s: Mapped[int] = mapped_column(Integer, default=1800, server_default="1800")
    # Mass sends a WeCom customer group may receive: "days_in_month" (WeCom's cap), "7_per_week", "1_per_day".
    customer_group_cap: Mapped[str] = mapped_column(String(16), default="days_in_month", server_default="days_in_month")
    # Each group receives its own short link per push and clicks are counted (issue 19); off: the original links.
    link_tracking: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "t_users"
    __table_args__ = (Index("ix_t_users_org_id_name", "org_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    # Sign-in is by WeChat ID alone (PRD §8.2), so it is unique across organisations.
    wechat_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Tokens issued before this instant are refused (password change revokes sessions).
    tokens_valid_after: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RevokedToken(Base):
    """A signed-out token, kept until it would have expired anyway."""

    __tablename__ = "t_revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
