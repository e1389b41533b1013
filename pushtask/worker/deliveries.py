"""Claim due deliveries with a lease, record what each send did, and recover abandoned ones.

Ownership is decided by the database: a claim marks rows `sending` with a lease token; an
outcome is written only `WHERE lease_token = <ours> AND state = 'sending'`, so a zombie worker
whose lease was taken over cannot overwrite the new owner's result.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from pushtask.channels.base import SendResult
from pushtask.domain import variants
from pushtask.models import Delivery, Group, Push, Task
from pushtask.notify import planning as notices
from pushtask.obs import metrics
from pushtask.worker import lease
from pushtask.worker.lease import skip_locked

# The table itself, for the hot path's statements: Core, not the ORM's bulk-update machinery.
DELIVERIES = cast(Table, Delivery.__table__)
PUSHES = cast(Table, Push.__table__)
TASKS = cast(Table, Task.__table__)
# A worker that stopped mid-send cannot tell whether WeChat got the message.
UNCERTAIN_ZH = "发送过程中工作进程中断，无法确认是否已送达；请在群内核对后决定是否重发"
UNCERTAIN_EN = "The worker stopped mid-send, so delivery is unknown; check the group, then resend if needed"


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker now owns until its lease expires."""

    id: int
    push_id: str
    task_id: str
    group_id: str
    group_name: str
    channel: str
    ref: str
    content: dict[str, Any]
    attempts: int
    claim_rank: int
    fire_at: datetime
    lease_token: str
    owner: str = ""  # a two-phase channel's person who must act (customer group: the owner's userid)
    owner_name: str = ""


def claim(
    session: Session, token: str, now: datetime, limit: int, lease_for: timedelta, *, max_rank: int = 3
) -> list[Claimed]:
    """Take up to `limit` due deliveries (most urgent first) for this worker."""
    due = (
        select(Delivery.id)
        .where(Delivery.state == "pending", Delivery.claim_rank <= max_rank, Delivery.next_attempt_at <= now)
        .order_by(Delivery.claim_rank, Delivery.fire_at, Delivery.id)
        .limit(limit)
    )
    taken = lease.take(
        session,
        due,
        DELIVERIES,
        Delivery.id,
        Delivery.state == "pending",
        {
            "state": "sending",
            "lease_token": token,
            "lease_expires_at": now + lease_for,
            "attempts": Delivery.attempts + 1,
            "first_attempt_at": func.coalesce(Delivery.first_attempt_at, now),
            "last_attempt_at": now,
            "request_sent": None,
            "updated_at": now,
        },
    )
    if not taken:
        return []
    ids = [row[0] for row in taken]
    rows = (
        session.connection()
        .execute(
            claimed_rows()
            .where(Delivery.id.in_(ids), Delivery.lease_token == token)
            .order_by(Delivery.claim_rank, Delivery.fire_at, Delivery.id)
        )
        .all()
    )
    contents = Contents(session, {row[1] for row in rows})
    return [to_claimed(row, token, contents) for row in rows]


# What a send needs of a delivery, its push and its group, in this order: read by the claim and by a fire
# from memory (worker/ahead.load), which adds its own columns after these.
CLAIMED_COLUMNS = (
    Delivery.id,
    Delivery.push_id,
    Push.task_id,
    Delivery.group_id,
    Group.name,
    Delivery.channel,
    Group.channel_ref,
    Delivery.attempts,
    Delivery.claim_rank,
    Delivery.fire_at,
    Group.owner_userid,
    Group.owner_name,
    Delivery.variant,
)


def claimed_rows(*extra: Any) -> Select[Any]:
    """SELECT CLAIMED_COLUMNS (then `extra`) of deliveries joined to their push and group."""
    return (
        select(*CLAIMED_COLUMNS, *extra)
        .join(Push, Push.id == Delivery.push_id)
        .join(Group, Group.id == Delivery.group_id)
    )


class Contents:
    """The content of each push of a set of deliveries, read once per push (not with every delivery
    row: a push to 100 groups would decrypt and parse the same content 100 times), and each A/B
    variant's content derived once."""

    def __init__(self, session: Session, push_ids: Iterable[str]) -> None:
        wanted = list(set(push_ids))
        self._pushes: dict[str, dict[str, Any]] = (
            dict(session.connection().execute(select(Push.id, Push.content).where(Push.id.in_(wanted))).tuples().all())
            if wanted
            else {}
        )
        self._variants: dict[tuple[str, str | None], dict[str, Any]] = {}

    def __call__(self, push_id: str, variant: str | None) -> dict[str, Any]:
        found = self._variants.get((push_id, variant))
        if found is None:
            # A/B: the group's own variant (issue 19)
            found = self._variants[(push_id, variant)] = variants.content_for(self._pushes[push_id], variant)
        return found


def to_claimed(row: Sequence[Any], token: str, contents: Contents, attempts: int | None = None) -> Claimed:
    """A `claimed_rows` row as the delivery a worker holds under `token`."""
    i, p, t, g, n, c, r, a, k, f, owner, owner_name, variant = row[: len(CLAIMED_COLUMNS)]
    return Claimed(
        id=i,
        push_id=p,
        task_id=t,
        group_id=g,
        group_name=n,
        channel=c,
        ref=r,
        content=contents(p, variant),
        attempts=a if attempts is None else attempts,
        claim_rank=k,
        fire_at=f,
        lease_token=token,
        owner=owner or "",
        owner_name=owner_name or "",
    )


@dataclass(frozen=True)
class Outcome:
    delivery: Claimed
    result: SendResult
    # When the send returned; results are written a little later, in batches.
    at: datetime | None = None


def record(
    session: Session, outcomes: Iterable[Outcome], now: datetime, draw: Callable[[], float] = random.random
) -> set[str]:
    """Write each send's result; schedule retries; return the ids of the pushes touched."""
    touched: set[str] = set()
    first_sent: dict[str, datetime] = {}
    sent: list[Outcome] = []
    awaiting: list[Outcome] = []
    for outcome in outcomes:
        touched.add(outcome.delivery.push_id)
        if outcome.result.awaiting:
            awaiting.append(outcome)  # a two-phase channel accepted it; a person must still confirm
        elif outcome.result.sent:
            sent.append(outcome)
            at = outcome.at or now
            first_sent[outcome.delivery.push_id] = min(at, first_sent.get(outcome.delivery.push_id, at))
            metrics.observe_delivery(True, False, outcome.delivery.fire_at, at)
        else:
            _record_failure(session, outcome, now, draw)
    if sent:
        _record_sent(session, sent, now)
    if awaiting:
        from pushtask.worker import confirmations

        confirmations.record_awaiting(session, awaiting, now)
    pushes = PUSHES.c
    for push_id, at in first_sent.items():
        session.connection().execute(
            update(PUSHES).where(pushes.id == push_id, pushes.first_sent_at.is_(None)).values(first_sent_at=at)
        )
    return touched


# Only `?` markers are put into it, per batch size; every value is a bound parameter.
_SENT = (
    "UPDATE t_deliveries SET state = 'sent', sent_at = CASE id {pairs} END,"
    " msgids = CASE id {pairs} END, errcode = NULL, error_zh = NULL, error_en = NULL,"
    " lease_token = NULL, lease_expires_at = NULL, updated_at = ?"
    # Only rows still leased by the claim that sent them: a zombie's late result changes nothing.
    " WHERE (id, lease_token) IN ({owned}) AND state = 'sending'"
)


def _record_sent(session: Session, sent: list[Outcome], now: datetime) -> None:
    """Mark many deliveries sent in one statement (the common case, so it must be cheap).

    The statement is written out for the driver: its shape changes with every batch size, and
    SQLAlchemy would build, cache-key and compile a CASE of hundreds of literals for each batch
    (py-spy on `bench.scheduler throughput`: result writes fell from ~12 % of the worker's CPU to ~5 %).
    """
    conn = session.connection()
    when = _bind_time(conn.dialect)
    whens: list[Any] = []
    msgids: list[Any] = []
    owned: list[Any] = []
    for o in sent:
        d = o.delivery
        whens += (d.id, when(o.at or now))
        msgids += (d.id, ",".join(o.result.msgids)[:512] or None)
        owned += (d.id, d.lease_token)
    n = len(sent)
    sql = _SENT.format(pairs=" ".join(["WHEN ? THEN ?"] * n), owned=", ".join(["(?, ?)"] * n))
    driver_sql(conn, sql, [*whens, *msgids, when(now), *owned])


@functools.cache
def _bind_time(dialect: Any) -> Callable[[datetime], Any]:
    """A UTC column's value as its driver takes it (naive UTC; SQLite's text form): SQLAlchemy's own processor."""
    process = DELIVERIES.c.sent_at.type.bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def driver_sql(conn: Connection, sql: str, params: Sequence[Any]) -> int:
    """Run `sql` written with `?` markers straight on the driver (no statement building); rows changed."""
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    return int(conn.exec_driver_sql(sql, tuple(params)).rowcount)


def _record_failure(session: Session, outcome: Outcome, now: datetime, draw: Callable[[], float]) -> None:
    d, r = outcome.delivery, outcome.result
    owned = and_(Delivery.id == d.id, Delivery.lease_token == d.lease_token, Delivery.state == "sending")
    values: dict[str, Any] = {
        "lease_token": None,
        "lease_expires_at": None,
        "updated_at": now,
        "errcode": r.errcode,
        "error_zh": r.reason_zh or r.errmsg,
        "error_en": r.reason_en or r.errmsg,
        "request_sent": r.request_sent,
    }
    step = lease.after_failure(d.attempts, r, draw())
    if step.state == "pending":
        assert step.delay_s is not None
        values.update(state="pending", next_attempt_at=now + timedelta(seconds=step.delay_s))
        if not step.counts_attempt:
            values["attempts"] = Delivery.attempts - 1
    else:
        values.update(state=step.state)
    session.connection().execute(update(DELIVERIES).where(owned).values(**values))
    metrics.observe_delivery(False, values.get("state") == "pending", d.fire_at, now)


# Every claim_rank a delivery may have (4 - priority, priority 1..3), named so the earliest retry's read is
# a range over (state, claim_rank) of the claim index, the one state-led index of t_deliveries.
CLAIM_RANKS = (1, 2, 3)


def earliest_retry(session: Session) -> datetime | None:
    """When the earliest pending delivery may be tried (None: none pending): how long an idle worker may sleep.

    next_attempt_at is the claim index's last column, so its MIN cannot be read off an end of the index:
    this reads, index only, the pending rows of each rank (retries, and bursts larger than memory): a
    range of the claim index instead of an index of its own (bench/README.md, "Query plans").
    """
    return session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.state == "pending", Delivery.claim_rank.in_(CLAIM_RANKS)
        )
    )


def recover_expired(session: Session, now: datetime, deduplicating: set[str], limit: int = 500) -> int:
    """Deal with deliveries whose worker died mid-send; return how many.

    Where the channel drops repeats, the delivery is simply sent again; elsewhere a resend could
    show the message twice, so it becomes "uncertain" and waits for a person to decide.
    """
    # No index on lease_expires_at (0017): the sending rows, bounded by the sends in flight, are read
    # through the claim index (state first) and the lease filtered on each.
    query = (
        select(Delivery.id, Delivery.channel, Delivery.push_id)
        .where(Delivery.state == "sending", Delivery.lease_expires_at < now)
        .limit(limit)
    )
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).all()
    for delivery_id, channel, _push_id in rows:
        expired = and_(Delivery.id == delivery_id, Delivery.state == "sending", Delivery.lease_expires_at < now)
        if channel in deduplicating:
            values: dict[str, Any] = {"state": "pending", "next_attempt_at": now}
        else:
            values = {"state": "uncertain", "error_zh": UNCERTAIN_ZH, "error_en": UNCERTAIN_EN}
        session.execute(
            update(Delivery).where(expired).values(lease_token=None, lease_expires_at=None, updated_at=now, **values)
        )
    return len(rows)


@dataclass(frozen=True)
class Finished:
    """A push `finalize` just closed, as its result notice reads it (`notify.planning.PushFacts`)."""

    id: str
    task_id: str
    fire_at: datetime
    sent_count: int


def finalize(session: Session, now: datetime, push_ids: Iterable[str] | None = None, limit: int = 200) -> int:
    """Close pushes with nothing left pending or sending; set counts and the task's status; how many closed.

    Every push passes here once, so its cost is paid per occurrence: Core statements built once (no
    ORM objects, no statement building per push). The push leaves `running` by a conditional UPDATE,
    and only the finisher whose UPDATE changed it tells anyone, so two workers finishing the same push
    at once send one result notice.
    """
    conn = session.connection()
    s = _finishing()
    if push_ids is None:
        found = conn.execute(s.finishable.limit(limit)).all()
    else:
        found = [row for push_id in push_ids for row in conn.execute(s.finishable_one, {"push_id": push_id}).all()]
    closed = 0
    for push_id, task_id, org_id, fire_at in found:
        counts: dict[str, int] = dict(conn.execute(s.counts, {"push_id": push_id}).tuples().all())
        sent, failed = counts.get("sent", 0), counts.get("failed", 0)
        status = "failed" if failed else "completed"
        values = {
            "push_id": push_id,
            "sent": sent,
            "failed": failed,
            # Unconfirmed groups (no one confirmed a two-phase send in time) are uncertain, not failed.
            "uncertain": counts.get("uncertain", 0) + counts.get("unconfirmed", 0),
            "status": status,
            "now": now,
        }
        if not conn.execute(s.close, values).rowcount:
            continue  # another worker closed it in the meantime
        notices.on_push_finished(session, Finished(push_id, task_id, fire_at, sent), now, counts=counts, exclusive=True)
        # Only a task still marked running follows its push; a pause in the meantime wins. Through the
        # session, naming the organisation: the task list's cached pages of that organisation are stale now
        # (services/task_list.track_writes).
        session.execute(
            s.follow.execution_options(org_id=org_id),
            {"task_id": task_id, "push_id": push_id, "status": status, "now": now},
        )
        closed += 1
    return closed


@dataclass(frozen=True)
class _Finishing:
    finishable: Select[Any]
    finishable_one: Select[Any]
    counts: Select[Any]
    close: Any
    follow: Any


@functools.cache
def _finishing() -> _Finishing:
    """`finalize`'s statements, built once."""
    p, d, t = PUSHES.c, DELIVERIES.c, TASKS.c
    open_work = select(d.id).where(d.push_id == p.id, d.state.in_(("pending", "sending"))).exists()
    finishable = select(p.id, p.task_id, p.org_id, p.fire_at).where(p.status == "running", ~open_work)
    return _Finishing(
        finishable=finishable,
        finishable_one=finishable.where(p.id == bindparam("push_id")),
        counts=select(d.state, func.count()).where(d.push_id == bindparam("push_id")).group_by(d.state),
        close=update(PUSHES)
        .where(p.id == bindparam("push_id"), p.status == "running")
        .values(
            sent_count=bindparam("sent"),
            failed_count=bindparam("failed"),
            uncertain_count=bindparam("uncertain"),
            status=bindparam("status"),
            finished_at=bindparam("now", type_=p.finished_at.type),
        ),
        follow=update(TASKS)
        .where(t.id == bindparam("task_id"), t.status == "running", t.last_push_id == bindparam("push_id"))
        .values(
            status=case((t.next_fire_at.is_not(None), "scheduled"), else_=bindparam("status")),
            updated_at=bindparam("now", type_=t.updated_at.type),
        ),
    )
