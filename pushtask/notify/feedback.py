"""Group members' answers to a push: store them once per member and link, list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.models import Feedback, Group, Task
from pushtask.notify import feedback_token


class Rejected(Exception):
    """The token does not grant an answer (bad, forged, expired, or its task or group is gone)."""


@dataclass(frozen=True)
class Stored:
    feedback: Feedback
    duplicate: bool


def submit(
    session: Session, secret: str, token: str, member: str, rating: int | None, content: str, now: datetime
) -> Stored:
    """Store one member's answer; a repeat through the same link returns the first one."""
    try:
        claim = feedback_token.verify(secret, token, now)
    except feedback_token.BadToken as exc:
        raise Rejected(str(exc)) from None
    task = session.get(Task, claim.task_id)
    group = session.get(Group, claim.group_id)
    if task is None or group is None or group.org_id != task.org_id:
        raise Rejected("unknown task or group")
    digest = feedback_token.token_hash(token)
    existing = session.scalar(select(Feedback).where(Feedback.token_hash == digest, Feedback.member_is(member)))
    if existing is not None:
        return Stored(existing, True)
    row = Feedback(
        org_id=task.org_id,
        task_id=task.id,
        group_id=group.id,
        push_id=claim.push_id,
        member=member,
        rating=rating,
        content=content.strip(),
        token_hash=digest,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same member answered twice at once; the other request stored it.
        again = session.scalar(select(Feedback).where(Feedback.token_hash == digest, Feedback.member_is(member)))
        assert again is not None
        return Stored(again, True)
    return Stored(row, False)


def listing(
    session: Session,
    actor: Actor,
    *,
    task_id: str | None,
    group_id: str | None,
    start: datetime | None,
    end: datetime | None,
    page: int,
    limit: int,
) -> tuple[list[Feedback], int]:
    """Return the caller's organisation's answers, newest first, and how many match."""
    query = select(Feedback).where(Feedback.org_id == actor.org_id)
    if task_id:
        query = query.where(Feedback.task_id == task_id)
    if group_id:
        query = query.where(Feedback.group_id == group_id)
    if start:
        query = query.where(Feedback.created_at >= start)
    if end:
        query = query.where(Feedback.created_at < end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).offset((page - 1) * limit).limit(limit)
    )
    return list(rows), total
