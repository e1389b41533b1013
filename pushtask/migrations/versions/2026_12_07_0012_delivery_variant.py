"""A/B variants: which variant of the task's content a group received (issue 19)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE t_deliveries DROP COLUMN variant")
