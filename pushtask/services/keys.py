"""Key rotation: re-encrypt stored values with the newest key, a small batch per transaction.

A column with a lookup hash beside it has the hash recomputed under the newest key in the same
update, so after a rotation every value and every hash carries the newest key id.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, literal_column, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import EncryptedText
from pushtask.models import Group, Recipient
from pushtask.models.notification import Feedback


@dataclass(frozen=True)
class Sealed:
    """An encrypted column, its table's primary key, and the lookup-hash column beside it (if any)."""

    column: InstrumentedAttribute[str]
    pk: InstrumentedAttribute[object]
    hash_column: InstrumentedAttribute[str] | None = None


# Every encrypted column.
ENCRYPTED: list[Sealed] = [
    Sealed(Group.channel_ref, Group.id),
    Sealed(Feedback.content, Feedback.id),
    Sealed(Feedback.member, Feedback.id, Feedback.member_hash),
    Sealed(Recipient.wechat_id, Recipient.id, Recipient.wechat_id_hash),
    Sealed(Recipient.channel_user_id, Recipient.id, Recipient.channel_user_id_hash),
]


def _stale(sealed: Sealed, ring: fieldcrypt.KeyRing) -> ColumnElement[bool]:
    """Rows whose value (or hash) is not under the newest key, plaintext left from before included."""
    table = sealed.column.class_.__table__
    raw: ColumnElement[str] = literal_column(f"{table.name}.{sealed.column.key}")  # the stored text, not decrypted
    condition = ~raw.like(f"{fieldcrypt.PREFIX}{ring.current_id}:%")
    if sealed.hash_column is not None:
        condition = or_(condition, ~sealed.hash_column.like(f"{ring.current_id}:%"))
    return condition


def _new_values(sealed: Sealed, ring: fieldcrypt.KeyRing, value: str) -> dict[str, str]:
    # Writing the decrypted value back through the column type encrypts it with the newest key.
    values = {sealed.column.key: value}
    if sealed.hash_column is not None:
        column_type = sealed.column.class_.__table__.c[sealed.column.key].type
        assert isinstance(column_type, EncryptedText)
        values[sealed.hash_column.key] = ring.lookup_hash(value, column_type.context)
    return values


def rotate(sessions: sessionmaker[Session], batch: int = 500) -> dict[str, int]:
    """Re-encrypt (and re-hash) values not under the newest key; return counts per column."""
    ring = fieldcrypt.current()
    counts: dict[str, int] = {}
    for sealed in ENCRYPTED:
        table = sealed.column.class_.__table__
        pk = sealed.pk
        done = 0
        last: object = None
        while True:
            with sessions() as session:
                query = select(pk, sealed.column).where(_stale(sealed, ring)).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = session.execute(query).all()
                for key, value in rows:
                    session.execute(update(table).where(pk == key).values(_new_values(sealed, ring, value)))
                session.commit()
            if not rows:
                break
            done += len(rows)
            last = rows[-1][0]
        counts[f"{table.name}.{sealed.column.key}"] = done
    return counts
