"""Write notices into the outbox, once per dedupe key, addressed to a user or a reviewer.

Addressing: a user's channel identity is the directory recipient their notification settings
link to (`NotificationSettings.recipient_id`); a reviewer linked to a user is addressed as that
user, so their settings (channels, muted reminders) apply and a result is not sent twice to a
creator who is also a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pushtask.models import Notification, NotificationSettings, Recipient

_NOTICES = cast(Table, Notification.__table__)


@dataclass(frozen=True)
class Addressee:
    """Who a notice is for: a user (maybe with a linked recipient) or a reviewer who is no user."""

    user_id: str | None
    recipient_id: str | None
    muted_reminders: bool = False

    @property
    def key(self) -> str:
        return f"u:{self.user_id}" if self.user_id else f"r:{self.recipient_id}"


def for_user(session: Session, user_id: str) -> Addressee:
    """Address a user through their settings (linked recipient, muted reminders)."""
    settings = NotificationSettings.__table__.c
    # Two columns, not the ORM object (the engine asks this for every finished push).
    found = session.execute(
        select(settings.recipient_id, settings.mute_reminders).where(settings.user_id == user_id)
    ).first()
    if found is None:
        return Addressee(user_id, None)
    return Addressee(user_id, found[0], bool(found[1]))


def for_recipients(session: Session, org_id: str, recipient_ids: Iterable[str]) -> list[Addressee]:
    """Address reviewers, as their linked user where one says "this recipient is me"."""
    ids = list(dict.fromkeys(recipient_ids))
    if not ids:
        return []
    linked = {
        s.recipient_id: s
        for s in session.scalars(
            select(NotificationSettings).where(
                NotificationSettings.org_id == org_id, NotificationSettings.recipient_id.in_(ids)
            )
        )
    }
    live = set(session.scalars(select(Recipient.id).where(Recipient.id.in_(ids), Recipient.deleted_at.is_(None))).all())
    out = []
    for rid in ids:
        setting = linked.get(rid)
        if setting is not None:
            out.append(Addressee(setting.user_id, rid, setting.mute_reminders))
        elif rid in live:
            out.append(Addressee(None, rid))
    return out


def unique(addressees: Iterable[Addressee]) -> list[Addressee]:
    """Drop repeats of the same person (a creator who is also a reviewer)."""
    seen: dict[str, Addressee] = {}
    for a in addressees:
        if a.key not in seen or (seen[a.key].recipient_id is None and a.recipient_id is not None):
            seen[a.key] = a
    return list(seen.values())


@dataclass(frozen=True)
class Notice:
    """One notice for `add_once`: what `enqueue` takes, as a value."""

    type: str
    dedupe_key: str
    payload: dict[str, Any]
    org_id: str | None
    addressee: Addressee | None = None
    task_id: str | None = None
    push_id: str | None = None
    due: datetime | None = None


def add_once(session: Session, now: datetime, notices: list[Notice], *, exclusive: bool = False) -> int:
    """Add notices whose dedupe keys are new, in one INSERT (the engine's path: a push's results); how many.

    Two workers racing for the same key (the statement fails on the unique key) fall back to one at a
    time, each in a savepoint, as `enqueue` does. `exclusive`: the caller holds a lock no other writer
    of these keys gets past (a push's finisher holds its row), so the INSERT needs no savepoint.
    """
    if not notices:
        return 0
    keys = [n.dedupe_key[:191] for n in notices]
    existing = set(session.scalars(select(_NOTICES.c.dedupe_key).where(_NOTICES.c.dedupe_key.in_(keys))))
    conn = session.connection()
    fresh = {key: n for key, n in zip(keys, notices, strict=True) if key not in existing}
    if not fresh:
        return 0
    rows = [
        {
            "org_id": n.org_id,
            "type": n.type,
            "dedupe_key": key,
            "user_id": n.addressee.user_id if n.addressee else None,
            "recipient_id": n.addressee.recipient_id if n.addressee else None,
            "task_id": n.task_id,
            "push_id": n.push_id,
            "payload": n.payload,
            "state": "pending",
            "channel": None,
            "attempts": 0,
            "next_attempt_at": n.due or now,
            "created_at": now,
        }
        for key, n in fresh.items()
    ]
    if exclusive:
        conn.execute(insert(_NOTICES), rows)
        return len(rows)
    try:
        with conn.begin_nested():
            conn.execute(insert(_NOTICES), rows)
    except IntegrityError:
        return sum(
            enqueue(
                session,
                now,
                type=n.type,
                dedupe_key=n.dedupe_key,
                payload=n.payload,
                org_id=n.org_id,
                addressee=n.addressee,
                task_id=n.task_id,
                push_id=n.push_id,
                due=n.due,
            )
            is not None
            for n in fresh.values()
        )
    return len(rows)


def enqueue(
    session: Session,
    now: datetime,
    *,
    type: str,
    dedupe_key: str,
    payload: dict[str, Any],
    org_id: str | None,
    addressee: Addressee | None = None,
    task_id: str | None = None,
    push_id: str | None = None,
    due: datetime | None = None,
) -> Notification | None:
    """Add a notice to the outbox; None when one with this dedupe key exists (never twice)."""
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)) is not None:
        return None
    row = Notification(
        org_id=org_id,
        type=type,
        dedupe_key=dedupe_key[:191],
        user_id=addressee.user_id if addressee else None,
        recipient_id=addressee.recipient_id if addressee else None,
        task_id=task_id,
        push_id=push_id,
        payload=payload,
        state="pending",
        attempts=0,
        next_attempt_at=due or now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another worker planned the same notice first.
        return None
    return row
