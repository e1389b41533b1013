"""Key rotation: re-encrypt stored values with the newest key, a small batch per transaction.

A column with a lookup hash beside it has the hash recomputed under the newest key in the same
update, so after a rotation every value and every hash carries the newest key id.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, literal_column, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import EncryptedText
from pushtask.models import Group, Recipient, WeChatBinding
from pushtask.models.notification import Feedback

Column = InstrumentedAttribute[str]
# Every encrypted column: (column, its table's primary key, the lookup-hash column beside it or None).
ENCRYPTED: list[tuple[Column, InstrumentedAttribute[object], Column | None]] = [
    (Group.channel_ref, Group.id, None),
    (Feedback.content, Feedback.id, None),
    (Feedback.member, Feedback.id, Feedback.member_hash),
    (Recipient.wechat_id, Recipient.id, Recipient.wechat_id_hash),
    (Recipient.channel_user_id, Recipient.id, Recipient.channel_user_id_hash),
    (WeChatBinding.openid, WeChatBinding.user_id, WeChatBinding.openid_hash),
]


def _stale(column: Column, hash_column: Column | None, ring: fieldcrypt.KeyRing) -> ColumnElement[bool]:
    """Rows whose value (or hash) is not under the newest key, plaintext left from before included."""
    table = column.class_.__table__
    raw: ColumnElement[str] = literal_column(f"{table.name}.{column.key}")  # the stored text, not decrypted
    condition: ColumnElement[bool] = ~raw.like(f"{fieldcrypt.PREFIX}{ring.current_id}:%")
    if hash_column is not None:
        condition = or_(condition, ~hash_column.like(f"{ring.current_id}:%"))
    return condition


def _new_values(column: Column, hash_column: Column | None, ring: fieldcrypt.KeyRing, value: str) -> dict[str, str]:
    # Writing the decrypted value back through the column type encrypts it with the newest key.
    values = {column.key: value}
    if hash_column is not None:
        column_type = column.class_.__table__.c[column.key].type
        assert isinstance(column_type, EncryptedText)
        values[hash_column.key] = ring.lookup_hash(value, column_type.context)
    return values


def rotate(sessions: sessionmaker[Session], batch: int = 500) -> dict[str, int]:
    """Re-encrypt (and re-hash) values not under the newest key; return counts per column."""
    ring = fieldcrypt.current()
    counts: dict[str, int] = {}
    for column, pk, hash_column in ENCRYPTED:
        table = column.class_.__table__
        done = 0
        last: object = None
        while True:
            with sessions() as session:
                query = select(pk, column).where(_stale(column, hash_column, ring)).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = session.execute(query).all()
                for key, value in rows:
                    session.execute(
                        update(table).where(pk == key).values(_new_values(column, hash_column, ring, value))
                    )
                session.commit()
            if not rows:
                break
            done += len(rows)
            last = rows[-1][0]
        counts[f"{table.name}.{column.key}"] = done
    return counts
