"""The organisation's directory: target groups and the people who review and get notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime, new_id

GROUP_CHANNELS = ("wecom_appchat", "wecom_robot", "bot_bridge")
RECIPIENT_CHANNELS = ("wecom", "miniprogram")


class Group(Base):
    """A WeChat/WeCom group messages are pushed to."""

    __tablename__ = "t_groups"
    __table_args__ = (Index("ix_t_groups_org_id_name", "org_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    # chatid / robot key / room id: a credential for robots, so it is never returned by the API.
    channel_ref: Mapped[str] = mapped_column(Text)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Recipient(Base):
    """A person who receives previews and notices (reviewer, creator's contact)."""

    __tablename__ = "t_recipients"
    __table_args__ = (Index("ix_t_recipients_org_id_name", "org_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    name: Mapped[str] = mapped_column(String(50))
    wechat_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    # WeCom userid or mini-program openid.
    channel_user_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
