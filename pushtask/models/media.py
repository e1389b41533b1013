"""Which organisation uploaded which image, under what file name.

The bytes are stored once per sha256 (pushtask.services.media); this row is what makes an image
an organisation's own: only its members (or a URL signed for it) can load it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime


class MediaItem(Base):
    __tablename__ = "t_media"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    media_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
