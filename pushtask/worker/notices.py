"""The engine's side of notices: claim the outbox, send each notice through a Channel, record it.

`notify/` decides what to say and to whom (outbox rows); this module sends them exactly as the
engine sends a group's push: claimed with `worker/lease.take` (conditional UPDATE plus a lease
token, `SKIP LOCKED` on MariaDB/MySQL), sent outside any transaction through a `Channel`
(`channels/notices.py`: WeCom app message, mini-program subscribe message; the ops robot is the
ordinary `wecom_robot` channel), and written back only where the lease is still ours, with the
same retry rules (`lease.after_failure`). A person no channel reaches — no linked WeChat
identity, a permanent error, subscription quota used up (43101), retries exhausted — gets the
notice in the admin's inbox instead: it is never silently dropped.

Alerts go to the ops team's WeCom group robot, folded per kind: the first event of a kind is
sent at once, later ones wait for the window (PUSHTASK_ALERT_WINDOW_SECONDS) and go out as one
message that counts them — an outage yields one alert, not 500. The window is claimed with a
conditional UPDATE on `t_maintenance`, so several workers still send one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.base import Channel, GroupTarget, Message, SendResult, TemplateFields
from pushtask.channels.notices import MP_SUBSCRIBE, QUOTA_EXHAUSTED, WECOM_APP
from pushtask.channels.wecom_robot import NAME as ROBOT
from pushtask.config import Settings
from pushtask.db import unit_of_work
from pushtask.domain import links as tracked_links
from pushtask.domain.rendering import message_from_content
from pushtask.models import (
    InboxItem,
    Maintenance,
    Notification,
    NotificationSettings,
    Recipient,
    Task,
    WeChatBinding,
    WorkerBeat,
)
from pushtask.notify import feedback_token, planning, retention
from pushtask.obs import metrics
from pushtask.services import previews
from pushtask.services.previews import preview_key
from pushtask.worker import lease

log = logging.getLogger("pushtask.notify")
T = TypeVar("T")

STALL_AFTER = timedelta(minutes=2)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Channels(Protocol):
    """The notice channels by name (`wecom_app`, `mp_subscribe`, `wecom_robot`); None = not configured."""

    def get(self, name: str) -> Channel | None: ...


# A person's channel (t_recipients.channel) → the channel that reaches them.
PERSON_CHANNELS = {"wecom": WECOM_APP, "miniprogram": MP_SUBSCRIBE}


@dataclass(frozen=True)
class Planned:
    """A claimed notice and how to reach its person."""

    id: int
    lease_token: str
    type: str
    attempts: int
    payload: dict[str, Any]
    channel: str | None  # "wecom" | "miniprogram" | None (inbox straight away)
    address: str | None
    who: str  # the person's name, for the inbox when a reviewer could not be reached
    inbox_user: str | None
    org_id: str | None
    task_id: str | None


@dataclass(frozen=True)
class AlertEvent:
    id: int
    attempts: int
    text: str


@dataclass(frozen=True)
class Outcome:
    planned: Planned
    result: SendResult

    @property
    def sent(self) -> bool:
        return self.result.sent

    @property
    def error(self) -> str | None:
        r = self.result
        if r.sent:
            return None
        reason = r.reason_en or r.errmsg or "not sent"
        return f"{reason} ({r.errcode})" if r.errcode is not None else reason


def _reviewer_preview(p: Planned) -> bool:
    """A preview sent to a reviewer for a decision (queued by services.previews), not a plain notice."""
    return p.type == "preview" and "previewId" in p.payload


def _not_sent(channel: str, why: str) -> SendResult:
    """Nothing was tried (no channel for the person): straight to the inbox, no retry."""
    return SendResult(channel=channel, sent=False, errmsg=why, reason_en=why, permanent=True)


def _channel_for(
    session: Session, row: Notification, settings: NotificationSettings | None
) -> tuple[str | None, str | None, str]:
    """Return (channel, address, name) for a notice's person; channel None means the inbox."""
    wanted = (settings.channels if settings else "wecom,miniprogram,inbox").split(",")
    recipient = session.get(Recipient, row.recipient_id) if row.recipient_id else None
    if recipient is None and row.payload.get("selfTest") and row.payload.get("selfTestUser"):
        # "Send a test to myself" for a user known only by the WeChat they bound (issue 17).
        binding = session.get(WeChatBinding, str(row.payload["selfTestUser"]))
        return ("miniprogram", binding.openid, "") if binding is not None else (None, None, "")
    if recipient is None or recipient.deleted_at is not None:
        return None, None, ""
    if recipient.channel not in wanted:
        return None, None, recipient.name
    return recipient.channel, recipient.channel_user_id, recipient.name


class Notifier:
    """The worker's notification duties, run from its housekeeping."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        channels: Channels,
        *,
        worker_id: str = "worker",
        draw: Callable[[], float] = random.random,
        batch: int = 50,
        lease: timedelta = timedelta(seconds=60),
        preview_template_id: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.channels = channels
        self.worker_id = worker_id
        self.draw = draw
        self.batch = batch
        self.lease = lease
        self.preview_template_id = preview_template_id
        self._reminded: set[tuple[str, datetime]] = set()
        self._claims = 0
        self._last_stall_check: datetime | None = None
        # Set by the worker that runs this: waits while one of its planned pushes fires (worker/gate.py),
        # so housekeeping's database work never holds the interpreter just then.
        self.pause: Callable[[], None] | None = None

    # ---- feedback links on pushes ----------------------------------------------------------

    def decorate(
        self, task_id: str, group_id: str, push_id: str, fire_at: datetime, content: dict[str, Any], message: Message
    ) -> Message:
        """Return the group's message with its feedback link (when asked for) and its own tracked links."""
        if content.get("feedback"):
            token = feedback_token.sign(
                self.settings.secret_key,
                task_id,
                group_id,
                push_id,
                feedback_token.expiry(fire_at, self.settings.feedback_ttl_days),
            )
            message = feedback_token.attach(message, token, self.settings.public_url)
        # Issue 19: the short link replaces the link (its redirect adds the feedback token back).
        return tracked_links.track(message, content, group_id, self.settings.public_url)

    # ---- one housekeeping round ------------------------------------------------------------

    async def housekeeping(self, now: datetime) -> None:
        """Plan reminders, check the scheduler's pulse, deliver notices and alerts, purge a little."""
        await self._background(self._plan, now)
        while True:
            planned = await self._background(self._claim, now)
            if not planned:
                break
            outcomes = await asyncio.gather(*(self._send(p) for p in planned))
            await self._background(self._record, list(outcomes), now)
            if len(planned) < self.batch:
                break
        await self._deliver_alerts(now)
        await self._background(retention.run_daily, self.sessions, now, self.settings.retention_days)

    async def _background(self, work: Callable[..., T], *args: Any) -> T:
        """Run housekeeping's database work on a thread, after any fire that is due (`pause`)."""
        pause = self.pause

        def run() -> T:
            if pause is not None:
                pause()
            return work(*args)

        return await asyncio.to_thread(run)

    def _plan(self, now: datetime) -> None:
        self.recover_expired(now)
        with unit_of_work(self.sessions) as session:
            planning.plan_reminders(session, now, self._reminded)
            if self._last_stall_check is None or now - self._last_stall_check >= timedelta(seconds=30):
                self._last_stall_check = now
                self._check_stalled(session, now)
        # Forget occurrences that have fired: the memo stays as small as the next hour's reminders.
        self._reminded = {k for k in self._reminded if k[1] > now}

    def _check_stalled(self, session: Session, now: datetime) -> None:
        """Raise an alert for workers that stopped ticking without stopping, and for overdue tasks."""
        for beat in session.scalars(
            select(WorkerBeat).where(WorkerBeat.stopped.is_(False), WorkerBeat.last_tick_at < now - STALL_AFTER)
        ):
            planning.raise_alert(
                session,
                now,
                kind="stalled",
                subject=f"worker:{beat.id}:{beat.last_tick_at.isoformat()}",
                text=f"工作进程 {beat.id} 自 {beat.last_tick_at.isoformat()} 起未再心跳（可能已崩溃）",
            )
        overdue = session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.status == "scheduled", Task.deleted_at.is_(None), Task.next_fire_at < now - STALL_AFTER)
        )
        if overdue:
            bucket = int(now.timestamp()) // self.settings.alert_window_seconds
            planning.raise_alert(
                session,
                now,
                kind="stalled",
                subject=f"overdue:{bucket}",
                text=f"调度落后：{overdue} 个任务已过推送时间超过 2 分钟仍未开始",
            )

    # ---- people ----------------------------------------------------------------------------

    def _claim(self, now: datetime, preview_id: str | None = None) -> list[Planned]:
        self._claims += 1
        token = f"{self.worker_id}:n{self._claims}"
        with unit_of_work(self.sessions) as session:
            due = (
                select(Notification.id)
                .where(
                    Notification.state == "pending",
                    Notification.next_attempt_at <= now,
                    Notification.type != "alert",
                )
                # Previews first: a person is waiting for the answer of the request that queued them.
                .order_by(
                    case((Notification.type == "preview", 0), else_=1), Notification.next_attempt_at, Notification.id
                )
                .limit(self.batch)
            )
            if preview_id is not None:
                due = due.where(Notification.dedupe_key.startswith(preview_key(preview_id)))
            # The engine's one claim (worker/lease.py), as for a group's delivery.
            taken = lease.take(
                session,
                due,
                Notification,
                Notification.id,
                Notification.state == "pending",
                {
                    "state": "sending",
                    "lease_token": token,
                    "lease_expires_at": now + self.lease,
                    "attempts": Notification.attempts + 1,
                },
            )
            if not taken:
                return []
            rows = session.scalars(select(Notification).where(Notification.lease_token == token)).all()
            out = []
            for row in rows:
                settings = session.get(NotificationSettings, row.user_id) if row.user_id else None
                channel, address, name = _channel_for(session, row, settings)
                out.append(
                    Planned(
                        id=row.id,
                        lease_token=token,
                        type=row.type,
                        attempts=row.attempts,
                        payload=dict(row.payload),
                        channel=channel,
                        address=address,
                        who=name,
                        inbox_user=row.user_id or row.payload.get("fallbackUserId"),
                        org_id=row.org_id,
                        task_id=row.task_id,
                    )
                )
            return out

    def _text(self, payload: dict[str, Any]) -> str:
        lines = [str(payload.get("title", "")), *[str(x) for x in payload.get("lines", [])]]
        link = payload.get("link")
        if link:
            lines.append(f"查看详情：{self.settings.public_url.rstrip('/')}{link}")
        return "\n".join(lines)

    def _message(self, p: Planned) -> Message:
        if _reviewer_preview(p):
            if p.channel == "miniprogram":
                fields = tuple((str(k), str(v)) for k, v in (p.payload.get("subscribe") or {}).items())
                page = str(p.payload.get("page") or "")
                return Message(template=TemplateFields(fields, page, self.preview_template_id or ""))
            shown = message_from_content(dict(p.payload.get("content") or {}))
            return dataclasses.replace(shown, card=p.payload.get("card"))
        if p.payload.get("selfTest") and p.channel == "wecom":
            # A test to oneself in WeCom: the content as the groups get it (no card to answer).
            return message_from_content(dict(p.payload.get("content") or {}))
        if p.channel == "miniprogram":
            fields = (
                ("thing1", str(p.payload.get("taskName") or p.payload.get("title") or "通知")[:20]),
                ("time2", str(p.payload.get("time") or "-")),
                ("thing3", str(p.payload.get("status") or "请查看详情")[:20]),
            )
            return Message(template=TemplateFields(fields, str(p.payload.get("page") or "")))
        return Message(text=self._text(p.payload))

    async def _send(self, p: Planned) -> Outcome:
        if p.channel is None or p.address is None:
            return Outcome(p, _not_sent("inbox", "no WeChat channel for this person"))
        name = PERSON_CHANNELS.get(p.channel, p.channel)
        channel = self.channels.get(name)
        if channel is None:
            return Outcome(p, _not_sent(name, f"{name} not configured"))
        target = GroupTarget(group_id=p.id, name=p.who, channel=name, ref=p.address)
        try:
            result = await channel.send(target, self._message(p))
        except Exception as exc:  # a channel bug must not stop notices; recorded like a group's send
            log.exception("notification %s: channel %s raised", p.id, name)
            result = _not_sent(name, f"internal error {type(exc).__name__}")
        return Outcome(p, result)

    def _record(self, outcomes: list[Outcome], now: datetime) -> None:
        with unit_of_work(self.sessions) as session:
            for o in outcomes:
                p = o.planned
                owned = and_(
                    Notification.id == p.id, Notification.lease_token == p.lease_token, Notification.state == "sending"
                )
                values: dict[str, Any] = {"lease_token": None, "lease_expires_at": None, "last_error": o.error}
                step = None if o.sent else lease.after_failure(p.attempts, o.result, self.draw())
                if o.sent:
                    values.update(state="sent", channel=p.channel, sent_at=now)
                    outcome = "sent"
                elif step is not None and step.state == "pending" and o.result.errcode != QUOTA_EXHAUSTED:
                    assert step.delay_s is not None
                    values.update(state="pending", next_attempt_at=now + timedelta(seconds=step.delay_s))
                    if not step.counts_attempt:
                        values["attempts"] = Notification.attempts - 1
                    outcome = "retry"
                    metrics.RETRIES.labels(kind="notification").inc()
                elif _reviewer_preview(p):
                    values.update(state="failed")  # the answer to the preview request names the reviewer
                    outcome = "failed"
                elif p.inbox_user:
                    values.update(state="inbox", channel="inbox", sent_at=now)
                    outcome = "inbox"
                else:
                    values.update(state="failed")
                    outcome = "failed"
                # Core on the session's connection: the ORM's bulk UPDATE (its session synchronisation)
                # cost more than the statement, once per notice.
                done = session.connection().execute(update(Notification).where(owned).values(**values)).rowcount
                if not done:
                    continue  # our lease ran out and another worker owns the notice now
                if outcome == "inbox" and p.inbox_user and p.org_id:
                    self._to_inbox(session, p, now)
                if _reviewer_preview(p) and outcome != "retry":
                    self._record_preview(session, o, now)
                metrics.NOTIFICATIONS.labels(type=p.type, outcome=outcome).inc()
                level = logging.WARNING if outcome == "failed" else logging.INFO
                log.log(
                    level,
                    "notification %s",
                    outcome,
                    extra={
                        "notification_id": p.id,
                        "type": p.type,
                        "channel": p.channel,
                        "task_id": p.task_id,
                        "error": o.error,
                    },
                )

    def _record_preview(self, session: Session, o: Outcome, now: datetime) -> None:
        """Write what the reviewer's preview send did onto the preview (and spend the subscription)."""
        r = o.result
        response_code = r.msgids[0] if r.sent and r.msgids and o.planned.channel == "wecom" else None
        sent_outcome = previews.SendOutcome(
            str(o.planned.payload.get("recipientId")), r.sent, response_code, r.errcode, r.reason_zh, r.reason_en
        )
        previews.record_sends(
            session, str(o.planned.payload.get("previewId")), [sent_outcome], self.preview_template_id, now
        )

    async def send_previews(self, preview_id: str, now: datetime) -> None:
        """Claim and send one preview's queued sends now (the API does this for the request it answers)."""
        planned = await asyncio.to_thread(self._claim, now, preview_id)
        if planned:
            outcomes = await asyncio.gather(*(self._send(p) for p in planned))
            await asyncio.to_thread(self._record, list(outcomes), now)

    def _to_inbox(self, session: Session, p: Planned, now: datetime) -> None:
        assert p.inbox_user is not None and p.org_id is not None
        title = str(p.payload.get("title", ""))
        if p.who and p.channel is not None:
            title = f"未能通过微信送达{p.who}：{title}"
        elif p.who:
            title = f"（{p.who}）{title}"
        session.add(
            InboxItem(
                org_id=p.org_id,
                user_id=p.inbox_user,
                notification_id=p.id,
                type=p.type,
                title=title[:200],
                body="\n".join(str(x) for x in p.payload.get("lines", [])),
                link=p.payload.get("link"),
                task_id=p.task_id,
                created_at=now,
            )
        )

    def recover_expired(self, now: datetime) -> None:
        """Put notices whose worker died mid-send back in the queue (a repeat notice is harmless)."""
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(Notification)
                .where(Notification.state == "sending", Notification.lease_expires_at < now)
                .values(state="pending", lease_token=None, lease_expires_at=None, next_attempt_at=now)
            )

    # ---- alerts ----------------------------------------------------------------------------

    async def _deliver_alerts(self, now: datetime) -> None:
        batches = await asyncio.to_thread(self._claim_alerts, now)
        robot = self.channels.get(ROBOT)
        for kind, (rows, token, previous) in batches.items():
            result: SendResult | None = None
            text = _alert_text(kind, rows)
            if robot is not None and self.settings.alert_robot_key:
                target = GroupTarget(group_id="ops", name="ops", channel=ROBOT, ref=self.settings.alert_robot_key)
                try:
                    result = await robot.send(target, Message(text=text))
                except Exception as exc:  # a channel bug: recorded, retried like any failed send
                    log.exception("alert %s: robot channel raised", kind)
                    result = _not_sent(ROBOT, f"internal error {type(exc).__name__}")
            await asyncio.to_thread(self._record_alerts, kind, rows, token, previous, result, now)

    def _claim_alerts(self, now: datetime) -> dict[str, tuple[list[AlertEvent], str, datetime]]:
        """Take each kind's due alerts whose window is open; defer the rest to their window's end."""
        window = timedelta(seconds=self.settings.alert_window_seconds)
        self._claims += 1
        token = f"{self.worker_id}:a{self._claims}"
        out: dict[str, tuple[list[AlertEvent], str, datetime]] = {}
        with unit_of_work(self.sessions) as session:
            rows = session.scalars(
                select(Notification)
                .where(
                    Notification.type == "alert", Notification.state == "pending", Notification.next_attempt_at <= now
                )
                .order_by(Notification.id)
                .limit(500)
            ).all()
            by_kind: dict[str, list[Notification]] = defaultdict(list)
            for row in rows:
                by_kind[str(row.payload.get("kind", "other"))].append(row)
            for kind, items in by_kind.items():
                name = f"alert:{kind}"
                if session.get(Maintenance, name) is None:
                    try:
                        with session.begin_nested():
                            session.add(Maintenance(name=name, last_run_at=EPOCH))
                            session.flush()
                    except IntegrityError:
                        pass  # another worker created it
                previous = session.scalar(select(Maintenance.last_run_at).where(Maintenance.name == name)) or EPOCH
                # Whoever moves last_run_at forward owns this window; another worker got there first otherwise.
                won = session.execute(
                    update(Maintenance)
                    .where(Maintenance.name == name, Maintenance.last_run_at <= now - window)
                    .values(last_run_at=now)
                ).rowcount  # type: ignore[attr-defined]
                ids = [r.id for r in items]
                if not won:
                    opens = max(previous + window, now + timedelta(seconds=1))
                    session.execute(
                        update(Notification)
                        .where(Notification.id.in_(ids), Notification.state == "pending")
                        .values(next_attempt_at=opens)
                    )
                    continue
                lease.take(
                    session,
                    select(Notification.id).where(Notification.id.in_(ids), Notification.state == "pending"),
                    Notification,
                    Notification.id,
                    Notification.state == "pending",
                    {
                        "state": "sending",
                        "lease_token": token,
                        "lease_expires_at": now + self.lease,
                        "attempts": Notification.attempts + 1,
                    },
                )
                taken = session.execute(
                    select(Notification.id, Notification.attempts, Notification.payload).where(
                        Notification.id.in_(ids), Notification.lease_token == token
                    )
                ).all()
                out[kind] = ([AlertEvent(i, a, str(p.get("text", ""))) for i, a, p in taken], token, previous)
        return out

    def _record_alerts(
        self,
        kind: str,
        rows: list[AlertEvent],
        token: str,
        previous: datetime,
        result: SendResult | None,  # None: no robot configured, the alert goes to the log
        now: datetime,
    ) -> None:
        ids = [r.id for r in rows]
        channel = "robot" if self.settings.alert_robot_key else "log"
        attempts = max((r.attempts for r in rows), default=1)
        error = None if result is None or result.sent else (result.reason_en or result.errmsg or "not sent")
        with unit_of_work(self.sessions) as session:
            owned = and_(Notification.id.in_(ids), Notification.lease_token == token, Notification.state == "sending")
            base: dict[str, Any] = {"lease_token": None, "lease_expires_at": None, "last_error": error}
            if error is None:
                session.execute(
                    update(Notification).where(owned).values(state="sent", channel=channel, sent_at=now, **base)
                )
                level = logging.WARNING if channel == "log" else logging.INFO
                log.log(
                    level,
                    "alert %s",
                    kind,
                    extra={"alert_kind": kind, "events": len(ids), "channel": channel, "text": _alert_text(kind, rows)},
                )
                metrics.NOTIFICATIONS.labels(type="alert", outcome="sent").inc()
                return
            # Sending failed: give the window back so the retry is not held for a whole window.
            session.execute(
                update(Maintenance)
                .where(Maintenance.name == f"alert:{kind}", Maintenance.last_run_at == now)
                .values(last_run_at=previous)
            )
            assert result is not None
            step = lease.after_failure(attempts, result, self.draw())
            if step.state == "pending":
                assert step.delay_s is not None
                session.execute(
                    update(Notification)
                    .where(owned)
                    .values(state="pending", next_attempt_at=now + timedelta(seconds=step.delay_s), **base)
                )
                metrics.RETRIES.labels(kind="alert").inc()
            else:
                session.execute(update(Notification).where(owned).values(state="failed", **base))
                log.error(
                    "alert %s could not be sent", kind, extra={"alert_kind": kind, "events": len(ids), "error": error}
                )
                metrics.NOTIFICATIONS.labels(type="alert", outcome="failed").inc()


ALERT_TITLES = {
    "push_failed": "推送失败",
    "missed": "推送错过",
    "stalled": "调度停滞",
}


def _alert_text(kind: str, rows: list[AlertEvent]) -> str:
    title = ALERT_TITLES.get(kind, kind)
    lines = [f"【PushTask 告警】{title}（{len(rows)} 条）"]
    lines += [f"- {r.text}" for r in rows[:5]]
    if len(rows) > 5:
        lines.append(f"……另有 {len(rows) - 5} 条，详见后台")
    text = "\n".join(lines)
    # The robot takes at most 2048 bytes of text.
    while len(text.encode()) > 2000:
        text = text[:-20]
    return text
