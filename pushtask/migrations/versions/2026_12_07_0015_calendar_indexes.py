"""The calendar's two reads by time: an organisation's pushes in a window, its tasks by kind and time (issue 18)

Without them `GET /api/calendar` scanned every push ever made and every task (bench/README.md,
"The calendar"): the pushes table grows with every occurrence, so that scan only gets slower.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("t_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_t_pushes_org_id_fire_at", ["org_id", "fire_at"], unique=False)
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_t_tasks_org_id_schedule_type_schedule_time", ["org_id", "schedule_type", "schedule_time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_t_tasks_org_id_schedule_type_schedule_time")
    with op.batch_alter_table("t_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_t_pushes_org_id_fire_at")
