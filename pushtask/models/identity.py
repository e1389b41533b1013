"""WeChat identities bound to operators' accounts, so they sign in with `wx.login` alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import HASH_LENGTH, EncryptedText
from pushtask.models.base import Base, UTCDateTime

OPENID = "t_wechat_bindings.openid"


class WeChatBinding(Base):
    """One user's mini-program openid (personal data: encrypted, found by its keyed hash).

    The session_key WeChat answers with is not kept: PushTask decrypts nothing with it.
    """

    __tablename__ = "t_wechat_bindings"
    __table_args__ = (UniqueConstraint("openid_hash"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("t_users.id"), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    appid: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(EncryptedText(OPENID))
    openid_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @validates("openid")
    def _hash_openid(self, _key: str, value: str) -> str:
        self.openid_hash = fieldcrypt.lookup_hash(value, OPENID)
        return value

    @classmethod
    def openid_is(cls, openid: str) -> ColumnElement[bool]:
        """A condition matching the binding of exactly this openid (under any ring key)."""
        return cls.openid_hash.in_(fieldcrypt.lookup_hashes(openid, OPENID))
