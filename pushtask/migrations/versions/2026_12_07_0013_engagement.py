"""engagement: tracked links per push and group, their counted clicks and roll-ups, the organisation's switch

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "t_links",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("variant", sa.String(length=8), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_t_links")),
    )
    op.create_index("ix_t_links_push_id_group_id", "t_links", ["push_id", "group_id"], unique=False)
    op.create_table(
        "t_link_clicks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("variant", sa.String(length=8), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("visitor", sa.String(length=100), nullable=False),
        sa.Column("clicked_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_link_clicks")),
    )
    op.create_index("ix_t_link_clicks_push_id_clicked_at", "t_link_clicks", ["push_id", "clicked_at"], unique=False)
    op.create_table(
        "t_link_visitors",
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("visitor", sa.String(length=100), nullable=False),
        sa.Column("first_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("push_id", "group_id", "visitor", name=op.f("pk_t_link_visitors")),
    )
    op.create_table(
        "t_link_daily",
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("variant", sa.String(length=8), nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("push_id", "group_id", "day", name=op.f("pk_t_link_daily")),
    )
    op.create_index("ix_t_link_daily_org_id_day", "t_link_daily", ["org_id", "day"], unique=False)
    op.create_index(
        "ix_t_feedback_push_id_group_id", "t_feedback", ["push_id", "group_id", "member_hash"], unique=False
    )
    with op.batch_alter_table("t_orgs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_tracking", sa.Boolean(), nullable=False, server_default="1"))


def downgrade() -> None:
    op.execute("ALTER TABLE t_orgs DROP COLUMN link_tracking")
    op.drop_index("ix_t_feedback_push_id_group_id", table_name="t_feedback")
    op.drop_table("t_link_daily")
    op.drop_table("t_link_visitors")
    op.drop_table("t_link_clicks")
    op.drop_table("t_links")
