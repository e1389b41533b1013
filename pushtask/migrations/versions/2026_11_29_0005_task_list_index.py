"""task list index: newest-first listing without a full sort

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 13:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_t_tasks_org_id_deleted_at_created_at", ["org_id", "deleted_at", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_t_tasks_org_id_deleted_at_created_at")
