"""Key rotation: re-encrypt stored values with the newest key, a small batch per transaction."""

from __future__ import annotations

from sqlalchemy import ColumnElement, literal_column, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from pushtask.infra import fieldcrypt
from pushtask.models import Group
from pushtask.models.notification import Feedback

# Every encrypted column, with its table's primary key.
ENCRYPTED: list[tuple[InstrumentedAttribute[str], InstrumentedAttribute[object]]] = [
    (Group.channel_ref, Group.id),
    (Feedback.content, Feedback.id),
]


def rotate(sessions: sessionmaker[Session], batch: int = 500) -> dict[str, int]:
    """Re-encrypt values not under the newest key (and plaintext left from before); return counts."""
    ring = fieldcrypt.current()
    current = f"{fieldcrypt.PREFIX}{ring.current_id}:%"
    counts: dict[str, int] = {}
    for column, pk in ENCRYPTED:
        table = column.class_.__table__
        raw: ColumnElement[str] = literal_column(f"{table.name}.{column.key}")  # the stored text, not decrypted
        done = 0
        last: object = None
        while True:
            with sessions() as session:
                query = select(pk, column).where(~raw.like(current)).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = session.execute(query).all()
                for key, value in rows:
                    # Reading decrypted through the column type and writing back encrypts with the newest key.
                    session.execute(update(table).where(pk == key).values({column.key: value}))
                session.commit()
            if not rows:
                break
            done += len(rows)
            last = rows[-1][0]
        counts[f"{table.name}.{column.key}"] = done
    return counts
