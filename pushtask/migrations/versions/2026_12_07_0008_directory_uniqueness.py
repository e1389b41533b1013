"""directory uniqueness: one live group per channel + reference, one live recipient per identity; what is
known of a delivery's latest attempt (`last_attempt_at`, `request_sent`)

Groups get `channel_ref_hash` (the keyed lookup hash of their encrypted reference). Groups and
recipients get `live` (True, or NULL once deleted: a unique index ignores NULLs, so a deleted row
may be added again) and a unique index over the identifying hashes and `live`.

Existing live duplicates are resolved safely first:
- rows identical in every field (name, channel, reference / WeChat ID and userid, member count)
  are merged into the oldest: references from tasks, previews and subscriptions are repointed to
  it, the others are marked deleted (their deliveries keep pointing at them, names still resolve);
- rows that differ in any field are all kept and usable, the later ones set aside from the index
  (`live` NULL), and reported in the log with their ids, for an admin to resolve.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 14:00:00
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import pushtask.models.base
from pushtask.infra import fieldcrypt

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("pushtask.migrations")
HASH = sa.String(length=100)
CHANNEL_REF = "t_groups.channel_ref"
ENCRYPTED = {"channel_ref", "wechat_id", "channel_user_id"}

# table → (the columns a row is identified by, the other columns that must also agree to merge)
TABLES = {
    "t_groups": (["org_id", "channel", "channel_ref_hash"], ["name", "channel_ref", "member_count"]),
    "t_recipients": (
        ["org_id", "wechat_id_hash", "channel", "channel_user_id_hash"],
        ["name", "wechat_id", "channel_user_id"],
    ),
}
# table → [(referencing table, its column, the other primary-key column)]
REFERENCES = {
    "t_groups": [("t_task_groups", "group_id", "task_id")],
    "t_recipients": [
        ("t_task_recipients", "recipient_id", "task_id"),
        ("t_preview_recipients", "recipient_id", "preview_id"),
        ("t_subscriptions", "recipient_id", "template_id"),
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("t_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_ref_hash", HASH, nullable=True))
        batch_op.add_column(sa.Column("live", sa.Boolean(), nullable=True))
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("live", sa.Boolean(), nullable=True))
    # What is known of a delivery's latest attempt, for a person deciding an uncertain one.
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_attempt_at", pushtask.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("request_sent", sa.Boolean(), nullable=True))

    bind = op.get_bind()
    _hash_group_refs(bind)
    for name in TABLES:
        table = sa.table(name, sa.column("deleted_at"), sa.column("live", sa.Boolean()))
        bind.execute(sa.update(table).where(table.c.deleted_at.is_(None)).values(live=True))
        _resolve_duplicates(bind, name)

    # Only columns and indexes are added: on SQLite anything more rebuilds the table, which the
    # foreign keys from tasks to groups and recipients refuse. channel_ref_hash stays nullable in the
    # schema; the model fills it on every write.
    with op.batch_alter_table("t_groups", schema=None) as batch_op:
        batch_op.create_index(
            "uq_t_groups_live_channel_ref", ["org_id", "channel", "channel_ref_hash", "live"], unique=True
        )
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.create_index(
            "uq_t_recipients_live_identity",
            ["org_id", "wechat_id_hash", "channel", "channel_user_id_hash", "live"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("t_deliveries", schema=None) as batch_op:
        batch_op.drop_column("request_sent")
        batch_op.drop_column("last_attempt_at")
    with op.batch_alter_table("t_recipients", schema=None) as batch_op:
        batch_op.drop_index("uq_t_recipients_live_identity")
        batch_op.drop_column("live")
    with op.batch_alter_table("t_groups", schema=None) as batch_op:
        batch_op.drop_index("uq_t_groups_live_channel_ref")
        batch_op.drop_column("live")
        batch_op.drop_column("channel_ref_hash")


def _hash_group_refs(bind: sa.Connection) -> None:
    table = sa.table("t_groups", sa.column("id"), sa.column("channel_ref", sa.Text()), sa.column("channel_ref_hash"))
    rows = bind.execute(sa.select(table.c.id, table.c.channel_ref)).all()
    if not rows:
        return
    ring = fieldcrypt.current()  # only a database holding groups needs the key ring
    for row_id, stored in rows:
        plain = ring.decrypt(stored, CHANNEL_REF)
        bind.execute(
            sa.update(table).where(table.c.id == row_id).values(channel_ref_hash=ring.lookup_hash(plain, CHANNEL_REF))
        )


def _resolve_duplicates(bind: sa.Connection, name: str) -> None:
    identity, others = TABLES[name]
    cols = ["id", "created_at", "deleted_at", "live", *identity, *others]
    table = sa.table(name, *(sa.column(c) for c in cols))
    rows = bind.execute(sa.select(*(table.c[c] for c in cols)).where(table.c.live.is_(True))).mappings().all()
    sets: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        sets[tuple(row[c] for c in identity)].append(row)
    now = datetime.now(UTC).replace(tzinfo=None)
    for duplicates in sets.values():
        if len(duplicates) < 2:
            continue
        ring = fieldcrypt.current()
        duplicates.sort(key=lambda r: (r["created_at"], r["id"]))
        keeper, rest = duplicates[0], duplicates[1:]

        def fields(row: Any, ring: fieldcrypt.KeyRing = ring) -> tuple[Any, ...]:
            # Encrypted values differ in their nonces: compare what they decrypt to.
            return tuple(ring.decrypt(row[c], f"{name}.{c}") if c in ENCRYPTED else row[c] for c in others)

        for row in rest:
            if fields(row) == fields(keeper):
                _merge(bind, name, keeper["id"], row["id"])
                bind.execute(sa.update(table).where(table.c.id == row["id"]).values(deleted_at=now, live=None))
                log.warning("merged duplicate %s row %s into %s", name, row["id"], keeper["id"])
            else:
                bind.execute(sa.update(table).where(table.c.id == row["id"]).values(live=None))
                log.warning(
                    "%s rows %s and %s have the same identity but differ; both kept, resolve by hand",
                    name,
                    keeper["id"],
                    row["id"],
                )


def _merge(bind: sa.Connection, name: str, keeper: str, duplicate: str) -> None:
    """Repoint references from `duplicate` to `keeper`; a link the keeper already has is dropped."""
    for ref_table, column, other in REFERENCES[name]:
        extra: list[sa.ColumnClause[Any]] = [sa.column("remaining")] if ref_table == "t_subscriptions" else []
        table = sa.table(ref_table, sa.column(column), sa.column(other), *extra)
        kept = {r[0]: r for r in bind.execute(sa.select(table.c[other], *extra).where(table.c[column] == keeper)).all()}
        for row in bind.execute(sa.select(table.c[other], *extra).where(table.c[column] == duplicate)).all():
            match = (table.c[column] == duplicate) & (table.c[other] == row[0])
            if row[0] in kept:
                if extra:  # one-time subscriptions granted to either row add up
                    bind.execute(
                        sa.update(table)
                        .where((table.c[column] == keeper) & (table.c[other] == row[0]))
                        .values(remaining=kept[row[0]][1] + row[1])
                    )
                bind.execute(sa.delete(table).where(match))
            else:
                bind.execute(sa.update(table).where(match).values({column: keeper}))
