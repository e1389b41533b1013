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
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pushtask.models import Notification, NotificationSettings, Recipient


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
    settings = session.get(NotificationSettings, user_id)
    if settings is None:
        return Addressee(user_id, None)
    return Addressee(user_id, settings.recipient_id, settings.mute_reminders)


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
