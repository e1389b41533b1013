"""two-phase deliveries: awaiting_confirmation and t_confirmations; per-organisation deadline and reminder delay

A channel whose send a person must still confirm (WeCom customer-group mass send) leaves the
delivery in `awaiting_confirmation` (22 characters: the state column widens to 24) with its
details in `t_confirmations`, a table of its own so the one-phase hot path moves nothing more.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.alter_column(
            "state", existing_type=sa.String(length=16), type_=sa.String(length=24), existing_nullable=False
        )
    # Plain ADD COLUMN (no table copy on SQLite: other tables refer to t_orgs).
    op.add_column("t_orgs", sa.Column("confirm_deadline_s", sa.Integer(), server_default="86400", nullable=False))
    op.add_column("t_orgs", sa.Column("confirm_remind_s", sa.Integer(), server_default="1800", nullable=False))
    op.create_table(
        "t_confirmations",
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("detail_zh", sa.String(length=255), nullable=False),
        sa.Column("detail_en", sa.String(length=255), nullable=False),
        sa.Column("accepted_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("deadline_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("check_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("remind_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("reminders", sa.SmallInteger(), nullable=False),
        sa.Column("last_reminded_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("remind_refused_zh", sa.String(length=255), nullable=True),
        sa.Column("remind_refused_en", sa.String(length=255), nullable=True),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["t_deliveries.id"], name=op.f("fk_t_confirmations_delivery_id_t_deliveries")
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_t_confirmations")),
    )
    with op.batch_alter_table("t_confirmations", schema=None) as batch_op:
        batch_op.create_index("ix_t_confirmations_check_at", ["check_at"], unique=False)
        batch_op.create_index("ix_t_confirmations_remind_at", ["remind_at"], unique=False)
        batch_op.create_index("ix_t_confirmations_push_id", ["push_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("t_confirmations", schema=None) as batch_op:
        batch_op.drop_index("ix_t_confirmations_push_id")
        batch_op.drop_index("ix_t_confirmations_remind_at")
        batch_op.drop_index("ix_t_confirmations_check_at")
    op.drop_table("t_confirmations")
    # Plain DROP COLUMN (SQLite ≥ 3.35 has it): a batch copy of t_orgs would break the tables that refer to it.
    op.execute("ALTER TABLE t_orgs DROP COLUMN confirm_remind_s")
    op.execute("ALTER TABLE t_orgs DROP COLUMN confirm_deadline_s")
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.alter_column(
            "state", existing_type=sa.String(length=24), type_=sa.String(length=16), existing_nullable=False
        )
