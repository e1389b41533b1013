"""A/B variants: a task's variants and hand-assigned groups, and which variant a preview shows (issue 19)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: every existing task keeps its one content, every existing preview shows it.
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variants", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("variant_groups", sa.JSON(), nullable=True))
    with op.batch_alter_table("t_previews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("t_previews", schema=None) as batch_op:
        batch_op.drop_column("variant")
    with op.batch_alter_table("t_tasks", schema=None) as batch_op:
        batch_op.drop_column("variant_groups")
        batch_op.drop_column("variants")
