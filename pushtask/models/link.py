"""Tracked links (issue 19): one short code per push, group and link, and every counted click on it.

A row of t_links is written for each group of a push when its deliveries are planned, so the send
path only substitutes the link; `url` is the only place a redirect ever goes. t_link_clicks is the log of
counted visits (no address: `visitor` is a keyed hash, see pushtask.domain.links.visitor_key). The report
reads two roll-ups written with each click instead, so it never scans the log: t_link_visitors (one row
per push, group and distinct visitor) and t_link_daily (clicks and first-time visitors per push, group
and local day).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
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
    __table_args__ = (Index("ix_t_link_clicks_push_id_clicked_at", "push_id", "clicked_at"),)

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


class LinkVisitor(Base):
    """A distinct visitor of one group's links of one push (unique clickers; their union with answerers)."""

    __tablename__ = "t_link_visitors"

    push_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visitor: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkDaily(Base):
    """Clicks and first-time visitors of one group's links of one push on one day (the task's zone)."""

    __tablename__ = "t_link_daily"
    __table_args__ = (Index("ix_t_link_daily_org_id_day", "org_id", "day"),)

    push_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(36))
    variant: Mapped[str | None] = mapped_column(String(8), nullable=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    visitors: Mapped[int] = mapped_column(Integer, default=0)
