"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 11:44:20.340261
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "t_orgs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_orgs")),
    )
    op.create_table(
        "t_revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_t_revoked_tokens")),
    )
    with op.batch_alter_table("t_revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_t_revoked_tokens_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "t_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("channel_ref", sa.Text(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["t_orgs.id"], name=op.f("fk_t_groups_org_id_t_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_groups")),
    )
    with op.batch_alter_table("t_groups", schema=None) as batch_op:
        batch_op.create_index("ix_t_groups_org_id_name", ["org_id", "name"], unique=False)

    op.create_table(
        "t_recipients",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("wechat_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("channel_user_id", sa.Text(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["t_orgs.id"], name=op.f("fk_t_recipients_org_id_t_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_recipients")),
    )
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_t_recipients_org_id_name", ["org_id", "name"], unique=False)

    op.create_table(
        "t_templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["t_orgs.id"], name=op.f("fk_t_templates_org_id_t_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_templates")),
    )
    with op.batch_alter_table("t_templates", schema=None) as batch_op:
        batch_op.create_index("ix_t_templates_org_id_name", ["org_id", "name"], unique=False)

    op.create_table(
        "t_users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("wechat_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("tokens_valid_after", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["t_orgs.id"], name=op.f("fk_t_users_org_id_t_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_users")),
        sa.UniqueConstraint("wechat_id", name=op.f("uq_t_users_wechat_id")),
    )
    with op.batch_alter_table("t_users", schema=None) as batch_op:
        batch_op.create_index("ix_t_users_org_id_name", ["org_id", "name"], unique=False)

    op.create_table(
        "t_tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("schedule_type", sa.String(length=16), nullable=False),
        sa.Column("schedule_time", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("recurring_interval", sa.String(length=16), nullable=True),
        sa.Column("interval", sa.SmallInteger(), nullable=False),
        sa.Column("weekdays", sa.String(length=20), nullable=True),
        sa.Column("month_day", sa.SmallInteger(), nullable=True),
        sa.Column("recurring_end", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("end_after", sa.Integer(), nullable=True),
        sa.Column("content_text", sa.Text(), nullable=True),
        sa.Column("content_image", sa.String(length=255), nullable=True),
        sa.Column("content_link", sa.String(length=2048), nullable=True),
        sa.Column("content_miniprogram", sa.JSON(), nullable=True),
        sa.Column("content_version", sa.Integer(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("preview_state", sa.String(length=20), nullable=False),
        sa.Column("creator_id", sa.String(length=36), nullable=False),
        sa.Column("next_fire_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("display_time", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("paused_until", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", pushtask.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["creator_id"], ["t_users.id"], name=op.f("fk_t_tasks_creator_id_t_users")),
        sa.ForeignKeyConstraint(["org_id"], ["t_orgs.id"], name=op.f("fk_t_tasks_org_id_t_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_tasks")),
    )
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_t_tasks_org_id_creator_id", ["org_id", "creator_id"], unique=False)
        batch_op.create_index(
            "ix_t_tasks_org_id_deleted_at_display_time",
            ["org_id", "deleted_at", "display_time"],
            unique=False,
        )
        batch_op.create_index("ix_t_tasks_status_next_fire_at", ["status", "next_fire_at"], unique=False)

    op.create_table(
        "t_task_groups",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["t_groups.id"],
            name=op.f("fk_t_task_groups_group_id_t_groups"),
        ),
        sa.ForeignKeyConstraint(["task_id"], ["t_tasks.id"], name=op.f("fk_t_task_groups_task_id_t_tasks")),
        sa.PrimaryKeyConstraint("task_id", "group_id", name=op.f("pk_t_task_groups")),
    )
    with op.batch_alter_table("t_task_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_t_task_groups_group_id"), ["group_id"], unique=False)

    op.create_table(
        "t_task_logs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["t_tasks.id"], name=op.f("fk_t_task_logs_task_id_t_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_task_logs")),
    )
    with op.batch_alter_table("t_task_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_t_task_logs_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_t_task_logs_task_id_created_at", ["task_id", "created_at"], unique=False)

    op.create_table(
        "t_task_recipients",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["t_recipients.id"],
            name=op.f("fk_t_task_recipients_recipient_id_t_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["t_tasks.id"],
            name=op.f("fk_t_task_recipients_task_id_t_tasks"),
        ),
        sa.PrimaryKeyConstraint("task_id", "recipient_id", name=op.f("pk_t_task_recipients")),
    )
    with op.batch_alter_table("t_task_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_t_task_recipients_recipient_id"),
            ["recipient_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("t_task_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_t_task_recipients_recipient_id"))

    op.drop_table("t_task_recipients")
    with op.batch_alter_table("t_task_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_t_task_logs_task_id_created_at")
        batch_op.drop_index(batch_op.f("ix_t_task_logs_created_at"))

    op.drop_table("t_task_logs")
    with op.batch_alter_table("t_task_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_t_task_groups_group_id"))

    op.drop_table("t_task_groups")
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_t_tasks_status_next_fire_at")
        batch_op.drop_index("ix_t_tasks_org_id_deleted_at_display_time")
        batch_op.drop_index("ix_t_tasks_org_id_creator_id")

    op.drop_table("t_tasks")
    with op.batch_alter_table("t_users", schema=None) as batch_op:
        batch_op.drop_index("ix_t_users_org_id_name")

    op.drop_table("t_users")
    with op.batch_alter_table("t_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_t_templates_org_id_name")

    op.drop_table("t_templates")
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_t_recipients_org_id_name")

    op.drop_table("t_recipients")
    with op.batch_alter_table("t_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_t_groups_org_id_name")

    op.drop_table("t_groups")
    with op.batch_alter_table("t_revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_t_revoked_tokens_expires_at"))

    op.drop_table("t_revoked_tokens")
    op.drop_table("t_orgs")
