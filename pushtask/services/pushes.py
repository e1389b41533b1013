"""Occurrences seen from the API: start one now, read its per-group results, resend the failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.models import Confirmation, Delivery, Group, Push, Task, TaskLog, new_id
from pushtask.services.context import Actor
from pushtask.services.tasks import EDITABLE_CONTENT, get_task, group_ids_of
from pushtask.worker.planner import create_push

ONE_PHASE_STATES = frozenset({"pending", "sending", "sent", "failed", "uncertain"})
RESENDABLE = ("failed", "uncertain", "unconfirmed")


def start_push(session: Session, actor: Actor, task_id: str, now: datetime) -> Push:
    """Start an occurrence of the task now (PRD §8.5, for testing); the schedule is untouched."""
    task = get_task(session, actor, task_id, for_update=True)
    problems = []
    if not group_ids_of(session, [task.id]).get(task.id):
        problems.append(FieldProblem("groups", "groups_required"))
    if not any(getattr(task, f"content_{k}") for k in EDITABLE_CONTENT):
        problems.append(FieldProblem("content", "content_required"))
    if problems:
        raise InvalidInput(problems)
    push = create_push(session, task, now, now, trigger="manual", created_by=actor.user_id)
    if push is None:
        raise Conflict("push_exists")
    return push


def get_push(session: Session, actor: Actor, push_id: str) -> Push:
    """Return one of the caller's pushes or raise NotFound."""
    push = session.get(Push, push_id)
    if push is None or push.org_id != actor.org_id:
        raise NotFound("Push not found")
    return push


@dataclass(frozen=True)
class DeliveryView:
    delivery: Delivery
    group_name: str
    confirmation: Confirmation | None = None  # two-phase channels: what is awaited, reminders
    owner_name: str | None = None  # the group owner's name from the directory (two-phase channels)


def deliveries_of(session: Session, push: Push) -> list[DeliveryView]:
    """Return each group's delivery of a push with the group's name."""
    rows = session.execute(
        select(Delivery, Group.name)
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.push_id == push.id)
        .order_by(Delivery.id)
    ).all()
    if not rows and push.finished_at is not None:
        # Delivery rows past the retention period were purged; their summary keeps the results.
        from pushtask.notify.retention import summarized_deliveries

        rows = summarized_deliveries(session, push.id)  # type: ignore[assignment]
    confirmations: dict[int, Confirmation] = {}
    owners: dict[str, str | None] = {}
    if any(d.state not in ONE_PHASE_STATES for d, _name in rows):
        confirmations = {
            c.delivery_id: c for c in session.scalars(select(Confirmation).where(Confirmation.push_id == push.id))
        }
        owners = dict(
            session.execute(  # type: ignore[arg-type]
                select(Group.id, Group.owner_name).where(Group.id.in_([d.group_id for d, _name in rows]))
            ).all()
        )
    return [DeliveryView(d, name, confirmations.get(d.id), owners.get(d.group_id)) for d, name in rows]


def push_history(session: Session, actor: Actor, task_id: str, page: int, limit: int) -> tuple[list[Push], int]:
    """Return a task's occurrences, newest first."""
    task = get_task(session, actor, task_id)
    # A push planned ahead (worker/ahead.py) is not an occurrence yet: it shows once it fires.
    stmt = select(Push).where(Push.task_id == task.id, Push.status != "planned")
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Push.fire_at.desc(), Push.id).limit(limit).offset((page - 1) * limit))
    return list(rows), int(total)


def _log_deliveries(
    session: Session, actor: Actor, push: Push, action: str, before: list[tuple[str, str]], new: str, now: datetime
) -> None:
    """Record in the task log who decided what about which groups of this push."""
    session.add(
        TaskLog(
            id=new_id(),
            task_id=push.task_id,
            org_id=push.org_id,
            action=action,
            user_id=actor.user_id,
            changes={
                "pushId": {"old": None, "new": push.id},
                **{f"group:{name}": {"old": state, "new": new} for name, state in before},
            },
            created_at=now,
        )
    )


def _deliveries_in(session: Session, push: Push, states: tuple[str, ...], group_ids: list[str] | None) -> list[Any]:
    query = (
        select(Delivery.id, Group.name, Delivery.state)
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.push_id == push.id, Delivery.state.in_(states))
    )
    if group_ids:
        query = query.where(Delivery.group_id.in_(group_ids))
    return list(session.execute(query.order_by(Delivery.id)).all())


def mark_sent(session: Session, actor: Actor, push_id: str, group_ids: list[str] | None, now: datetime) -> int:
    """A person saw the message in these groups: their uncertain deliveries become sent (logged)."""
    push = get_push(session, actor, push_id)
    rows = _deliveries_in(session, push, ("uncertain",), group_ids)
    if not rows:
        raise Conflict("nothing_to_mark_sent")
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_([r.id for r in rows]), Delivery.state == "uncertain")
        .values(state="sent", sent_at=now, errcode=None, error_zh=None, error_en=None, updated_at=now)
    )
    if push.finished_at is not None:
        push.sent_count += len(rows)
        push.uncertain_count = max(0, push.uncertain_count - len(rows))
    _log_deliveries(session, actor, push, "mark_sent", [(r.name, r.state) for r in rows], "sent", now)
    return len(rows)


def resend(session: Session, actor: Actor, push_id: str, group_ids: list[str] | None, now: datetime) -> int:
    """Queue failed, uncertain and unconfirmed deliveries of a push again; return how many (logged)."""
    push = get_push(session, actor, push_id)
    rows = _deliveries_in(session, push, RESENDABLE, group_ids)
    query = update(Delivery).where(Delivery.push_id == push.id, Delivery.state.in_(RESENDABLE))
    if group_ids:
        query = query.where(Delivery.group_id.in_(group_ids))
    result = session.execute(
        query.values(
            state="pending", attempts=0, next_attempt_at=now, lease_token=None, lease_expires_at=None, updated_at=now
        )
    )
    count = cast("CursorResult[Any]", result).rowcount
    if not count:
        raise Conflict("nothing_to_resend")
    _log_deliveries(session, actor, push, "resend", [(r.name, r.state) for r in rows], "pending", now)
    push.status = "running"
    push.finished_at = None
    return int(count)


def last_result(session: Session, task: Task) -> Push | None:
    """Return the task's most recent push, if any."""
    if task.last_push_id is None:
        return None
    return session.get(Push, task.last_push_id)
