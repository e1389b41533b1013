"""Two-phase deliveries: accepted by the channel, confirmed (or not) by a person later.

A two-phase channel (WeCom customer-group mass send: the group owner taps 发送 in the WeCom
client) answers a send with `awaiting=True` and its own job id. The engine then:

1. records the delivery `awaiting_confirmation` and a `t_confirmations` row (external ref,
   owner, what is awaited, deadline, when to check and when to remind);
2. claims due rows with the same lease code as every other send (`worker/lease.py`) and asks
   the channel `check` on the schedule the channel sets (default: every 2 min in the first
   hour, every 15 min until 6 h, then hourly), `remind` when the organisation's reminder delay
   has passed, and `cancel` when the task was paused, edited or deleted meanwhile;
3. ends the delivery `sent` (at the channel's send time), `failed`, `cancelled`, or — when the
   organisation's deadline (default 24 h) passed with no answer — `unconfirmed`.

`run_round` is what the worker's housekeeping runs and what `POST /api/push/<id>/refresh` and
`/remind` run for one push: one implementation, whoever asks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.base import ActionResult, Channel, GroupTarget, Pending, Reading, TwoPhaseChannel, is_two_phase
from pushtask.db import unit_of_work
from pushtask.models import Confirmation, Delivery, Group, Organization, Push, Task
from pushtask.notify import planning
from pushtask.worker import lease

log = logging.getLogger("pushtask.worker.confirmations")

AWAITING = "awaiting_confirmation"
LEASE = timedelta(seconds=60)
BATCH = 200

UNCONFIRMED_ZH = "截止时间已过，仍未确认发送（请联系群主或重发）"
UNCONFIRMED_EN = "Nobody confirmed the send before the deadline; ask the group owner or resend"
CANCELLED_ZH = "任务已暂停、修改或删除，已撤回待确认的发送"
CANCELLED_EN = "The task was paused, edited or deleted, so the unconfirmed send was withdrawn"


def default_check_after(age_s: float) -> float:
    """When to ask again when the channel does not say: often in the first hour, then less."""
    if age_s < 3600:
        return 120.0
    if age_s < 6 * 3600:
        return 900.0
    return 3600.0


# ---- recording what a two-phase send answered ---------------------------------------------------


def record_awaiting(session: Session, outcomes: Sequence[Any], now: datetime) -> None:
    """Record deliveries a two-phase channel accepted (`deliveries.Outcome` with `result.awaiting`)."""
    ids = [o.delivery.id for o in outcomes]
    limits = {
        d: (deadline_s, remind_s)
        for d, deadline_s, remind_s in session.execute(
            select(Delivery.id, Organization.confirm_deadline_s, Organization.confirm_remind_s)
            .join(Organization, Organization.id == Delivery.org_id)
            .where(Delivery.id.in_(ids))
        )
    }
    for o in outcomes:
        d, r = o.delivery, o.result
        at: datetime = o.at or now
        owned = and_(Delivery.id == d.id, Delivery.lease_token == d.lease_token, Delivery.state == "sending")
        done = session.execute(
            update(Delivery)
            .where(owned)
            .values(
                state=AWAITING,
                msgids=r.external_ref[:512] or None,
                errcode=None,
                error_zh=None,
                error_en=None,
                lease_token=None,
                lease_expires_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not done:
            continue  # our lease ran out: another worker owns the delivery now
        deadline_s, remind_s = limits.get(d.id, (86400, 1800))
        deadline = at + timedelta(seconds=deadline_s)
        first_check = at + timedelta(seconds=r.check_after_s if r.check_after_s is not None else default_check_after(0))
        # A resend of an unconfirmed delivery starts a new job: the old row goes.
        session.execute(delete(Confirmation).where(Confirmation.delivery_id == d.id))
        session.add(
            Confirmation(
                delivery_id=d.id,
                push_id=d.push_id,
                channel=d.channel,
                external_ref=r.external_ref[:128],
                owner=(r.owner or getattr(d, "owner", "") or "")[:64],
                detail_zh=r.detail_zh[:255],
                detail_en=r.detail_en[:255],
                accepted_at=at,
                deadline_at=deadline,
                check_at=min(first_check, deadline),
                checks=0,
                remind_at=at + timedelta(seconds=remind_s) if remind_s > 0 else None,
                reminders=0,
            )
        )


# ---- claiming due checks, reminders and cancellations -------------------------------------------


@dataclass(frozen=True)
class Due:
    """An awaiting delivery this worker now owns for one check / remind / cancel."""

    delivery_id: int
    push_id: str
    group_id: str
    group_name: str
    channel: str
    ref: str
    owner: str
    external_ref: str
    accepted_at: datetime
    deadline_at: datetime
    reminders: int
    remind_s: int
    check_due: bool
    remind_due: bool
    cancel: bool  # the task was paused, edited or deleted since the push
    owner_name: str = ""  # the owner's display name from the directory ("" = unknown)

    def pending(self) -> Pending:
        target = GroupTarget(
            self.group_id, self.group_name, self.channel, self.ref, owner=self.owner, owner_name=self.owner_name
        )
        return Pending(target, self.external_ref, self.accepted_at.timestamp(), self.reminders)


def flag_cancellations(session: Session, now: datetime) -> int:
    """Make awaiting deliveries of paused, edited or deleted tasks due now (they are cancelled next)."""
    stale = list(
        session.scalars(
            select(Push.id)
            .join(Task, Task.id == Push.task_id)
            .where(
                Push.id.in_(select(Confirmation.push_id).where(Confirmation.check_at > now).distinct()),
                or_(
                    Task.status == "paused",
                    Task.deleted_at.is_not(None),
                    Task.content_version != Push.content_version,
                ),
            )
        )
    )
    if not stale:
        return 0
    result = session.execute(
        update(Confirmation)
        .where(Confirmation.push_id.in_(stale), Confirmation.check_at > now, Confirmation.lease_token.is_(None))
        .values(check_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_due(
    session: Session, token: str, now: datetime, *, push_id: str | None = None, limit: int = BATCH
) -> list[Due]:
    """Take awaiting deliveries whose check or reminder is due, under a lease (see `worker/lease.py`)."""
    is_due = or_(Confirmation.check_at <= now, Confirmation.remind_at <= now)
    query = (
        select(Confirmation.delivery_id, Confirmation.check_at, Confirmation.remind_at)
        .where(Confirmation.check_at.is_not(None), is_due)
        .order_by(Confirmation.check_at, Confirmation.delivery_id)
        .limit(limit)
    )
    if push_id is not None:
        query = query.where(Confirmation.push_id == push_id)
    leased_until = now + LEASE
    taken = lease.take(
        session,
        query,
        Confirmation,
        Confirmation.delivery_id,
        and_(Confirmation.check_at.is_not(None), is_due),
        {
            "lease_token": token,
            # Both move past `now`: nobody else takes the row until the lease runs out.
            "check_at": leased_until,
            "remind_at": case((Confirmation.remind_at <= now, leased_until), else_=Confirmation.remind_at),
        },
    )
    if not taken:
        return []
    before = {row[0]: (row[1], row[2]) for row in taken}
    rows = session.execute(
        select(
            Confirmation.delivery_id,
            Confirmation.push_id,
            Delivery.group_id,
            Group.name,
            Confirmation.channel,
            Group.channel_ref,
            Confirmation.owner,
            Confirmation.external_ref,
            Confirmation.accepted_at,
            Confirmation.deadline_at,
            Confirmation.reminders,
            Organization.confirm_remind_s,
            Task.status,
            Task.deleted_at,
            Task.content_version,
            Push.content_version,
            Group.owner_name,
        )
        .join(Delivery, Delivery.id == Confirmation.delivery_id)
        .join(Group, Group.id == Delivery.group_id)
        .join(Push, Push.id == Confirmation.push_id)
        .join(Task, Task.id == Push.task_id)
        .join(Organization, Organization.id == Push.org_id)
        .where(Confirmation.delivery_id.in_(list(before)), Confirmation.lease_token == token)
        .order_by(Confirmation.delivery_id)
    ).all()
    out = []
    for row in rows:
        check_at, remind_at = before[row[0]]
        cancel = row[12] == "paused" or row[13] is not None or row[14] != row[15]
        out.append(
            Due(
                delivery_id=row[0],
                push_id=row[1],
                group_id=row[2],
                group_name=row[3],
                channel=row[4],
                ref=row[5],
                owner=row[6],
                external_ref=row[7],
                accepted_at=row[8],
                deadline_at=row[9],
                reminders=row[10],
                remind_s=row[11],
                check_due=check_at is not None and check_at <= now,
                remind_due=remind_at is not None and remind_at <= now,
                cancel=cancel,
                owner_name=row[16] or "",
            )
        )
    return out


# ---- asking the channel -------------------------------------------------------------------------


@dataclass
class Decision:
    """What happened to one awaiting delivery in this round (and what the API reports for it)."""

    due: Due
    state: str = AWAITING  # awaiting_confirmation | sent | failed | cancelled | unconfirmed
    sent_at: datetime | None = None
    errcode: int | None = None
    reason_zh: str = ""
    reason_en: str = ""
    check_after_s: float | None = None
    detail_zh: str = ""
    detail_en: str = ""
    reminded: ActionResult | None = None  # set when a reminder was asked for


ChannelLookup = Callable[[str], Channel | None]


def _outcome_at(seconds: float | None, now: datetime) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else now


def _apply(decision: Decision, outcome: Reading, now: datetime) -> None:
    decision.state = outcome.state
    decision.errcode = outcome.errcode
    decision.reason_zh, decision.reason_en = outcome.reason_zh, outcome.reason_en
    decision.check_after_s = outcome.check_after_s
    decision.detail_zh, decision.detail_en = outcome.detail_zh, outcome.detail_en
    if outcome.state == "sent":
        decision.sent_at = _outcome_at(outcome.sent_at, now)


def _refused(reason_zh: str, reason_en: str) -> ActionResult:
    return ActionResult(ok=False, reason_zh=reason_zh, reason_en=reason_en)


async def ask(dues: Sequence[Due], channel_of: ChannelLookup, now: datetime) -> list[Decision]:
    """Ask each due delivery's channel to cancel, remind and/or check; never raises for the channel."""
    decisions = [Decision(d) for d in dues]
    by_channel: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_channel.setdefault(decision.due.channel, []).append(decision)
    for name, group in by_channel.items():
        found = channel_of(name)
        if found is None or not is_two_phase(found):
            for decision in group:
                decision.check_after_s = 300.0  # the channel is not configured here: ask again later
                if decision.due.remind_due:
                    decision.reminded = _refused(f"渠道 {name} 未配置", f"Channel {name} is not configured")
            continue
        channel: TwoPhaseChannel = found  # type: ignore[assignment]
        await _ask_channel(channel, group, now)
    return decisions


async def _ask_channel(channel: TwoPhaseChannel, group: list[Decision], now: datetime) -> None:
    try:
        cancelling = [d for d in group if d.due.cancel]
        if cancelling:
            answers = await channel.cancel([d.due.pending() for d in cancelling])
            for decision, answer in zip(cancelling, answers, strict=True):
                if answer.ok:
                    decision.state = "cancelled"
                    decision.errcode = answer.errcode
                    decision.reason_zh = answer.reason_zh or CANCELLED_ZH
                    decision.reason_en = answer.reason_en or CANCELLED_EN
        reminding = [d for d in group if d.due.remind_due and not d.due.cancel and now < d.due.deadline_at]
        if reminding:
            answers = await channel.remind([d.due.pending() for d in reminding])
            for decision, answer in zip(reminding, answers, strict=True):
                decision.reminded = answer
        # Every due delivery is checked: a reminder or a refused cancel may have changed it, and an
        # owner may have sent just before the cancel (the sent message stays sent: record it so).
        checking = [d for d in group if d.state in (AWAITING, "cancelled") and (d.due.check_due or d.due.cancel)]
        if checking:
            outcomes = await channel.check([d.due.pending() for d in checking])
            for decision, outcome in zip(checking, outcomes, strict=True):
                if decision.state == "cancelled" and outcome.state in (AWAITING, "cancelled"):
                    continue  # withdrawn: WeCom's task keeps reading "not sent" after a cancel
                _apply(decision, outcome, now)
    except Exception:  # a channel bug must not stop the engine; the rows are asked again later
        log.exception("two-phase channel %s raised", channel.name)
        for decision in group:
            if decision.state == AWAITING:
                decision.check_after_s = 300.0


# ---- writing the answers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One delivery's state after a round (what /refresh and /remind answer)."""

    delivery_id: int
    group_id: str
    group_name: str
    state: str
    reminded: ActionResult | None
    detail_zh: str = ""
    detail_en: str = ""


def settle(session: Session, token: str, decisions: Iterable[Decision], now: datetime) -> list[Report]:
    """Write each decision where our lease still holds; recount the pushes whose groups ended."""
    reports: list[Report] = []
    ended: set[str] = set()
    for d in decisions:
        due = d.due
        owned = and_(Confirmation.delivery_id == due.delivery_id, Confirmation.lease_token == token)
        conf: dict[str, Any] = {"lease_token": None}
        reminded = d.reminded
        if reminded is not None:
            if reminded.ok:
                conf.update(
                    reminders=Confirmation.reminders + 1,
                    last_reminded_at=now,
                    remind_refused_zh=None,
                    remind_refused_en=None,
                    remind_at=now + timedelta(seconds=due.remind_s) if due.remind_s > 0 else None,
                )
            else:
                # The channel's own limit (e.g. once a day per job): recorded, shown, not retried automatically.
                conf.update(
                    remind_refused_zh=(reminded.reason_zh or "提醒被拒绝")[:255],
                    remind_refused_en=(reminded.reason_en or "Reminder refused")[:255],
                    remind_at=None,
                )
        elif due.remind_due:
            conf["remind_at"] = None  # past the deadline or cancelled: no reminder
        state = d.state
        if state == AWAITING and now >= due.deadline_at:
            state = "unconfirmed"
            d.reason_zh, d.reason_en = UNCONFIRMED_ZH, UNCONFIRMED_EN
        if state == AWAITING:
            age = (now - due.accepted_at).total_seconds()
            after = d.check_after_s if d.check_after_s is not None else default_check_after(age)
            conf["check_at"] = min(now + timedelta(seconds=after), due.deadline_at)
            if d.detail_zh or d.detail_en:
                conf.update(detail_zh=d.detail_zh[:255], detail_en=d.detail_en[:255])
        else:
            conf.update(check_at=None, remind_at=None, resolved_at=now)
        if not session.execute(
            update(Confirmation).where(owned).values(**conf).execution_options(synchronize_session=False)
        ).rowcount:  # type: ignore[attr-defined]
            continue  # our lease ran out; another worker asked again
        if state != AWAITING:
            values: dict[str, Any] = {"state": state, "updated_at": now}
            if state == "sent":
                values.update(sent_at=d.sent_at or now, errcode=None, error_zh=None, error_en=None)
            else:
                values.update(errcode=d.errcode, error_zh=d.reason_zh or None, error_en=d.reason_en or None)
            session.execute(
                update(Delivery)
                .where(Delivery.id == due.delivery_id, Delivery.state == AWAITING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            ended.add(due.push_id)
            log.info("two-phase delivery %s", state, extra={"delivery_id": due.delivery_id, "push_id": due.push_id})
        reports.append(Report(due.delivery_id, due.group_id, due.group_name, state, reminded, d.detail_zh, d.detail_en))
    recount(session, ended, now)
    return reports


def recount(session: Session, push_ids: Iterable[str], now: datetime) -> None:
    """Bring finished pushes' counts (and status) up to date after awaiting groups ended."""
    for push_id in push_ids:
        push = session.get(Push, push_id)
        if push is None or push.status == "running":
            continue  # finalize counts it when the push ends
        counts: dict[str, int] = dict(
            session.execute(  # type: ignore[arg-type]
                select(Delivery.state, func.count()).where(Delivery.push_id == push_id).group_by(Delivery.state)
            ).all()
        )
        push.sent_count = counts.get("sent", 0)
        push.failed_count = counts.get("failed", 0)
        push.uncertain_count = counts.get("uncertain", 0) + counts.get("unconfirmed", 0)
        push.status = "failed" if push.failed_count else "completed"
        first = session.scalar(select(func.min(Delivery.sent_at)).where(Delivery.push_id == push_id))
        if first is not None and (push.first_sent_at is None or first < push.first_sent_at):
            push.first_sent_at = first
        if not counts.get(AWAITING):
            # The last owner has answered (or the deadline passed): tell the creator how it ended.
            planning.on_push_finished(session, push, now, kind="settled", counts=counts)


# ---- one round ----------------------------------------------------------------------------------


@dataclass
class Rounds:
    """Numbers the claim tokens of one process's rounds."""

    owner: str
    count: int = 0
    reports: list[Report] = field(default_factory=list)

    def token(self) -> str:
        self.count += 1
        return f"{self.owner}:c{self.count}"


async def run_round(
    sessions: sessionmaker[Session],
    channel_of: ChannelLookup,
    now: datetime,
    rounds: Rounds,
    *,
    push_id: str | None = None,
    to_thread: Callable[..., Any] | None = None,
) -> list[Report]:
    """Claim what is due (for one push, or all), ask the channels, write the answers; repeat while full."""

    def claim(token: str) -> list[Due]:
        with unit_of_work(sessions) as session:
            if push_id is None:
                flag_cancellations(session, now)
            return claim_due(session, token, now, push_id=push_id)

    def write(token: str, decisions: list[Decision]) -> list[Report]:
        with unit_of_work(sessions) as session:
            return settle(session, token, decisions, now)

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        return await to_thread(fn, *args) if to_thread is not None else fn(*args)

    reports: list[Report] = []
    while True:
        token = rounds.token()
        dues: list[Due] = await call(claim, token)
        if not dues:
            break
        decisions = await ask(dues, channel_of, now)
        reports += await call(write, token, decisions)
        if len(dues) < BATCH:
            break
    return reports
