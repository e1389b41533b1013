"""Occurrences: create one (planner and API), start one now, read its per-group results, resend the failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, func, insert, select, update
from sqlalchemy.orm import Session

from pushtask.domain import variants
from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.models import Confirmation, Delivery, Group, Push, PushSummary, Task, TaskGroup, TaskLog, new_id
from pushtask.services import links
from pushtask.services.tasks import EDITABLE_CONTENT, get_task, group_ids_of

ONE_PHASE_STATES = frozenset({"pending", "sending", "sent", "failed", "uncertain"})
RESENDABLE = ("failed", "uncertain", "unconfirmed")
_DELIVERIES = cast(Table, Delivery.__table__)


def content_snapshot(task: Task) -> dict[str, Any]:
    """Return the content a push sends: frozen when the occurrence is created."""
    return {
        "name": task.name,
        "text": task.content_text,
        "image": task.content_image,
        "link": task.content_link,
        "miniprogram": task.content_miniprogram,
        # Each group's message then carries its own signed feedback link (pushtask.notify.feedback_token).
        **({"feedback": True} if task.feedback_enabled else {}),
        # The zone {{日期}} is read in when the push fills variables per group.
        "timezone": task.timezone,
        # A/B: every variant's content; each delivery's `variant` says which one its group is sent.
        **({variants.SNAPSHOT_KEY: variants.snapshot_variants(task.variants)} if task.variants else {}),
    }


def delivery_rows(
    task: Task,
    push_id: str,
    groups: Sequence[tuple[str, str, int]],
    fire_at: datetime,
    now: datetime,
    state: str,
    lease_token: str | None = None,
) -> list[dict[str, Any]]:
    """One delivery row per (group id, channel, members) of an occurrence, each with its A/B variant.

    Written by `create_push` (pending) and by the worker's plan ahead (planned, leased): one place decides
    what a delivery starts as, so both paths split variants alike.
    """
    chosen = variants.assign(
        task.id, [(g, n) for g, _, n in groups], [v["key"] for v in task.variants or ()], task.variant_groups
    )
    rank = 4 - task.priority  # 1 = high: the claim index reads it ascending
    return [
        {
            "push_id": push_id,
            "group_id": gid,
            "org_id": task.org_id,
            "channel": channel,
            "state": state,
            "claim_rank": rank,
            "fire_at": fire_at,
            "next_attempt_at": fire_at,
            "attempts": 0,
            "lease_token": lease_token,
            "updated_at": now,
            "variant": chosen.get(gid),
        }
        for gid, channel, _ in groups
    ]


def create_push(
    session: Session,
    task: Task,
    fire_at: datetime,
    now: datetime,
    *,
    trigger: str,
    created_by: str | None = None,
    status: str = "running",
    missed_count: int = 0,
) -> Push | None:
    """Insert a push and one pending delivery per target group; None if the occurrence exists."""
    push = Push(
        id=new_id(),
        task_id=task.id,
        org_id=task.org_id,
        fire_at=fire_at,
        trigger=trigger,
        status=status,
        priority=task.priority,
        content=content_snapshot(task),
        content_version=task.content_version,
        total=0,
        sent_count=0,
        failed_count=0,
        uncertain_count=0,
        missed_count=missed_count,
        created_by=created_by,
        created_at=now,
        finished_at=now if status == "missed" else None,
    )
    # Every caller holds the task's row (`FOR UPDATE`: the planner, the plan ahead, "push now"; SQLite
    # writes one transaction at a time), so an occurrence that is not there now cannot appear before
    # this commits: a read instead of a savepoint around the insert (the savepoint was ~8 % of a
    # worker's CPU when many small pushes fell due at once; bench/README.md, third round).
    if session.scalar(select(Push.id).where(Push.task_id == task.id, Push.fire_at == fire_at)) is not None:
        return None  # another scheduler created this occurrence first: nothing to do
    session.add(push)
    session.flush()
    if status != "running":
        return push
    groups = session.execute(
        select(Group.id, Group.channel, Group.member_count)
        .join(TaskGroup, TaskGroup.group_id == Group.id)
        .where(TaskGroup.task_id == task.id)
        .order_by(TaskGroup.position)
    ).all()
    rows = delivery_rows(task, push.id, [(g, c, n or 0) for g, c, n in groups], fire_at, now, "pending")
    if rows:
        # Core, not the ORM's bulk insert: one multi-row INSERT and none of the per-row bookkeeping.
        session.connection().execute(insert(_DELIVERIES), rows)
        # Issue 19: each group's short links, in bulk (services/links.py); an A/B group's lead to its variant's.
        links.plan(session, push, rows, now, variants.contents(push.content))
    push.total = len(rows)
    if not rows:
        push.status, push.finished_at = "completed", now
    task.last_push_id = push.id
    return push


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


def summarized_deliveries(session: Session, push_id: str) -> list[tuple[Delivery, str]]:
    """Return a purged push's per-group results as (unsaved) deliveries with group names, from its summary."""
    summary = session.get(PushSummary, push_id)
    if summary is None:
        return []
    ids = {*summary.sent_groups, *summary.uncertain_groups, *(f["groupId"] for f in summary.failed_groups)}
    names = dict(session.execute(select(Group.id, Group.name).where(Group.id.in_(ids))).tuples().all())

    def view(group_id: str, state: str, zh: str | None = None, en: str | None = None) -> tuple[Delivery, str]:
        # Not added to the session: a read-only stand-in for the purged row.
        return Delivery(
            group_id=group_id, push_id=push_id, state=state, channel="", attempts=0, error_zh=zh, error_en=en
        ), names.get(group_id, "")

    return (
        [view(g, "sent") for g in summary.sent_groups]
        + [
            view(f["groupId"], f.get("state", "failed"), f.get("error"), f.get("errorEn"))
            for f in summary.failed_groups
        ]
        + [view(g, "uncertain") for g in summary.uncertain_groups]
    )


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
