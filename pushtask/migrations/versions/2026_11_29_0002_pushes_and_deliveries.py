"""pushes and deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:55:40.234401
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "t_workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_tick_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_workers")),
    )
    with op.batch_alter_table("t_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_t_workers_last_tick_at"), ["last_tick_at"], unique=False)

    op.create_table(
        "t_pushes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("fire_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_version", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("uncertain_count", sa.Integer(), nullable=False),
        sa.Column("missed_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("first_sent_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("finished_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["t_tasks.id"], name=op.f("fk_t_pushes_task_id_t_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_pushes")),
        sa.UniqueConstraint("task_id", "fire_at", name=op.f("uq_t_pushes_task_id_fire_at")),
    )
    with op.batch_alter_table("t_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_t_pushes_status_created_at", ["status", "created_at"], unique=False)

    op.create_table(
        "t_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claim_rank", sa.SmallInteger(), nullable=False),
        sa.Column("fire_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("error_zh", sa.Text(), nullable=True),
        sa.Column("error_en", sa.Text(), nullable=True),
        sa.Column("msgids", sa.String(length=512), nullable=True),
        sa.Column("first_attempt_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("sent_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["t_groups.id"], name=op.f("fk_t_deliveries_group_id_t_groups")),
        sa.ForeignKeyConstraint(["push_id"], ["t_pushes.id"], name=op.f("fk_t_deliveries_push_id_t_pushes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_deliveries")),
        sa.UniqueConstraint("push_id", "group_id", name=op.f("uq_t_deliveries_push_id_group_id")),
    )
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_t_deliveries_claim", ["state", "claim_rank", "fire_at", "id", "next_attempt_at"], unique=False
        )
        batch_op.create_index("ix_t_deliveries_state_lease_expires_at", ["state", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_t_deliveries_state_next_attempt_at", ["state", "next_attempt_at"], unique=False)

    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("misfire_grace_seconds", sa.Integer(), nullable=False, server_default="600"))
        batch_op.add_column(sa.Column("send_late", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("last_push_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_column("last_push_id")
        batch_op.drop_column("send_late")
        batch_op.drop_column("misfire_grace_seconds")

    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_t_deliveries_state_lease_expires_at")
        batch_op.drop_index("ix_t_deliveries_state_next_attempt_at")
        batch_op.drop_index("ix_t_deliveries_claim")

    op.drop_table("t_deliveries")
    with op.batch_alter_table("t_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_t_pushes_status_created_at")

    op.drop_table("t_pushes")
    with op.batch_alter_table("t_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_t_workers_last_tick_at"))

    op.drop_table("t_workers")
