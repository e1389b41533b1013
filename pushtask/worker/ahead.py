"""Plan occurrences ahead of their fire time, lease them to this worker, fire them from memory.

A task due within the horizon (default 60 s) gets its push and one delivery per group written
ahead: the push `planned`, the deliveries `planned` with this worker's id as their lease token.
The worker holds them in an in-memory timer; at the fire time one statement moves the deliveries
to `sending` — only while the task is still scheduled for that instant, with the same content
version and no write since the plan (a pause, edit, delete or moved occurrence a moment before
the fire time wins) — and the sends start from memory, with no read in between.

The lease is the worker's heartbeat (`t_workers.last_tick_at`, written every second): once it is
older than the plan lease, or the worker said it stopped, another worker takes the planned rows
over (`take_over`) and fires them — late if the owner died just before the fire time, never
twice, since every fire and takeover re-checks the lease token in its WHERE clause.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from pushtask.domain import links as link_rules
from pushtask.domain import recurrence, variants
from pushtask.models import Delivery, Group, Push, Task, TaskGroup, TrackedLink, WorkerBeat, new_id
from pushtask.services import links as tracked_links
from pushtask.services.pushes import content_snapshot, delivery_rows
from pushtask.services.schedules import rule_of
from pushtask.worker.deliveries import CLAIM_RANKS, DELIVERIES, PUSHES, Claimed, Contents, claimed_rows, to_claimed
from pushtask.worker.lease import skip_locked

PLANNED = "planned"


@dataclass
class Planned:
    """One planned occurrence this worker holds: what to check at the fire time and what to send."""

    push_id: str
    task_id: str
    org_id: str
    fire_at: datetime
    rank: int
    content_version: int
    seen: datetime  # the task's updated_at when planned (or the plan's time): a task written since is re-planned
    next_fire: datetime | None  # the task's occurrence after this one
    grace_s: int
    token: str  # the lease token the deliveries carry once fired
    items: list[Claimed] = field(default_factory=list)
    rendered: list[Any] = field(default_factory=list)  # the runner's (target, message) per item

    def sort_key(self) -> tuple[datetime, int, str]:
        return (self.fire_at, self.rank, self.push_id)


def plan(session: Session, now: datetime, until: datetime, owner: str, tokens: Any, limit: int = 100) -> list[Planned]:
    """Write the pushes and deliveries of tasks due in (now, until], leased to `owner`; return them.

    `tokens()` gives each planned push the lease token its deliveries take when fired.
    """
    planned_already = exists().where(Push.task_id == Task.id, Push.fire_at == Task.next_fire_at)
    query = (
        select(Task)
        .where(
            Task.status == "scheduled",
            Task.next_fire_at > now,
            Task.next_fire_at <= until,
            Task.deleted_at.is_(None),
            ~planned_already,
        )
        .order_by(Task.next_fire_at, Task.priority.desc(), Task.id)
        .limit(limit)
    )
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    tasks = {t.id: t for t in session.scalars(query)}
    if not tasks:
        return []
    links: dict[str, list[Any]] = {}
    for link in session.execute(
        select(
            TaskGroup.task_id,
            Group.id,
            Group.channel,
            Group.member_count,
            Group.name,
            Group.channel_ref,
            Group.owner_userid,
            Group.owner_name,
        )
        .join(Group, Group.id == TaskGroup.group_id)
        .where(TaskGroup.task_id.in_(list(tasks)))
        .order_by(TaskGroup.task_id, TaskGroup.position)
    ):
        links.setdefault(link[0], []).append(link[1:])
    pushes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for task in tasks.values():
        groups = links.get(task.id)
        if not groups:
            continue  # nothing to send: planned at the fire time like before (it completes at once)
        fire_at = task.next_fire_at
        assert fire_at is not None
        push_id = new_id()
        pushes.append(
            {
                "id": push_id,
                "task_id": task.id,
                "org_id": task.org_id,
                "fire_at": fire_at,
                "trigger": "schedule",
                "status": PLANNED,
                "priority": task.priority,
                "content": content_snapshot(task),
                "content_version": task.content_version,
                "total": len(groups),
                "sent_count": 0,
                "failed_count": 0,
                "uncertain_count": 0,
                "missed_count": 0,
                "created_by": None,
                "created_at": now,
            }
        )
        rows += delivery_rows(task, push_id, [g[:3] for g in groups], fire_at, now, PLANNED, lease_token=owner)
    if not pushes:
        return []
    conn = session.connection()
    conn.execute(insert(PUSHES), pushes)
    # The new rows' ids in the order written (RETURNING on MariaDB ≥ 10.5 and SQLite): what is sent
    # is built from what was just written, with no read back.
    ids = iter(
        conn.execute(insert(DELIVERIES).returning(DELIVERIES.c.id, sort_by_parameter_order=True), rows).scalars()
    )
    salted = _plan_links(session, pushes, rows, now)
    out: list[Planned] = []
    at = 0
    for push in pushes:
        task = tasks[push["task_id"]]
        groups = links[task.id]
        entry = _entry(task, push["id"], push["fire_at"], rows[at]["claim_rank"], task.updated_at, tokens)
        content = salted.get(push["id"], push["content"])
        by_variant: dict[str | None, dict[str, Any]] = {}
        for (group_id, channel, _members, name, ref, person, person_name), row in zip(
            groups, rows[at : at + len(groups)], strict=True
        ):
            variant = row["variant"]
            if variant not in by_variant:
                by_variant[variant] = variants.content_for(content, variant)
            entry.items.append(
                Claimed(
                    id=next(ids),
                    push_id=entry.push_id,
                    task_id=task.id,
                    group_id=group_id,
                    group_name=name,
                    channel=channel,
                    ref=ref,
                    content=by_variant[variant],
                    attempts=1,  # the fire counts the attempt
                    claim_rank=row["claim_rank"],
                    fire_at=entry.fire_at,
                    lease_token=entry.token,
                    owner=person or "",
                    owner_name=person_name or "",
                )
            )
        at += len(groups)
        out.append(entry)
    return out


def _entry(task: Task, push_id: str, fire_at: datetime, rank: int, seen: datetime, tokens: Any) -> Planned:
    """A planned push of `task` to hold in memory (its deliveries are added by the caller)."""
    return Planned(
        push_id=push_id,
        task_id=task.id,
        org_id=task.org_id,
        fire_at=fire_at,
        rank=rank,
        content_version=task.content_version,
        seen=seen,
        next_fire=recurrence.next_fire(rule_of(task), fire_at),
        grace_s=task.misfire_grace_seconds,
        token=tokens(),
    )


def _plan_links(
    session: Session, pushes: list[dict[str, Any]], rows: list[dict[str, Any]], now: datetime
) -> dict[str, dict[str, Any]]:
    """Write each planned group's short links (issue 19) as `create_push` does; only pushes that carry a link.

    Returns the content of each push that got links (with the salt its groups' codes derive from).
    """
    wanted = [
        p["id"]
        for p in pushes
        if any(link_rules.originals(c) for c in (variants.contents(p["content"]) or {None: p["content"]}).values())
    ]
    if not wanted:
        return {}
    by_push: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_push.setdefault(row["push_id"], []).append(row)
    salted: dict[str, dict[str, Any]] = {}
    for push in session.scalars(select(Push).where(Push.id.in_(wanted))):
        # The push's content gets the links' salt (written at the commit); the sends carry it.
        tracked_links.plan(session, push, by_push.get(push.id, []), now, variants.contents(push.content))
        salted[push.id] = push.content
    return salted


def load(session: Session, push_ids: list[str], owner: str, tokens: Any) -> list[Planned]:
    """Read back planned pushes whose deliveries `owner` holds (taken over, or held before a restart)."""
    if not push_ids:
        return []
    found = session.execute(
        claimed_rows(Push.content_version, Push.created_at)
        .where(Delivery.push_id.in_(push_ids), Delivery.state == PLANNED, Delivery.lease_token == owner)
        .order_by(Delivery.push_id, Delivery.id)
    ).all()
    contents = Contents(session, {row[1] for row in found})
    wanted = {row[2] for row in found}
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(wanted)))} if wanted else {}
    out: dict[str, Planned] = {}
    for row in found:
        version, created = row[-2:]
        claimed = to_claimed(row, "", contents, attempts=1)  # the lease token is the entry's, set below
        entry = out.get(claimed.push_id)
        if entry is None:
            task = tasks.get(claimed.task_id)
            if task is None:
                continue
            # Seen as of the plan: a task written since is planned afresh by the fire's check.
            entry = out[claimed.push_id] = _entry(
                task, claimed.push_id, claimed.fire_at, claimed.claim_rank, created, tokens
            )
            entry.content_version = version
        entry.items.append(dataclasses.replace(claimed, lease_token=entry.token))
    return list(out.values())


def _rows(session: Session, stmt: Any) -> int:
    """Run a DML statement on the session's connection (Core: no ORM bulk machinery); rows changed."""
    return int(session.connection().execute(stmt).rowcount)


def _per(values: dict[str, Any], key: Any, type_: Any = None) -> Any:
    """One value for each key (a CASE), or the value itself when there is one."""
    if type_ is not None:
        values = {k: literal(v, type_) for k, v in values.items()}
    if len(values) == 1:
        return next(iter(values.values()))
    return case(values, value=key)


class Mismatch(Exception):
    """A batch fire did not move every row it expected: fire its pushes one by one instead."""


def fire_all(
    session: Session, entries: list[Planned], now: datetime, owner: str, lease_for: timedelta, to_memory: set[str]
) -> None:
    """Fire several planned pushes in one transaction (the common case); raise Mismatch if any is off.

    The deliveries of `to_memory` pushes become `sending` under each push's token (sent from memory
    at once); the others `pending`, for any worker's ordinary claim (a burst bigger than the worker
    holds in memory).
    """
    if len(entries) == 1 and entries[0].push_id in to_memory:
        _fire_single(session, entries[0], now, owner, lease_for)
        return
    seen = _per({e.push_id: e.seen for e in entries}, Push.id, Task.updated_at.type)
    checked = select(Push.id).where(Push.id == Delivery.push_id, *_as_planned(seen)).exists()
    owned = and_(Delivery.state == PLANNED, Delivery.lease_token == owner, checked)
    memory = [e for e in entries if e.push_id in to_memory]
    later = [e for e in entries if e.push_id not in to_memory]
    moved = 0
    if memory:
        tokens = {e.push_id: e.token for e in memory}
        # The one statement that fires: planned → sending, only while the task is as it was planned.
        moved += _rows(
            session,
            update(Delivery)
            .where(Delivery.push_id.in_(list(tokens)), owned)
            .values(
                state="sending",
                lease_token=_per(tokens, Delivery.push_id),
                lease_expires_at=now + lease_for,
                attempts=Delivery.attempts + 1,
                first_attempt_at=now,
                last_attempt_at=now,
                updated_at=now,
            ),
        )
    if later:
        moved += _rows(
            session,
            update(Delivery)
            .where(Delivery.push_id.in_([e.push_id for e in later]), owned)
            .values(state="pending", lease_token=None, next_attempt_at=now, updated_at=now),
        )
    if moved != sum(len(e.items) for e in entries):
        raise Mismatch
    by_task = {e.task_id: e for e in entries}
    nexts = {t: e.next_fire for t, e in by_task.items()}
    push_of = {t: e.push_id for t, e in by_task.items()}
    shown = {t: e.next_fire or e.fire_at for t, e in by_task.items()}
    done = _rows(
        session,
        update(Task)
        .where(Task.id.in_(list(by_task)), Task.status == "scheduled", Task.deleted_at.is_(None))
        .values(
            status="running",
            next_fire_at=_per(nexts, Task.id, Task.next_fire_at.type),
            display_time=_per(shown, Task.id, Task.display_time.type),
            last_push_id=_per(push_of, Task.id),
        ),
    )
    if done != len(by_task):
        raise Mismatch
    _rows(
        session,
        update(Push).where(Push.id.in_([e.push_id for e in entries]), Push.status == PLANNED).values(status="running"),
    )


def _fire_single(session: Session, entry: Planned, now: datetime, owner: str, lease_for: timedelta) -> None:
    """`fire_all` of one push sent from memory (nearly every fire): statements built and compiled once.

    On MariaDB/MySQL it is one multi-table UPDATE (deliveries, their task and their push, each row
    changed only when all are as planned), so the fire costs one round trip and the commit; SQLite,
    which has no multi-table UPDATE and no network between, runs the three statements in turn.
    """
    params = {
        "p_push": entry.push_id,
        "p_owner": owner,
        "p_seen": entry.seen,
        "p_token": entry.token,
        "p_expires": now + lease_for,
        "p_now": now,
        "p_task": entry.task_id,
        "p_next": entry.next_fire,
        "p_shown": entry.next_fire or entry.fire_at,
    }
    conn = session.connection()
    if conn.dialect.name in ("mysql", "mariadb"):
        # With the client's FOUND_ROWS flag (SQLAlchemy sets it) the count is of rows matched: every
        # delivery, the task and the push — or none, when the task changed since its plan.
        if conn.execute(_one_statement(), params).rowcount != len(entry.items) + 2:
            raise Mismatch
        return
    to_sending, task_running, push_running = _single_statements()
    if conn.execute(to_sending, params).rowcount != len(entry.items):
        raise Mismatch
    if conn.execute(task_running, params).rowcount != 1:
        raise Mismatch
    conn.execute(push_running, params)


def _to_sending() -> dict[Any, Any]:
    """What a fire sets on each delivery: sending, under the push's own lease token."""
    return {
        Delivery.state: "sending",
        Delivery.lease_token: bindparam("p_token"),
        Delivery.lease_expires_at: bindparam("p_expires", type_=Delivery.lease_expires_at.type),
        Delivery.attempts: Delivery.attempts + 1,
        Delivery.first_attempt_at: bindparam("p_now", type_=Delivery.first_attempt_at.type),
        Delivery.last_attempt_at: bindparam("p_now", type_=Delivery.last_attempt_at.type),
        Delivery.updated_at: bindparam("p_now", type_=Delivery.updated_at.type),
    }


def _to_running() -> dict[Any, Any]:
    """What a fire sets on the task: running, its next occurrence, the push it is on."""
    return {
        Task.status: "running",
        Task.next_fire_at: bindparam("p_next", type_=Task.next_fire_at.type),
        Task.display_time: bindparam("p_shown", type_=Task.display_time.type),
        Task.last_push_id: bindparam("p_push"),
    }


def _as_planned(seen: Any) -> list[Any]:
    """The push's task is still as planned: scheduled, not deleted, the push's content version and fire
    time, and no write since `seen` (the task's `updated_at` when planned). Every fire checks this."""
    return [
        Task.id == Push.task_id,
        Task.status == "scheduled",
        Task.deleted_at.is_(None),
        Task.content_version == Push.content_version,
        Task.next_fire_at == Push.fire_at,
        Task.updated_at <= seen,
    ]


_SEEN = bindparam("p_seen", type_=Task.updated_at.type)


@functools.cache
def _one_statement() -> Any:
    """The fire as one multi-table UPDATE (MariaDB/MySQL)."""
    return (
        update(Delivery)
        .where(
            Delivery.push_id == bindparam("p_push"),
            Delivery.state == PLANNED,
            Delivery.lease_token == bindparam("p_owner"),
            Push.id == Delivery.push_id,
            Push.status == PLANNED,
            *_as_planned(_SEEN),
        )
        .values({**_to_sending(), **_to_running(), Push.status: "running"})
    )


@functools.cache
def _single_statements() -> tuple[Any, Any, Any]:
    """The three statements of `_fire_single` where one multi-table UPDATE is not available."""
    checked = select(Push.id).where(Push.id == Delivery.push_id, *_as_planned(_SEEN)).exists()
    to_sending = (
        update(Delivery)
        .where(
            Delivery.push_id == bindparam("p_push"),
            Delivery.state == PLANNED,
            Delivery.lease_token == bindparam("p_owner"),
            checked,
        )
        .values(_to_sending())
    )
    task_running = (
        update(Task)
        .where(Task.id == bindparam("p_task"), Task.status == "scheduled", Task.deleted_at.is_(None))
        .values(_to_running())
    )
    push_running = update(Push).where(Push.id == bindparam("p_push"), Push.status == PLANNED).values(status="running")
    return to_sending, task_running, push_running


def fire_one(session: Session, entry: Planned, now: datetime, owner: str, lease_for: timedelta, to_memory: bool) -> str:
    """Fire one planned push: "fired", "lost" (another worker holds it now) or "discarded" (re-plan)."""
    held = session.scalar(
        select(func.count()).where(
            Delivery.push_id == entry.push_id, Delivery.state == PLANNED, Delivery.lease_token == owner
        )
    )
    if not held:
        return "lost"
    late = (now - entry.fire_at).total_seconds() > entry.grace_s
    task_ok = session.scalar(select(Push.id).where(Push.id == entry.push_id, *_as_planned(entry.seen))) is not None
    if late or not task_ok:
        discard(session, entry.push_id, owner)
        return "discarded"
    try:
        with session.begin_nested():
            fire_all(session, [entry], now, owner, lease_for, {entry.push_id} if to_memory else set())
    except Mismatch:
        return "lost"
    return "fired"


def discard(session: Session, push_id: str, owner: str) -> None:
    """Drop a planned push the task no longer wants as planned; the ordinary path plans it afresh."""
    gone = _rows(
        session,
        delete(Delivery).where(Delivery.push_id == push_id, Delivery.state == PLANNED, Delivery.lease_token == owner),
    )
    if gone:
        dropped = _rows(
            session,
            delete(Push).where(
                Push.id == push_id, Push.status == PLANNED, ~exists().where(Delivery.push_id == push_id)
            ),
        )
        if dropped:
            # Its short links (issue 19) go with it: the push planned afresh gets codes of its own.
            session.execute(delete(TrackedLink).where(TrackedLink.push_id == push_id))


def take_over(
    session: Session,
    owner: str,
    now: datetime,
    *,
    lease_s: float,
    horizon_s: float,
    swept: set[str],
) -> list[str]:
    """Take the planned rows of workers that died or stopped, and any left unfired past their time.

    Returns the ids of the pushes taken (the caller loads them). `swept` remembers the dead workers
    already taken over, so a dead worker costs one scan.
    """
    stale = now - timedelta(seconds=lease_s)
    recent = now - timedelta(seconds=horizon_s + lease_s + 120)
    dead = [
        wid
        for wid in session.scalars(
            select(WorkerBeat.id).where(
                WorkerBeat.id != owner,
                WorkerBeat.last_tick_at >= recent,
                (WorkerBeat.stopped.is_(True)) | (WorkerBeat.last_tick_at < stale),
            )
        )
        if wid not in swept
    ]
    taken: list[str] = []
    if dead:
        pushes = list(
            session.scalars(
                select(Delivery.push_id)
                .where(Delivery.state == PLANNED, Delivery.lease_token.in_(dead))
                .group_by(Delivery.push_id)
            )
        )
        if pushes:
            session.execute(
                update(Delivery)
                .where(Delivery.push_id.in_(pushes), Delivery.state == PLANNED, Delivery.lease_token.in_(dead))
                .values(lease_token=owner)
                .execution_options(synchronize_session=False)
            )
            taken += pushes
        swept.update(dead)
    # Rows still planned a lease after their fire time: whoever held them is not firing them.
    overdue = list(
        session.scalars(
            select(Delivery.push_id)
            .where(
                Delivery.state == PLANNED,
                Delivery.claim_rank.in_(CLAIM_RANKS),  # a range of the claim index (state, rank, …)
                Delivery.fire_at < stale,
                Delivery.lease_token != owner,
            )
            .group_by(Delivery.push_id)
            .limit(200)
        )
    )
    if overdue:
        session.execute(
            update(Delivery)
            .where(Delivery.push_id.in_(overdue), Delivery.state == PLANNED, Delivery.fire_at < stale)
            .values(lease_token=owner)
            .execution_options(synchronize_session=False)
        )
        taken += [p for p in overdue if p not in taken]
    return taken


def held_by(session: Session, owner: str) -> list[str]:
    """The planned pushes `owner` holds in the database (a worker restarted under the same id resumes them)."""
    return list(
        session.scalars(
            select(Delivery.push_id)
            .where(Delivery.state == PLANNED, Delivery.lease_token == owner)
            .group_by(Delivery.push_id)
        )
    )


def release(session: Session, owner: str) -> None:
    """Say this worker stopped, so others take its planned rows over at once (SIGTERM)."""
    session.execute(update(WorkerBeat).where(WorkerBeat.id == owner).values(stopped=True))
