"""encrypt personal identifiers: recipients' WeChat IDs and userids/openids, feedback member ids; audit log

Each becomes AES-256-GCM text with a keyed-hash lookup column beside it (see
pushtask/infra/fieldcrypt.py). Existing rows are hashed and encrypted here, a batch at a time,
with the process's key ring (`pushtask db upgrade` installs it), so no plaintext identifier is
left behind and lookups work as soon as the upgrade ends. Callback receipts (keyed by the sender
for events) are dropped: they are now stored as keyed hashes. The uniqueness of one answer per
member and link moves from the member id to its hash. `t_audit_log` records exports and
erasures of one person's data (never the identifier itself).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

import pushtask.models.base
from pushtask.infra import fieldcrypt

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH = sa.String(length=100)
BATCH = 500
# table → (primary key, [(value column, its hash column)])
SEALED = {
    "t_recipients": ("id", [("wechat_id", "wechat_id_hash"), ("channel_user_id", "channel_user_id_hash")]),
    "t_feedback": ("id", [("member", "member_hash")]),
}


def upgrade() -> None:
    op.create_table(
        "t_audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t_audit_log")),
    )
    with op.batch_alter_table("t_audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_t_audit_log_org_id_created_at", ["org_id", "created_at"], unique=False)

    # MariaDB cannot index a whole TEXT column: drop the old unique key before `member` becomes TEXT.
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_t_feedback_token_hash_member"), type_="unique")
        batch_op.alter_column("member", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False)
        batch_op.add_column(sa.Column("member_hash", HASH, nullable=True))
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.alter_column("wechat_id", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False)
        batch_op.add_column(sa.Column("wechat_id_hash", HASH, nullable=True))
        batch_op.add_column(sa.Column("channel_user_id_hash", HASH, nullable=True))

    for table, (pk, pairs) in SEALED.items():
        _rewrite(table, pk, pairs, _seal)
    # Receipts are now keyed by a hash (an event's identity names its sender). The old ones only
    # guarded against WeChat retrying within seconds, so they are dropped rather than converted.
    op.execute(sa.table("t_callback_receipts").delete())

    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.alter_column("wechat_id_hash", existing_type=HASH, nullable=False)
        batch_op.alter_column("channel_user_id_hash", existing_type=HASH, nullable=False)
        batch_op.create_index("ix_t_recipients_channel_user_id_hash", ["channel_user_id_hash"], unique=False)
        batch_op.create_index("ix_t_recipients_org_id_wechat_id_hash", ["org_id", "wechat_id_hash"], unique=False)
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.alter_column("member_hash", existing_type=HASH, nullable=False)
        batch_op.create_unique_constraint(op.f("uq_t_feedback_token_hash_member_hash"), ["token_hash", "member_hash"])


def downgrade() -> None:
    op.drop_table("t_audit_log")
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_t_feedback_token_hash_member_hash"), type_="unique")
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_t_recipients_org_id_wechat_id_hash")
        batch_op.drop_index("ix_t_recipients_channel_user_id_hash")
        batch_op.alter_column("wechat_id_hash", existing_type=HASH, nullable=True)
        batch_op.alter_column("channel_user_id_hash", existing_type=HASH, nullable=True)
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.alter_column("member_hash", existing_type=HASH, nullable=True)

    for table, (pk, pairs) in SEALED.items():
        _rewrite(table, pk, pairs, _unseal)

    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.drop_column("channel_user_id_hash")
        batch_op.drop_column("wechat_id_hash")
        batch_op.alter_column("wechat_id", existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=False)
    with op.batch_alter_table("t_feedback", schema=None) as batch_op:
        batch_op.drop_column("member_hash")
        batch_op.alter_column("member", existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=False)
        batch_op.create_unique_constraint(op.f("uq_t_feedback_token_hash_member"), ["token_hash", "member"])


Rewrite = Callable[[fieldcrypt.KeyRing, str, str], tuple[str, str | None]]


def _seal(ring: fieldcrypt.KeyRing, context: str, stored: str) -> tuple[str, str | None]:
    plain = ring.decrypt(stored, context)  # plaintext passes through unchanged
    return ring.encrypt(plain, context), ring.lookup_hash(plain, context)


def _unseal(ring: fieldcrypt.KeyRing, context: str, stored: str) -> tuple[str, str | None]:
    return ring.decrypt(stored, context), None


def _rewrite(table_name: str, pk: str, pairs: list[tuple[str, str]], rewrite: Rewrite) -> None:
    """Rewrite every row's values and hashes with `rewrite`, BATCH rows at a time in primary-key order."""
    bind = op.get_bind()
    columns = [pk, *(c for pair in pairs for c in pair)]
    table = sa.table(table_name, sa.column(pk), *(sa.column(c, sa.Text()) for c in columns[1:]))
    last: str | int | None = None
    ring: fieldcrypt.KeyRing | None = None
    while True:
        query = sa.select(*(table.c[c] for c in columns)).order_by(table.c[pk]).limit(BATCH)
        if last is not None:
            query = query.where(table.c[pk] > last)
        rows = bind.execute(query).mappings().all()
        if not rows:
            return
        # Only a database holding rows needs the key ring (an empty one migrates without it).
        ring = ring or fieldcrypt.current()
        for row in rows:
            values: dict[str, str | None] = {}
            for value_column, hash_column in pairs:
                values[value_column], values[hash_column] = rewrite(
                    ring, f"{table_name}.{value_column}", row[value_column]
                )
            bind.execute(sa.update(table).where(table.c[pk] == row[pk]).values(values))
        last = rows[-1][pk]
