"""planner: tasks' work calendar and single-occurrence changes; group tags

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_calendar", sa.String(length=20), server_default="all", nullable=False))
        batch_op.add_column(sa.Column("occurrence_changes", sa.JSON(), nullable=True))
    op.create_table(
        "t_group_tags",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["t_groups.id"], name=op.f("fk_t_group_tags_group_id_t_groups")),
        sa.PrimaryKeyConstraint("group_id", "tag", name=op.f("pk_t_group_tags")),
    )
    with op.batch_alter_table("t_group_tags", schema=None) as batch_op:
        batch_op.create_index("ix_t_group_tags_org_id_tag", ["org_id", "tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("t_group_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_t_group_tags_org_id_tag")
    op.drop_table("t_group_tags")
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_column("occurrence_changes")
        batch_op.drop_column("schedule_calendar")
