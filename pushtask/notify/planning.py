"""Decide which notices an event causes: reminders before a push, results after, alerts on trouble.

Each function writes outbox rows in the caller's transaction; the dedupe key (type, task,
occurrence, person) makes a repeat — a second worker, a second tick — a no-op.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from pushtask.domain import pages
from pushtask.models import Delivery, Group, NotificationSettings, Push, Task, TaskGroup, TaskRecipient
from pushtask.notify import outbox
from pushtask.notify.outbox import Addressee

REMINDER_LEAD = timedelta(hours=1)
# A worker that was down when a reminder came due still sends it within this window, not later.
REMINDER_LOOKBACK = timedelta(minutes=10)
MAX_LISTED = 10


class TaskFacts(Protocol):
    """What a result notice says of its task: a Task, or the five columns `on_push_finished` reads."""

    @property
    def id(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def creator_id(self) -> str: ...


class PushFacts(Protocol):
    """What a result notice says of its occurrence: a Push, or the engine's finished push (worker/deliveries)."""

    @property
    def id(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    @property
    def fire_at(self) -> datetime: ...
    @property
    def sent_count(self) -> int: ...


@dataclass(frozen=True)
class _NoticeTask:
    id: str
    org_id: str
    name: str
    timezone: str
    creator_id: str
    creator: Addressee  # the creator, addressed through their notification settings (outbox.for_user)


@functools.cache
def _notice_task_query() -> Select[Any]:
    settings = NotificationSettings.__table__.c
    return (
        select(
            Task.id,
            Task.org_id,
            Task.name,
            Task.timezone,
            Task.creator_id,
            settings.user_id,
            settings.recipient_id,
            settings.mute_reminders,
        )
        .outerjoin(NotificationSettings, settings.user_id == Task.creator_id)
        .where(Task.id == bindparam("task_id"))
    )


def _notice_task(session: Session, task_id: str) -> _NoticeTask | None:
    """Five columns of the task and its creator's settings in one statement, not the task (its content,
    variants and schedule) and then the settings: every finished push asks this."""
    row = session.execute(_notice_task_query(), {"task_id": task_id}).first()
    if row is None:
        return None
    tid, org_id, name, zone, creator_id, linked, recipient_id, muted = row
    creator = Addressee(creator_id, recipient_id, bool(muted)) if linked else Addressee(creator_id, None)
    return _NoticeTask(tid, org_id, name, zone, creator_id, creator)


def reminder_due(fire_at: datetime, created_at: datetime, now: datetime) -> bool:
    """Tell whether the reminder of an occurrence at `fire_at` is due at `now`.

    It is due from an hour before the occurrence (for REMINDER_LOOKBACK), never after it, and
    never for a task created less than an hour ahead of it (its creator has just seen it).
    """
    remind_at = fire_at - REMINDER_LEAD
    return created_at <= remind_at <= now < fire_at and now - remind_at <= REMINDER_LOOKBACK


def _local(when: datetime, zone: str) -> str:
    try:
        return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    except (KeyError, ValueError):
        return when.strftime("%Y-%m-%d %H:%M UTC")


def _group_names(session: Session, task_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Group.name)
            .join(TaskGroup, TaskGroup.group_id == Group.id)
            .where(TaskGroup.task_id == task_id)
            .order_by(TaskGroup.position)
        )
    )


def _reviewers(session: Session, task: TaskFacts) -> list[Addressee]:
    ids = session.scalars(
        select(TaskRecipient.recipient_id).where(TaskRecipient.task_id == task.id).order_by(TaskRecipient.position)
    ).all()
    return outbox.for_recipients(session, task.org_id, ids)


def _groups_line(names: list[str]) -> str:
    shown = "、".join(names[:5])
    return f"{shown} 等 {len(names)} 个群" if len(names) > 5 else shown or "（无目标群）"


def plan_reminders(session: Session, now: datetime, skip: set[tuple[str, datetime]] | None = None) -> list[str]:
    """Enqueue the reminders due at `now`; return the keys of the occurrences planned.

    `skip` holds occurrences this worker already planned, so a tick does not re-read them; the
    unique dedupe key is what guarantees one reminder per occurrence and person.
    """
    skip = skip if skip is not None else set()
    query = select(Task).where(
        Task.status.in_(("scheduled", "running")),
        Task.deleted_at.is_(None),
        Task.next_fire_at > now,
        Task.next_fire_at <= now + REMINDER_LEAD,
        Task.next_fire_at >= now + REMINDER_LEAD - REMINDER_LOOKBACK,
    )
    planned = []
    for task in session.scalars(query):
        fire_at = task.next_fire_at
        assert fire_at is not None
        if (task.id, fire_at) in skip or not reminder_due(fire_at, task.created_at, now):
            continue
        names = _group_names(session, task.id)
        when = _local(fire_at, task.timezone)
        payload = {
            "title": f"推送提醒：{task.name}",
            "taskName": task.name,
            "time": when,
            "status": "1小时后推送",
            "lines": [f"任务“{task.name}”将于 {when} 推送到 {_groups_line(names)}。", "如需修改请尽快在后台处理。"],
            "link": f"/tasks/{task.id}",
            "page": pages.task(task.id),
            "fallbackUserId": task.creator_id,
        }
        for who in _reviewers(session, task):
            if who.muted_reminders:
                continue
            outbox.enqueue(
                session,
                now,
                type="reminder",
                dedupe_key=f"reminder:{task.id}:{fire_at.isoformat()}:{who.key}",
                payload=payload,
                org_id=task.org_id,
                addressee=who,
                task_id=task.id,
            )
        skip.add((task.id, fire_at))
        planned.append(f"{task.id}@{fire_at.isoformat()}")
    return planned


def _failures(session: Session, push_id: str) -> list[tuple[str, str, str]]:
    """(group name, reason, state) of groups not known to have received the push."""
    rows = session.execute(
        select(Group.name, Delivery.state, Delivery.error_zh)
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.push_id == push_id, Delivery.state.in_(("failed", "uncertain", "unconfirmed")))
        .order_by(Delivery.id)
    ).all()
    return [(name, error or ("发送失败" if state == "failed" else "状态未知"), state) for name, state, error in rows]


def _awaiting(session: Session, push_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.push_id == push_id, Delivery.state == "awaiting_confirmation")
        )
        or 0
    )


def _owners_awaited(session: Session, push_id: str) -> list[tuple[str, int]]:
    """(owner's name, groups) of the groups still waiting for their owner to confirm the send."""
    rows = session.execute(
        select(func.coalesce(Group.owner_name, Group.owner_userid), func.count())
        .select_from(Delivery)
        .join(Group, Group.id == Delivery.group_id)
        .where(Delivery.push_id == push_id, Delivery.state == "awaiting_confirmation")
        .group_by(Group.owner_name, Group.owner_userid)
        .order_by(func.count().desc())
    ).all()
    return [(name or "?", int(n)) for name, n in rows]


def _result_addressees(session: Session, task: _NoticeTask) -> list[Addressee]:
    return outbox.unique([task.creator, *_reviewers(session, task)])


def _enqueue_all(
    session: Session,
    now: datetime,
    task: TaskFacts,
    push: PushFacts,
    kind: str,
    payload: dict[str, Any],
    who: Iterable[Addressee],
    *,
    exclusive: bool = False,
) -> None:
    outbox.add_once(
        session,
        now,
        [
            outbox.Notice(
                type="result",
                dedupe_key=f"result:{task.id}:{push.fire_at.isoformat()}:{kind}:{addressee.key}",
                payload=payload,
                org_id=task.org_id,
                addressee=addressee,
                task_id=task.id,
                push_id=push.id,
            )
            for addressee in who
        ],
        exclusive=exclusive,
    )


def on_push_finished(
    session: Session,
    push: PushFacts,
    now: datetime,
    *,
    kind: str = "done",
    counts: Mapping[str, int] | None = None,
    exclusive: bool = False,
) -> None:
    """Tell the creator and reviewers how an occurrence went; raise an alert when groups failed.

    Counts are honest: a group that failed is "未送达"; one whose outcome is unknown (a send cut
    off mid-way, or a two-phase send nobody confirmed in time) is "状态未知"; one whose owner
    still has to confirm is "等待确认" — neither of the last two is called a failure. The owners
    still to confirm are named. `kind` "settled": the last awaiting group of a push has ended
    (sent, failed, cancelled or unconfirmed), a second notice with the final counts. `counts`: the
    push's deliveries by state, when the caller has just counted them (the common all-sent push then
    costs no query for failures and awaiting groups). `exclusive`: the caller holds the push's row
    lock (it has just closed the push), so no one else can be writing these notices at this moment.
    """
    task = _notice_task(session, push.task_id)
    if task is None:
        return
    when = _local(push.fire_at, task.timezone)
    not_ok = None if counts is None else sum(counts.get(s, 0) for s in ("failed", "uncertain", "unconfirmed"))
    failures = _failures(session, push.id) if not_ok is None or not_ok else []
    failed = [f for f in failures if f[2] == "failed"]
    unknown = [f for f in failures if f[2] != "failed"]
    awaiting = _awaiting(session, push.id) if counts is None else counts.get("awaiting_confirmation", 0)
    ok = not failures and not awaiting
    if ok:
        lines = [f"任务“{task.name}”（{when}）已成功推送到 {push.sent_count} 个群。"]
    else:
        parts = [f"{push.sent_count} 个群成功"]
        if failed:
            parts.append(f"{len(failed)} 个群未送达")
        if unknown:
            parts.append(f"{len(unknown)} 个群状态未知")
        if awaiting:
            parts.append(f"{awaiting} 个群等待群主确认发送")
        lines = (
            [f"任务“{task.name}”（{when}）：{'，'.join(parts)}："]
            + [f"· {name}：{error}" for name, error, _ in failures[:MAX_LISTED]]
            + ([f"……另有 {len(failures) - MAX_LISTED} 个群"] if len(failures) > MAX_LISTED else [])
        )
        if awaiting:
            owners = "、".join(f"{name}（{n} 个群）" for name, n in _owners_awaited(session, push.id)[:MAX_LISTED])
            lines.append(f"· 等待群主确认发送：{owners}")
    if failed:
        status, result, title = f"{len(failed)}个群发送失败", "failed", "失败"
    elif unknown:
        status, result, title = f"{len(unknown)}个群状态未知", "uncertain", "结果待核对"
    elif awaiting:
        status, result, title = f"{awaiting}个群等待确认", "awaiting", "等待确认"
    else:
        status, result, title = "推送成功", "success", "成功"
    payload = {
        "title": f"推送{title}：{task.name}",
        "taskName": task.name,
        "time": when,
        "status": status,
        "result": result,
        "failedCount": len(failed),
        "uncertainCount": len(unknown),
        "awaitingCount": awaiting,
        "failures": [{"group": n, "error": e} for n, e, _ in failures[:MAX_LISTED]],
        "lines": lines,
        "link": f"/tasks/{task.id}?push={push.id}",
        "page": pages.task(task.id),
        "fallbackUserId": task.creator_id,
    }
    _enqueue_all(session, now, task, push, kind, payload, _result_addressees(session, task), exclusive=exclusive)
    if failures:
        first_name, first_error, _ = (failed or unknown)[0]
        summary = f"{len(failed)} 个群发送失败" if failed else f"{len(unknown)} 个群状态未知（可能已送达，请核对）"
        if failed and unknown:
            summary += f"，另有 {len(unknown)} 个群状态未知"
        raise_alert(
            session,
            now,
            kind="push_failed",
            subject=push.id,
            org_id=task.org_id,
            text=f"任务“{task.name}”（{when}）{summary}，例如 {first_name}：{first_error}",
            task_id=task.id,
            push_id=push.id,
        )


def on_missed(session: Session, task: Task, push: Push, missed: int, now: datetime) -> None:
    """Tell the creator that occurrences were missed (no worker ran in time), and alert ops."""
    when = _local(push.fire_at, task.timezone)
    payload = {
        "title": f"推送错过：{task.name}",
        "taskName": task.name,
        "time": when,
        "status": f"错过{missed}次推送",
        "result": "missed",
        "failedCount": 0,
        "failures": [],
        "lines": [
            f"任务“{task.name}”自 {when} 起有 {missed} 次推送因调度服务未运行而错过。",
            "如需补发，请在后台对该任务执行“立即推送”。",
        ],
        "link": f"/tasks/{task.id}?push={push.id}",
        "page": pages.task(task.id),
        "fallbackUserId": task.creator_id,
    }
    _enqueue_all(session, now, task, push, "missed", payload, [outbox.for_user(session, task.creator_id)])
    raise_alert(
        session,
        now,
        kind="missed",
        subject=push.id,
        org_id=task.org_id,
        text=f"任务“{task.name}”错过 {missed} 次推送（自 {when}），调度服务可能停止过",
        task_id=task.id,
        push_id=push.id,
    )


def raise_alert(
    session: Session,
    now: datetime,
    *,
    kind: str,
    subject: str,
    text: str,
    org_id: str | None = None,
    task_id: str | None = None,
    push_id: str | None = None,
) -> None:
    """Record one alert event; the notifier folds events of a kind into one robot message per window."""
    outbox.enqueue(
        session,
        now,
        type="alert",
        dedupe_key=f"alert:{kind}:{subject}",
        payload={"kind": kind, "text": text},
        org_id=org_id,
        task_id=task_id,
        push_id=push_id,
    )
