"""t_deliveries keeps one state-led index, the claim's: drop (state, next_attempt_at) and (state, lease_expires_at)

Each state change of a delivery moved all three state-led indexes. The idle sleep's earliest retry
(`deliveries.earliest_retry`) now reads the pending rows through `ix_t_deliveries_claim` and recovery
(`deliveries.recover_expired`) the sending rows: both a range on the claim index, bounded by the rows
pending (retries, bursts larger than memory) or in flight (bench/README.md, "Query plans"; issue 16).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_t_deliveries_state_next_attempt_at")
        batch_op.drop_index("ix_t_deliveries_state_lease_expires_at")


def downgrade() -> None:
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_t_deliveries_state_lease_expires_at", ["state", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_t_deliveries_state_next_attempt_at", ["state", "next_attempt_at"], unique=False)
