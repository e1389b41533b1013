"""The organisation's directory: target groups and the people who review and get notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import HASH_LENGTH, EncryptedText
from pushtask.models.base import Base, UTCDateTime, new_id

GROUP_CHANNELS = ("wecom_appchat", "wecom_robot", "bot_bridge", "wecom_customer_group")
RECIPIENT_CHANNELS = ("wecom", "miniprogram")


CHANNEL_REF = "t_groups.channel_ref"


class Group(Base):
    """A WeChat/WeCom group messages are pushed to.

    One live group per organisation, channel and reference: `live` is True while the row is not
    deleted and NULL after (a unique index ignores NULLs), so a deleted group may be added again.
    """

    __tablename__ = "t_groups"
    __table_args__ = (
        Index("ix_t_groups_org_id_name", "org_id", "name"),
        Index("uq_t_groups_live_channel_ref", "org_id", "channel", "channel_ref_hash", "live", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("t_orgs.id"))
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    # chatid / robot key / room id: a credential for robots, so it is encrypted at rest and never returned.
    channel_ref: Mapped[str] = mapped_column(EncryptedText(CHANNEL_REF))
    # Set on every write; nullable only so the migration could add it without rebuilding the table on SQLite.
    channel_ref_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), nullable=True)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # WeCom customer groups: the owner (WeCom userid, display name) who confirms each mass send.
    owner_userid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # Set by a directory sync when the group is gone from WeCom; the group stays for history.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    live: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=True)

    @validates("channel_ref")
    def _hash_channel_ref(self, _key: str, value: str) -> str:
        self.channel_ref_hash = fieldcrypt.lookup_hash(value, CHANNEL_REF)
        return value

    @validates("deleted_at")
    def _mark_live(self, _key: str, value: datetime | None) -> datetime | None:
        self.live = None if value is not None else True
        return value

    @classmethod
    def channel_ref_is(cls, channel_ref: str) -> ColumnElement[bool]:
        """A condition matching groups with exactly this reference (under any ring key)."""
        return cls.channel_ref_hash.in_(fieldcrypt.lookup_hashes(channel_ref, CHANNEL_REF))


class GroupTag(Base):
    """A tag on a group ("初一年级"): pick every group of a set at once (docs/groups.md)."""

    __tablename__ = "t_group_tags"
    __table_args__ = (Index("ix_t_group_tags_org_id_tag", "org_id", "tag"),)

    group_id: Mapped[str] = mapped_column(ForeignKey("t_groups.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))


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
        Index(
            "uq_t_recipients_live_identity",
            "org_id",
            "wechat_id_hash",
            "channel",
            "channel_user_id_hash",
            "live",
            unique=True,
        ),
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
    # True while not deleted, NULL after: one live recipient per WeChat ID, channel and userid/openid.
    live: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=True)

    @validates("deleted_at")
    def _mark_live(self, _key: str, value: datetime | None) -> datetime | None:
        self.live = None if value is not None else True
        return value

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
