"""Tracked links (issue 19): one short code per push, group and link, and every counted click on it.

A row of t_links is written for each group of a push when its deliveries are planned, so the send
path only substitutes the link; `url` is the only place a redirect ever goes. t_link_clicks repeats
the push, group, task and variant of its link so the engagement report groups clicks without a
join, and holds no address: `visitor` is a keyed hash (see pushtask.domain.links.visitor_key).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pushtask.models.base import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")

# What a code stands for: a link (content link or link card, opened through /l/<code>) or a
# mini-program card's page (its path carries ptl=<code>; the mini program reports the open).
LINK_KINDS = ("link", "mini")
# How a visit was counted: a redirect through /l/<code>, or the mini program's POST .../open.
CLICK_KINDS = ("click", "open")


class TrackedLink(Base):
    """The original URL (or mini-program page path) one group of one push received as a short code."""

    __tablename__ = "t_links"
    __table_args__ = (Index("ix_t_links_push_id_group_id", "push_id", "group_id"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(36))
    push_id: Mapped[str] = mapped_column(String(36))
    group_id: Mapped[str] = mapped_column(String(36))
    variant: Mapped[str | None] = mapped_column(String(8), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkClick(Base):
    """One counted visit (bots and link-preview fetchers are not written)."""

    __tablename__ = "t_link_clicks"
    __table_args__ = (
        # The report reads clicks of an organisation (or a task) in order of push and group.
        Index("ix_t_link_clicks_org_push", "org_id", "push_id", "group_id", "visitor"),
        Index("ix_t_link_clicks_task_push", "task_id", "push_id", "group_id", "visitor"),
        Index("ix_t_link_clicks_push_clicked_at", "push_id", "clicked_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(36))
    push_id: Mapped[str] = mapped_column(String(36))
    group_id: Mapped[str] = mapped_column(String(36))
    variant: Mapped[str | None] = mapped_column(String(8), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))
    # Keyed hash of address + user agent with a daily salt, or of the member id the mini program sent.
    visitor: Mapped[str] = mapped_column(String(100))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime())
