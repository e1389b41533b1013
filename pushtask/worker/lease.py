"""The one claim: take due rows of an outbox table for this worker, under a lease.

Every row the engine sends — a group's delivery, a notice to a person, an alert, a two-phase
delivery's check — is claimed here: pick the due ids (most urgent first, `FOR UPDATE SKIP LOCKED`
on MariaDB/MySQL so two workers never wait on each other), then one conditional UPDATE that
re-checks the row is still free and stamps it with this claim's lease token. Outcomes are later
written only `WHERE lease_token = <ours>`, so a zombie whose lease was taken over changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute


def skip_locked(session: Session) -> bool:
    """Tell whether the backend supports FOR UPDATE SKIP LOCKED (MySQL 8, MariaDB ≥ 10.6)."""
    return session.get_bind().dialect.name in {"mysql", "mariadb"}


def take(
    session: Session,
    due: Select[Any],
    entity: type[Any],
    key: InstrumentedAttribute[Any],
    still_free: ColumnElement[bool],
    values: Mapping[str, Any],
) -> list[Row[Any]]:
    """Claim the rows `due` selects (primary key first, in order); return those rows as they were.

    `still_free` is re-checked under the lock (a row another worker just took is left alone);
    `values` must set the row's lease token (and whatever marks it taken).
    """
    if skip_locked(session):
        due = due.with_for_update(skip_locked=True)
    rows = list(session.execute(due).all())
    if not rows:
        return []
    ids = [row[0] for row in rows]
    session.execute(
        update(entity).where(key.in_(ids), still_free).values(**values).execution_options(synchronize_session=False)
    )
    return rows
