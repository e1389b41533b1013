"""notifications, inbox, notification settings, feedback, push summaries, maintenance; tasks.feedback_enabled

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:05:03.504434
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "t_feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("push_id", sa.String(length=36), nullable=True),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_feedback")),
        sa.UniqueConstraint("token_hash", "member", name=op.f("uq_t_feedback_token_hash_member")),
    )
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_t_feedback_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_t_feedback_group_id_created_at", ["group_id", "created_at"], unique=False)
        batch_op.create_index("ix_t_feedback_task_id_created_at", ["task_id", "created_at"], unique=False)

    op.create_table(
        "t_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("notification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=512), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("read_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_inbox")),
    )
    with op.batch_alter_table("t_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_t_inbox_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_t_inbox_user_id_created_at", ["user_id", "created_at"], unique=False)

    op.create_table(
        "t_maintenance",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_t_maintenance")),
    )
    op.create_table(
        "t_notification_settings",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=True),
        sa.Column("channels", sa.String(length=64), nullable=False),
        sa.Column("mute_reminders", sa.Boolean(), nullable=False),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_t_notification_settings")),
    )
    with op.batch_alter_table("t_notification_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_t_notification_settings_recipient_id"), ["recipient_id"], unique=False)

    op.create_table(
        "t_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=191), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("recipient_id", sa.String(length=36), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("push_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("next_attempt_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("sent_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_t_notifications_dedupe_key")),
    )
    with op.batch_alter_table("t_notifications", schema=None) as batch_op:
        batch_op.create_index("ix_t_notifications_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_t_notifications_state_next_attempt_at", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "t_push_summaries",
        sa.Column("push_id", sa.String(length=36), nullable=False),
        sa.Column("sent_groups", sa.JSON(), nullable=False),
        sa.Column("failed_groups", sa.JSON(), nullable=False),
        sa.Column("uncertain_groups", sa.JSON(), nullable=False),
        sa.Column("summarized_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("push_id", name=op.f("pk_t_push_summaries")),
    )
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feedback_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_column("feedback_enabled")

    op.drop_table("t_push_summaries")
    with op.batch_alter_table("t_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_t_notifications_state_next_attempt_at")
        batch_op.drop_index("ix_t_notifications_created_at")

    op.drop_table("t_notifications")
    with op.batch_alter_table("t_notification_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_t_notification_settings_recipient_id"))

    op.drop_table("t_notification_settings")
    op.drop_table("t_maintenance")
    with op.batch_alter_table("t_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_t_inbox_user_id_created_at")
        batch_op.drop_index("ix_t_inbox_created_at")

    op.drop_table("t_inbox")
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_t_feedback_task_id_created_at")
        batch_op.drop_index("ix_t_feedback_group_id_created_at")
        batch_op.drop_index("ix_t_feedback_created_at")

    op.drop_table("t_feedback")
