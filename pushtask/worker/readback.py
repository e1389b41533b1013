"""Read back uncertain deliveries: ask the channels that can what became of them.

A delivery ends `uncertain` when its send timed out, got a 5xx, or its worker died mid-send on a
channel that does not drop repeats. Where the channel can find out later (`channels.base.ReadBack`:
the WeCom customer-group mass-send records, a bridge that remembers its idempotency keys), the
housekeeping asks it on a schedule (`next_check`: 1 min, 5 min, 15 min, 1 h and 6 h after the
attempt, then a person decides) and resolves the delivery:

- "sent": it arrived (the sent time is the channel's);
- "failed": it certainly did not, with the channel's reason; eligible for resend;
- "awaiting_confirmation": the two-phase job exists after all; the confirmation rounds take over.

Each resolution is written in the task log (action `auto_verify`, "自动核实：已送达"). Channels without
the capability are never asked and their uncertain deliveries are untouched. Rows are claimed with
the engine's one lease (`worker/lease.py`), so any number of workers may run rounds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.base import Attempt, Channel, GroupTarget, Message, ReadBack, Reading, can_read_back
from pushtask.db import is_unavailable, unit_of_work
from pushtask.domain.content import fill_variables
from pushtask.domain.rendering import message_from_content
from pushtask.models import Confirmation, Delivery, Group, Organization, Push, ReadBackCheck, TaskLog, new_id
from pushtask.worker import confirmations, lease

log = logging.getLogger("pushtask.worker.readback")

# Seconds after the attempt at which the channel is asked; after the last, a person decides.
SCHEDULE_S = (60.0, 300.0, 900.0, 3600.0, 6 * 3600.0)
LEASE = timedelta(seconds=60)
BATCH = 100
EVERY = timedelta(seconds=10)  # the schedule counts in minutes: a round per housekeeping second is waste
SYSTEM_USER = "system"
ACTION = "auto_verify"
NOTES = {
    "sent": "自动核实：已送达",
    "failed": "自动核实：未送达，可重发",
    "awaiting_confirmation": "自动核实：已提交，等待群主确认",
}

Decorate = Callable[[str, str, str, datetime, dict[str, Any], Message], Message]


def next_check(attempt_at: datetime, checks: int) -> datetime | None:
    """When to ask the channel after `checks` answers of "cannot tell yet"; None once the cap is reached."""
    if checks >= len(SCHEDULE_S):
        return None
    return attempt_at + timedelta(seconds=SCHEDULE_S[checks])


# ---- finding and claiming ----------------------------------------------------------------------


def discover(session: Session, channels: Sequence[str], limit: int = 500) -> int:
    """Start a read-back for uncertain deliveries of these channels (again for one resent since)."""
    if not channels:
        return 0
    rows = session.execute(
        select(Delivery.id, Delivery.push_id, Delivery.channel, Delivery.last_attempt_at, ReadBackCheck.delivery_id)
        .outerjoin(ReadBackCheck, ReadBackCheck.delivery_id == Delivery.id)
        .where(
            Delivery.state == "uncertain",
            Delivery.channel.in_(list(channels)),
            Delivery.last_attempt_at.is_not(None),
            or_(ReadBackCheck.delivery_id.is_(None), ReadBackCheck.attempt_at != Delivery.last_attempt_at),
        )
        .limit(limit)
    ).all()
    for delivery_id, push_id, channel, attempt_at, known in rows:
        values: dict[str, Any] = {
            "push_id": push_id,
            "channel": channel,
            "attempt_at": attempt_at,
            "check_at": next_check(attempt_at, 0),
            "checks": 0,
            "lease_token": None,
            "outcome": None,
            "resolved_at": None,
        }
        if known is not None:
            session.execute(update(ReadBackCheck).where(ReadBackCheck.delivery_id == delivery_id).values(**values))
            continue
        try:
            with session.begin_nested():
                session.add(ReadBackCheck(delivery_id=delivery_id, **values))
        except IntegrityError:
            pass  # another worker started this one first
    return len(rows)


@dataclass(frozen=True)
class Due:
    """A claimed read-back: the delivery as it was attempted."""

    delivery_id: int
    push_id: str
    task_id: str
    org_id: str
    group_id: str
    group_name: str
    attempt_at: datetime
    checks: int
    attempt: Attempt


def claim_due(
    session: Session, token: str, now: datetime, decorate: Decorate | None = None, limit: int = BATCH
) -> list[Due]:
    """Take read-backs whose time has come, under a lease (see `worker/lease.py`)."""
    is_due = and_(ReadBackCheck.check_at.is_not(None), ReadBackCheck.check_at <= now)
    query = (
        select(ReadBackCheck.delivery_id)
        .where(is_due)
        .order_by(ReadBackCheck.check_at, ReadBackCheck.delivery_id)
        .limit(limit)
    )
    if not lease.take(
        session,
        query,
        ReadBackCheck,
        ReadBackCheck.delivery_id,
        is_due,
        {"lease_token": token, "check_at": now + LEASE},
    ):
        return []
    rows = session.execute(
        select(
            ReadBackCheck.delivery_id,
            ReadBackCheck.attempt_at,
            ReadBackCheck.checks,
            Delivery.state,
            Delivery.last_attempt_at,
            Delivery.push_id,
            Delivery.group_id,
            Delivery.channel,
            Push.task_id,
            Push.org_id,
            Push.content,
            Push.fire_at,
            Group.name,
            Group.channel_ref,
            Group.owner_userid,
            Group.owner_name,
        )
        .join(Delivery, Delivery.id == ReadBackCheck.delivery_id)
        .join(Push, Push.id == Delivery.push_id)
        .join(Group, Group.id == Delivery.group_id)
        .where(ReadBackCheck.lease_token == token)
        .order_by(ReadBackCheck.delivery_id)
    ).all()
    out: list[Due] = []
    for row in rows:
        if row.state != "uncertain" or row.last_attempt_at != row.attempt_at:
            # Decided meanwhile (marked sent, resent): nothing to ask.
            session.execute(
                update(ReadBackCheck)
                .where(ReadBackCheck.delivery_id == row.delivery_id, ReadBackCheck.lease_token == token)
                .values(lease_token=None, check_at=None)
            )
            continue
        target = GroupTarget(
            group_id=row.group_id,
            name=row.name,
            channel=row.channel,
            ref=row.channel_ref,
            owner=row.owner_userid or "",
            owner_name=row.owner_name or "",
            delivery_key=f"{row.push_id}:{row.group_id}",
        )
        # The message exactly as the worker built it for this group (variables, feedback link).
        content = fill_variables(row.content, row.name, _local_date(row.fire_at, row.content))
        message = message_from_content(content)
        if decorate is not None:
            message = decorate(row.task_id, row.group_id, row.push_id, row.fire_at, content, message)
        out.append(
            Due(
                delivery_id=row.delivery_id,
                push_id=row.push_id,
                task_id=row.task_id,
                org_id=row.org_id,
                group_id=row.group_id,
                group_name=row.name,
                attempt_at=row.attempt_at,
                checks=row.checks,
                attempt=Attempt(target, message, row.attempt_at.timestamp()),
            )
        )
    return out


def _local_date(fire_at: datetime, content: dict[str, Any]) -> date:
    zone = str(content.get("timezone") or "Asia/Shanghai")
    try:
        return fire_at.astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return fire_at.date()


# ---- asking and writing ------------------------------------------------------------------------


async def ask(dues: Sequence[Due], channel_of: Callable[[str], Channel | None]) -> list[Reading | None]:
    """Ask each delivery's channel; a channel that raises or is gone answers "cannot tell yet"."""
    out: list[Reading | None] = []
    for due in dues:
        found = channel_of(due.attempt.target.channel)
        if not can_read_back(found):
            out.append(None)
            continue
        channel: ReadBack = found  # type: ignore[assignment]
        try:
            out.append(await channel.read_back(due.attempt))
        except Exception:  # a channel bug must not stop the engine; asked again on schedule
            log.exception("read back on %s raised", due.attempt.target.channel)
            out.append(None)
    return out


@dataclass(frozen=True)
class Resolution:
    delivery_id: int
    state: str  # sent | failed | awaiting_confirmation | uncertain (not known yet, or the cap reached)


def settle(
    session: Session, token: str, dues: Sequence[Due], outcomes: Sequence[Reading | None], now: datetime
) -> list[Resolution]:
    """Write each answer where our lease still holds; log what was resolved; recount the pushes."""
    out: list[Resolution] = []
    touched: set[str] = set()
    for due, outcome in zip(dues, outcomes, strict=True):
        owned = and_(ReadBackCheck.delivery_id == due.delivery_id, ReadBackCheck.lease_token == token)
        state = outcome.state if outcome is not None else ""
        if state not in NOTES:
            after = next_check(due.attempt_at, due.checks + 1)
            done = session.execute(
                update(ReadBackCheck)
                .where(owned)
                .values(
                    lease_token=None,
                    checks=due.checks + 1,
                    check_at=after,
                    outcome=None if after is not None else "gave_up",
                    resolved_at=None if after is not None else now,
                )
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if done:
                out.append(Resolution(due.delivery_id, "uncertain"))
            continue
        assert outcome is not None
        if not session.execute(
            update(ReadBackCheck)
            .where(owned)
            .values(lease_token=None, checks=due.checks + 1, check_at=None, outcome=state, resolved_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount:  # type: ignore[attr-defined]
            continue  # our lease ran out; another worker asked again
        if not _resolve(session, due, outcome, now):
            continue  # a person decided meanwhile
        _log(session, due, state, now)
        touched.add(due.push_id)
        out.append(Resolution(due.delivery_id, state))
        log.info("read back: delivery %s", state, extra={"delivery_id": due.delivery_id, "push_id": due.push_id})
    confirmations.recount(session, touched, now)
    return out


def _resolve(session: Session, due: Due, outcome: Reading, now: datetime) -> bool:
    still = and_(
        Delivery.id == due.delivery_id, Delivery.state == "uncertain", Delivery.last_attempt_at == due.attempt_at
    )
    values: dict[str, Any] = {"state": outcome.state, "updated_at": now}
    if outcome.state == "sent":
        at = datetime.fromtimestamp(outcome.sent_at, UTC) if outcome.sent_at else now
        values.update(sent_at=at, errcode=None, error_zh=None, error_en=None)
    elif outcome.state == "failed":
        values.update(errcode=outcome.errcode, error_zh=outcome.reason_zh or None, error_en=outcome.reason_en or None)
    else:
        values.update(msgids=outcome.external_ref[:512] or None, errcode=None, error_zh=None, error_en=None)
    changed = session.execute(
        update(Delivery).where(still).values(**values).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if changed and outcome.state == confirmations.AWAITING:
        _await_owner(session, due, outcome, now)
    return bool(changed)


def _await_owner(session: Session, due: Due, outcome: Reading, now: datetime) -> None:
    """The mass send exists after all: hand the delivery to the confirmation rounds."""
    deadline_s, remind_s = session.execute(
        select(Organization.confirm_deadline_s, Organization.confirm_remind_s).where(Organization.id == due.org_id)
    ).one()
    accepted = due.attempt_at
    deadline = accepted + timedelta(seconds=deadline_s)
    check_after = outcome.check_after_s if outcome.check_after_s is not None else 120.0
    session.execute(delete(Confirmation).where(Confirmation.delivery_id == due.delivery_id))
    session.add(
        Confirmation(
            delivery_id=due.delivery_id,
            push_id=due.push_id,
            channel=due.attempt.target.channel,
            external_ref=outcome.external_ref[:128],
            owner=due.attempt.target.owner[:64],
            detail_zh=outcome.detail_zh[:255],
            detail_en=outcome.detail_en[:255],
            accepted_at=accepted,
            deadline_at=deadline,
            check_at=min(now + timedelta(seconds=check_after), deadline),
            checks=0,
            remind_at=max(now, accepted + timedelta(seconds=remind_s)) if remind_s > 0 else None,
            reminders=0,
        )
    )


def _log(session: Session, due: Due, state: str, now: datetime) -> None:
    session.add(
        TaskLog(
            id=new_id(),
            task_id=due.task_id,
            org_id=due.org_id,
            action=ACTION,
            user_id=SYSTEM_USER,
            changes={
                "pushId": {"old": None, "new": due.push_id},
                f"group:{due.group_name}": {"old": "uncertain", "new": state},
                "note": {"old": None, "new": NOTES[state]},
            },
            created_at=now,
        )
    )


# ---- one round, and the worker's handle on it --------------------------------------------------


async def run_round(
    sessions: sessionmaker[Session],
    channel_of: Callable[[str], Channel | None],
    channels: Sequence[str],
    now: datetime,
    token: Callable[[], str],
    *,
    decorate: Decorate | None = None,
) -> list[Resolution]:
    """Start read-backs for new uncertain deliveries, then ask the due ones; repeat while full."""

    def begin() -> None:
        with unit_of_work(sessions) as session:
            discover(session, channels)

    def claim(claim_token: str) -> list[Due]:
        with unit_of_work(sessions) as session:
            return claim_due(session, claim_token, now, decorate)

    def write(claim_token: str, dues: list[Due], outcomes: list[Reading | None]) -> list[Resolution]:
        with unit_of_work(sessions) as session:
            return settle(session, claim_token, dues, outcomes, now)

    await asyncio.to_thread(begin)
    out: list[Resolution] = []
    while True:
        claim_token = token()
        dues = await asyncio.to_thread(claim, claim_token)
        if not dues:
            break
        outcomes = await ask(dues, channel_of)
        out += await asyncio.to_thread(write, claim_token, dues, outcomes)
        if len(dues) < BATCH:
            break
    return out


class Verifier:
    """The worker's read-back rounds, beside its cycle (a slow channel never delays a push)."""

    def __init__(self, sessions: sessionmaker[Session], sender: Any, owner: str, decorate: Decorate | None = None):
        self._sessions = sessions
        self._sender = sender
        self._owner = owner
        self._decorate = decorate
        self._count = 0
        self._names: list[str] | None = None
        self._task: asyncio.Task[list[Resolution]] | None = None
        self._deferred: datetime | None = None
        self._last: datetime | None = None

    def _channel(self, name: str) -> Channel | None:
        lookup = getattr(self._sender, "channel", None)  # a test's fake sender may have none
        return lookup(name) if lookup is not None else None

    def channels(self) -> list[str]:
        """The configured channels that can read back (none: the rounds cost nothing)."""
        if self._names is None:
            names: list[str] = getattr(getattr(self._sender, "registry", None), "names", lambda: [])()
            self._names = [n for n in names if can_read_back(self._channel(n))]
        return self._names

    def _token(self) -> str:
        self._count += 1
        return f"{self._owner}:r{self._count}"

    def kick(self, now: datetime, *, defer: bool = False) -> None:
        """Start a round unless one is running or no channel can read back; `defer`: at `settle`."""
        if not self.channels() or (self._task is not None and not self._task.done()):
            return
        if self._last is not None and self._last <= now < self._last + EVERY:
            return
        self._last = now
        if defer:
            self._deferred = now  # a stepped worker: one database call at a time
            return
        self._task = asyncio.create_task(self._round(now))

    async def _round(self, now: datetime) -> list[Resolution]:
        try:
            return await run_round(
                self._sessions, self._channel, self.channels(), now, self._token, decorate=self._decorate
            )
        except Exception as exc:  # noqa: BLE001 — the database away or a bug: tried again next housekeeping
            log.warning("read-back round failed: %s", exc, exc_info=not is_unavailable(exc))
            return []

    async def settle(self, timeout: float | None = None) -> None:
        """Run a deferred round; wait for the running one (a stepped worker, and the drain on stop)."""
        if self._deferred is not None:
            now, self._deferred = self._deferred, None
            await self._round(now)
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=timeout)
