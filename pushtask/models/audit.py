"""The audit trail of actions on personal data (exports and erasures on request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime
from pushtask.models.notification import BigId


class AuditEntry(Base):
    """One export or erasure: who, when, what kind of identifier and how many rows.

    Never the identifier itself — the entry must outlive the data it records the erasure of.
    """

    __tablename__ = "t_audit_log"
    __table_args__ = (Index("ix_t_audit_log_org_id_created_at", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(36))
    # The admin who asked (None from the command line, which has no signed-in user).
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    via: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
