"""read back: t_readbacks, when to ask a channel what became of an uncertain delivery (issue 20)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "t_readbacks",
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("attempt_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("check_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("checks", sa.SmallInteger(), nullable=False),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("resolved_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["t_deliveries.id"], name=op.f("fk_t_readbacks_delivery_id_t_deliveries")
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_t_readbacks")),
    )
    with op.batch_alter_table("t_readbacks", schema=None) as batch_op:
        batch_op.create_index("ix_t_readbacks_check_at", ["check_at"], unique=False)
        batch_op.create_index("ix_t_readbacks_push_id", ["push_id"], unique=False)


def downgrade() -> None:
    op.drop_table("t_readbacks")
