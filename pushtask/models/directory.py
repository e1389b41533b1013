"""The organisation's directory: target groups and the people who review and get notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import HASH_LENGTH, EncryptedText
from pushtask.models.base import Base, UTCDateTime, new_id

GROUP_CHANNELS = ("wecom_appchat", "wecom_robot", "bot_bridge", "wecom_customer_group")
RECIPIENT_CHANNELS = ("wecom", "miniprogram")


class Group(Base):
    """A WeChat/WeCom group messages are pushed to."""

    __tablename__ = "t_groups"
    __table_args__ = (Index("ix_t_groups_org_id_name", "org_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    # chatid / robot key / room id: a credential for robots, so it is encrypted at rest and never returned.
    channel_ref: Mapped[str] = mapped_column(EncryptedText("t_groups.channel_ref"))
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # WeCom customer groups: the owner (WeCom userid, display name) who confirms each mass send.
    owner_userid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # Set by a directory sync when the group is gone from WeCom; the group stays for history.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


WECHAT_ID = "t_recipients.wechat_id"
CHANNEL_USER_ID = "t_recipients.channel_user_id"


class Recipient(Base):
    """A person who receives previews and notices (reviewer, creator's contact).

    Their WeChat ID and WeCom userid / openid are personal data: encrypted at rest, and found
    through keyed-hash columns kept in step by the validators below (see fieldcrypt).
    """

    __tablename__ = "t_recipients"
    __table_args__ = (
        Index("ix_t_recipients_org_id_name", "org_id", "name"),
        Index("ix_t_recipients_org_id_wechat_id_hash", "org_id", "wechat_id_hash"),
        Index("ix_t_recipients_channel_user_id_hash", "channel_user_id_hash"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    name: Mapped[str] = mapped_column(String(50))
    wechat_id: Mapped[str] = mapped_column(EncryptedText(WECHAT_ID))
    wechat_id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    channel: Mapped[str] = mapped_column(String(32))
    # WeCom userid or mini-program openid.
    channel_user_id: Mapped[str] = mapped_column(EncryptedText(CHANNEL_USER_ID))
    channel_user_id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @validates("wechat_id")
    def _hash_wechat_id(self, _key: str, value: str) -> str:
        self.wechat_id_hash = fieldcrypt.lookup_hash(value, WECHAT_ID)
        return value

    @validates("channel_user_id")
    def _hash_channel_user_id(self, _key: str, value: str) -> str:
        self.channel_user_id_hash = fieldcrypt.lookup_hash(value, CHANNEL_USER_ID)
        return value

    @classmethod
    def wechat_id_is(cls, wechat_id: str) -> ColumnElement[bool]:
        """A condition matching recipients with exactly this WeChat ID (under any ring key)."""
        return cls.wechat_id_hash.in_(fieldcrypt.lookup_hashes(wechat_id, WECHAT_ID))

    @classmethod
    def channel_user_id_is(cls, channel_user_id: str) -> ColumnElement[bool]:
        """A condition matching recipients with exactly this WeCom userid / openid (under any ring key)."""
        return cls.channel_user_id_hash.in_(fieldcrypt.lookup_hashes(channel_user_id, CHANNEL_USER_ID))
