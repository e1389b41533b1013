"""customer groups: the owner who confirms a mass send, groups gone from WeCom, the monthly cap

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-07 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("t_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_userid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("owner_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("removed_at", pushtask.models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("t_orgs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_group_cap", sa.String(length=16), nullable=False, server_default="days_in_month")
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35, MariaDB): a batch table rebuild would trip the foreign keys
    # that point at t_orgs and t_groups.
    op.execute("ALTER TABLE t_orgs DROP COLUMN customer_group_cap")
    for column in ("removed_at", "owner_name", "owner_userid"):
        op.execute(f"ALTER TABLE t_groups DROP COLUMN {column}")
