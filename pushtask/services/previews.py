"""Previews: record what reviewers are shown, send them, and decide them — one service for all three paths.

`send` is the API's preview request: it rate-limits, checks the content and records the preview
(`start`, no I/O), commits, has the engine send the queued rows at once (`PreviewEngine`) and
waits a few seconds for their outcome, which the engine writes with `record_sends`. `decide` is
what the API, a WeCom card tap and a text reply all call.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.base import Message
from pushtask.domain import content as rules
from pushtask.domain import pages, variants
from pushtask.domain.actor import Actor
from pushtask.domain.rendering import message_from_content
from pushtask.domain.text import truncate_chars
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound, RateLimited
from pushtask.infra.wakeup import Wakeup
from pushtask.models import (
    InboxItem,
    Notification,
    Organization,
    Preview,
    PreviewDecision,
    PreviewRecipient,
    Recipient,
    Subscription,
    Task,
    TaskLog,
    User,
    new_id,
)
from pushtask.schemas import ContentIn, TaskUpdate
from pushtask.services import recipient_refs
from pushtask.services import tasks as task_service
from pushtask.services.approval import group_targets
from pushtask.services.pushes import content_snapshot
from pushtask.wechat import wecom_payloads as wp

SEND_TIMEOUT_S = 8.0
PER_TASK = (6, 60.0)  # previews per task per minute
PER_USER_WINDOW_S = 60.0

PROMPT = "请确认内容，回复‘确认’或‘修改’"
CONFIRM_KEY, MODIFY_KEY = "confirm", "modify"
STATUS_LABELS = {"confirmed": ("已确认", "confirmed"), "modify_requested": ("已要求修改", "changes requested")}


class InvalidContent(InvalidInput):
    """The content breaks a rule: nothing is sent (answered 400 with a `validation` object)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(problems, error="Invalid content")


@dataclass(frozen=True)
class ReviewerPlan:
    """One reviewer to send to, as recorded."""

    recipient_id: str
    name: str
    channel: str
    user_id: str  # WeCom userid or openid
    state: str  # "sending", or "no_quota" / "no_channel" when nothing will be sent
    card: dict[str, Any] | None = None
    subscribe_data: dict[str, str] | None = None
    page: str = ""


@dataclass(frozen=True)
class PreviewPlan:
    preview_id: str
    task_name: str
    message: Message
    reviewers: list[ReviewerPlan]
    variant: str | None = None
    # A task with A/B variants: the previews of variants B, C, D (this one is A's), each confirmed on its own.
    more: tuple[PreviewPlan, ...] = ()


@dataclass(frozen=True)
class Decider:
    """Who decides and through which path ("api", "card", "text")."""

    via: str
    name: str
    recipient_id: str | None = None
    user_id: str | None = None


@dataclass
class Decision:
    preview: Preview
    task: Task
    response: str
    comment: str
    decider: Decider
    # (response_code, userid) of WeCom cards to relabel; the creator's WeCom userid to tell about a "modify".
    cards: list[tuple[str, str]] = field(default_factory=list)
    creator_userid: str | None = None


class ReviewerReach(Protocol):
    """What a preview needs of this process's WeChat (`pushtask.runtime.WeChatLink` provides it)."""

    def admit(self, key: str, now: float, window_s: float, limit: int) -> float:
        """Count one use of `key` (shared by all processes); return how long to wait, 0 when admitted."""
        ...

    def reviewer_channels(self) -> set[str]:
        """The people channels configured: `wecom`, `miniprogram`."""
        ...

    @property
    def subscribe_template_id(self) -> str | None: ...


class PreviewEngine(Protocol):
    def send_previews(self, preview_id: str, now: datetime, timeout_s: float) -> None:
        """Claim and send the preview's queued rows no worker has taken, with the engine's own claim
        (so nothing is sent twice); TimeoutError after `timeout_s`."""
        ...


@dataclass(frozen=True)
class Sent:
    """A preview request's answer: the preview and each reviewer's row with their name."""

    preview_id: str
    reviewers: list[tuple[PreviewRecipient, str]]
    # A/B: (variant key, preview id) of every variant's preview, the first being `preview_id`; empty without variants.
    variants: list[tuple[str, str]] = field(default_factory=list)
    # The reviewers of the other variants' previews (their failed sends are warned about too).
    more_reviewers: list[tuple[PreviewRecipient, str]] = field(default_factory=list)


def send(
    session: Session,
    sessions: sessionmaker[Session],
    actor: Actor,
    task_id: str,
    content: ContentIn | None,
    recipient_ids: list[str] | None,
    clock: Callable[[], datetime],
    *,
    reach: ReviewerReach,
    engine: PreviewEngine,
    wakeup: Wakeup,
    per_user_limit: int,
    image_exists: rules.ImageLookup,
) -> Sent:
    """Record a preview of the task, send it to its reviewers in WeChat and wait (≤ SEND_TIMEOUT_S) for the outcome.

    429 (RateLimited) when this user or this task sent too many previews lately; 400 (InvalidContent)
    when the content breaks a rule, and nothing is sent.
    """
    admit(reach, actor, task_id, clock().timestamp(), per_user_limit)
    plan = start(
        session,
        actor,
        task_id,
        content,
        recipient_ids,
        clock(),
        image_exists=image_exists,
        channels=reach.reviewer_channels(),
        subscribe_template_id=reach.subscribe_template_id,
    )
    # Commit before sending: no HTTP call inside a transaction, and a fast reviewer's tap finds the preview.
    session.commit()
    every = [plan, *plan.more]  # A/B: one preview per variant
    for one in every:
        send_and_wait(sessions, engine, wakeup, one.preview_id, clock)
    session.expire_all()
    if plan.variant is None:
        return Sent(plan.preview_id, reviewers_of(session, plan.preview_id))
    return Sent(
        plan.preview_id,
        reviewers_of(session, plan.preview_id),
        variants=[(str(one.variant), one.preview_id) for one in every],
        more_reviewers=[row for one in plan.more for row in reviewers_of(session, one.preview_id)],
    )


def admit(reach: ReviewerReach, actor: Actor, task_id: str, now: float, per_user: int) -> None:
    """Raise RateLimited (429) when this user or this task has sent too many previews lately."""
    for key, (limit, window) in (
        (f"preview:user:{actor.user_id}", (per_user, PER_USER_WINDOW_S)),
        (f"preview:task:{task_id}", PER_TASK),
    ):
        wait = reach.admit(key, now, window, limit)
        if wait > 0:
            raise RateLimited(wait)


def send_and_wait(
    sessions: sessionmaker[Session],
    engine: PreviewEngine,
    wakeup: Wakeup,
    preview_id: str,
    clock: Callable[[], datetime],
    deadline_s: float = SEND_TIMEOUT_S,
) -> None:
    """Have the engine send this preview's queued rows, and wait (a few seconds at most) for them.

    The rows were committed with top priority and the engine woken. This process then claims
    whatever no worker has taken yet and sends it at once; rows a worker already holds are waited
    for until `deadline_s`.
    """
    wakeup.notify()
    started = time.monotonic()
    try:
        engine.send_previews(preview_id, clock(), deadline_s)
    except TimeoutError:
        return
    while time.monotonic() - started < deadline_s:
        with sessions() as db:
            waiting = sends_in_flight(db, preview_id)
        if not waiting:
            return
        time.sleep(0.05)  # a worker holds them: its result is moments away


def local_date(task: Task, now: datetime) -> date:
    """Return the date {{日期}} means in a preview: the next push's local date (or today's)."""
    when = task.next_fire_at or (task.schedule_time if task.schedule_time > now else now)
    return when.astimezone(ZoneInfo(task.timezone)).date()


def _when_text(task: Task, now: datetime) -> str:
    when = task.next_fire_at or task.schedule_time
    return when.astimezone(ZoneInfo(task.timezone)).strftime("%Y-%m-%d %H:%M")


def _reviewers(session: Session, actor: Actor, task: Task, ids: list[str] | None) -> list[Recipient]:
    if ids is not None:
        # Reviewers may be named by WeChat ID too (exact match on its lookup hash).
        ids = recipient_refs.resolve(session, actor.org_id, ids, "recipients")
    chosen = ids if ids is not None else task_service.recipient_ids_of(session, [task.id]).get(task.id, [])
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise InvalidInput([FieldProblem("recipients", "recipients_required")])
    found = {
        r.id: r
        for r in session.scalars(
            select(Recipient).where(
                Recipient.id.in_(chosen), Recipient.org_id == actor.org_id, Recipient.deleted_at.is_(None)
            )
        )
    }
    missing = [r for r in chosen if r not in found]
    if missing:
        raise InvalidInput([FieldProblem("recipients", "recipients_unknown", {"ids": ", ".join(missing[:10])})])
    return [found[r] for r in chosen]


def start(
    session: Session,
    actor: Actor,
    task_id: str,
    content: ContentIn | None,
    recipient_ids: list[str] | None,
    now: datetime,
    *,
    image_exists: rules.ImageLookup,
    channels: set[str],
    subscribe_template_id: str | None,
) -> PreviewPlan:
    """Check the task's content (saving `content` first when given) and record a preview to send."""
    task = task_service.get_task(session, actor, task_id, for_update=True)
    if content is not None and task.variants:
        # Which variant would it replace? Variants are edited with the task (PUT /api/tasks/<id>).
        raise InvalidInput([FieldProblem("content", "variants_replace_content")])
    if content is not None:
        try:
            task = task_service.update_task(session, actor, task_id, TaskUpdate(content=content), now)
        except InvalidInput as exc:
            # The content is what a preview reports on; nothing is saved or sent.
            if all(p.field.startswith("content") for p in exc.problems):
                raise InvalidContent(exc.problems) from None
            raise
    full = content_snapshot(task)
    groups = task_service.group_ids_of(session, [task.id]).get(task.id, [])
    targets = group_targets(session, actor.org_id, groups)
    # A/B: each variant is a preview of its own, checked and confirmed on its own (labelled 版本 A, 版本 B …).
    keys: list[str | None] = [v["key"] for v in task.variants] if task.variants else [None]
    problems: list[FieldProblem] = []
    for index, key in enumerate(keys):
        found = rules.check(
            variants.content_for(full, key), image_exists=image_exists, targets=targets, require_content=True
        )
        problems += [FieldProblem(f"variants[{index}].{p.field}", p.code, p.params) for p in found] if key else found
    if problems:
        raise InvalidContent(problems)
    reviewers = _reviewers(session, actor, task, recipient_ids)
    plans = [
        _record(
            session,
            actor,
            task,
            variants.content_for(full, key),
            key,
            reviewers,
            targets,
            now,
            channels,
            subscribe_template_id,
            len(groups),
        )
        for key in keys
    ]
    task.preview_state = "pending"
    return dataclasses.replace(plans[0], more=tuple(plans[1:]))


def _record(
    session: Session,
    actor: Actor,
    task: Task,
    snapshot: dict[str, Any],
    variant: str | None,
    reviewers: list[Recipient],
    targets: list[Any],
    now: datetime,
    channels: set[str],
    subscribe_template_id: str | None,
    group_count: int,
) -> PreviewPlan:
    """Record one preview (one variant's, or the task's one content) and queue its reviewer sends."""
    preview = Preview(
        id=new_id(),
        org_id=actor.org_id,
        task_id=task.id,
        content_version=task.content_version,
        content=snapshot,
        status="pending",
        created_by=actor.user_id,
        created_at=now,
        variant=variant,
    )
    session.add(preview)
    session.flush()
    # Variables are filled as for the first group: the reviewer sees one real instance.
    shown = rules.fill_variables(snapshot, targets[0].name if targets else "", local_date(task, now))
    plans = []
    for position, reviewer in enumerate(reviewers):
        plan = _plan(session, task, preview, reviewer, position, now, channels, subscribe_template_id, group_count)
        session.add(
            PreviewRecipient(
                preview_id=preview.id,
                recipient_id=reviewer.id,
                position=position,
                channel=reviewer.channel,
                state=plan.state,
                card_task_id=(plan.card or {}).get("template_card", {}).get("task_id"),
            )
        )
        plans.append(plan)
    for plan in plans:
        if plan.state == "sending":
            _enqueue(session, now, task, preview, plan, shown)
    return PreviewPlan(preview.id, task.name, message_from_content(shown), plans, variant=variant)


def preview_key(preview_id: str, recipient_id: str = "") -> str:
    """The outbox key of one reviewer's preview send (with no recipient: the prefix of all of them)."""
    return f"preview:{preview_id}:{recipient_id}"


def _enqueue(
    session: Session, now: datetime, task: Task, preview: Preview, plan: ReviewerPlan, shown: dict[str, Any]
) -> None:
    """Queue one reviewer's preview in the outbox: the engine claims previews before any other notice."""
    session.add(
        Notification(
            org_id=task.org_id,
            type="preview",
            dedupe_key=preview_key(preview.id, plan.recipient_id),
            recipient_id=plan.recipient_id,
            task_id=task.id,
            payload={
                "previewId": preview.id,
                "recipientId": plan.recipient_id,
                "content": shown,
                "card": plan.card,
                "subscribe": plan.subscribe_data,
                "page": plan.page,
            },
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def _plan(
    session: Session,
    task: Task,
    preview: Preview,
    reviewer: Recipient,
    position: int,
    now: datetime,
    channels: set[str],
    template_id: str | None,
    group_count: int,
) -> ReviewerPlan:
    base: dict[str, Any] = {
        "recipient_id": reviewer.id,
        "name": reviewer.name,
        "channel": reviewer.channel,
        "user_id": reviewer.channel_user_id,
    }
    if reviewer.channel not in channels:
        return ReviewerPlan(**base, state="no_channel")
    # A/B: the label comes first, so a long task name cannot cut it off.
    label = f"（版本 {preview.variant}）" if preview.variant else ""
    if reviewer.channel == "wecom":
        fields = [("任务", task.name), ("推送时间", _when_text(task, now)), ("目标群", f"{group_count} 个")]
        card = wp.button_interaction_card(
            f"pv{preview.id.replace('-', '')}-{position}",
            truncate_chars(f"预览{label}：{task.name}", 26),
            [wp.CardButton("确认", key=CONFIRM_KEY, style=1), wp.CardButton("修改", key=MODIFY_KEY, style=2)],
            desc=PROMPT,
            fields=[("版本", f"版本 {preview.variant}"), *fields] if preview.variant else fields,
            source_desc="PushTask 内容预览",
        )
        return ReviewerPlan(**base, state="sending", card=card)
    remaining = session.scalar(
        select(Subscription.remaining).where(
            Subscription.recipient_id == reviewer.id, Subscription.template_id == (template_id or "")
        )
    )
    if not remaining or remaining <= 0:
        return ReviewerPlan(**base, state="no_quota")
    data = {
        "thing1": truncate_chars(f"{preview.variant}版 {task.name}" if preview.variant else task.name, 20),
        "time2": _when_text(task, now),
        "thing3": "请确认内容或提出修改",
    }
    return ReviewerPlan(**base, state="sending", subscribe_data=data, page=pages.preview(preview.id))


@dataclass(frozen=True)
class SendOutcome:
    recipient_id: str
    sent: bool
    response_code: str | None = None
    errcode: int | None = None
    reason_zh: str = ""
    reason_en: str = ""


def record_sends(
    session: Session, preview_id: str, outcomes: list[SendOutcome], template_id: str | None, now: datetime
) -> None:
    """Write what each reviewer's send did; spend or zero the mini-program subscriptions."""
    rows = {
        r.recipient_id: r
        for r in session.scalars(select(PreviewRecipient).where(PreviewRecipient.preview_id == preview_id))
    }
    for outcome in outcomes:
        row = rows.get(outcome.recipient_id)
        if row is None or row.state != "sending":
            continue  # no_quota / no_channel: nothing was sent, the planned state stands
        row.response_code = outcome.response_code
        quota_gone = outcome.errcode == 43101
        row.state = "sent" if outcome.sent else ("no_quota" if quota_gone else "failed")
        row.error = None if outcome.sent else (outcome.reason_zh or outcome.reason_en or "发送失败")
        if row.channel == "miniprogram" and (outcome.sent or quota_gone):
            sub = session.get(Subscription, (row.recipient_id, template_id or ""))
            if sub is not None:
                sub.remaining = max(0, sub.remaining - 1) if outcome.sent else 0
                sub.updated_at = now


def sends_in_flight(session: Session, preview_id: str) -> int:
    """How many of a preview's reviewer sends the engine has not finished (queued or being sent)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.dedupe_key.startswith(preview_key(preview_id)),
                # Being sent, or not tried yet; a retry later is not waited for.
                or_(Notification.state == "sending", and_(Notification.state == "pending", Notification.attempts == 0)),
            )
        )
        or 0
    )


def grant_subscriptions(
    session: Session, actor: Actor, recipient_id: str, template_id: str, count: int, now: datetime
) -> int:
    """Record one-time subscriptions a mini-program reviewer accepted; return how many they hold."""
    recipient = session.scalars(
        select(Recipient).where(
            Recipient.id == recipient_id, Recipient.org_id == actor.org_id, Recipient.deleted_at.is_(None)
        )
    ).first()
    if recipient is None:
        raise NotFound("Recipient not found")
    return _grant(session, recipient.id, template_id, count, now)


def _grant(session: Session, recipient_id: str, template_id: str, count: int, now: datetime) -> int:
    sub = session.get(Subscription, (recipient_id, template_id), with_for_update=True)
    if sub is None:
        sub = Subscription(recipient_id=recipient_id, template_id=template_id, remaining=0, updated_at=now)
        session.add(sub)
    sub.remaining += count
    sub.updated_at = now
    return sub.remaining


def grant_by_openid(session: Session, openid: str, template_id: str, now: datetime) -> int:
    """A reviewer accepted a subscription in the mini program (subscribe_msg_popup_event)."""
    granted = 0
    for recipient in session.scalars(
        select(Recipient).where(
            Recipient.channel == "miniprogram", Recipient.channel_user_id_is(openid), Recipient.deleted_at.is_(None)
        )
    ):
        _grant(session, recipient.id, template_id, 1, now)
        granted += 1
    return granted


# ---- reading -----------------------------------------------------------------------------------


def get_preview(session: Session, org_id: str, preview_id: str, *, reviewer: str | None = None) -> Preview:
    """Return the organisation's preview; with `reviewer`, only one sent to that recipient."""
    query = select(Preview).where(Preview.id == preview_id, Preview.org_id == org_id)
    if reviewer is not None:
        query = query.join(PreviewRecipient, PreviewRecipient.preview_id == Preview.id).where(
            PreviewRecipient.recipient_id == reviewer
        )
    preview = session.scalars(query).first()
    if preview is None:
        raise NotFound("Preview not found")
    return preview


def previews_of_reviewer(session: Session, recipient_id: str, limit: int = 50) -> list[Preview]:
    """Return the previews sent to this reviewer, newest first."""
    return list(
        session.scalars(
            select(Preview)
            .join(PreviewRecipient, PreviewRecipient.preview_id == Preview.id)
            .where(PreviewRecipient.recipient_id == recipient_id)
            .order_by(Preview.created_at.desc(), Preview.id)
            .limit(limit)
        )
    )


def subscription_of(session: Session, recipient_id: str, template_id: str) -> int:
    """Return how many one-time subscriptions this reviewer holds for the template."""
    sub = session.get(Subscription, (recipient_id, template_id))
    return sub.remaining if sub is not None else 0


def grant_own(session: Session, recipient_id: str, template_id: str, count: int, now: datetime) -> int:
    """Record subscriptions the signed-in reviewer accepted in the mini program; return how many they hold."""
    if count <= 0:
        return subscription_of(session, recipient_id, template_id)
    return _grant(session, recipient_id, template_id, count, now)


def reviewers_of(session: Session, preview_id: str) -> list[tuple[PreviewRecipient, str]]:
    rows = session.execute(
        select(PreviewRecipient, Recipient.name)
        .join(Recipient, Recipient.id == PreviewRecipient.recipient_id)
        .where(PreviewRecipient.preview_id == preview_id)
        .order_by(PreviewRecipient.position)
    )
    return [(row, name) for row, name in rows]


def decisions_of(session: Session, preview_id: str) -> list[PreviewDecision]:
    return list(
        session.scalars(
            select(PreviewDecision).where(PreviewDecision.preview_id == preview_id).order_by(PreviewDecision.created_at)
        )
    )


def list_previews(session: Session, actor: Actor, task_id: str) -> list[Preview]:
    task = task_service.get_task(session, actor, task_id)
    return list(
        session.scalars(
            select(Preview).where(Preview.task_id == task.id).order_by(Preview.created_at.desc(), Preview.id)
        )
    )


# ---- deciding ----------------------------------------------------------------------------------


def api_decider(session: Session, actor: Actor, preview: Preview) -> Decider:
    """Resolve the signed-in user as a reviewer of this preview (by WeChat ID), or an admin."""
    if actor.scope == "reviewer":
        # Signed in through the mini program: the token names the recipient.
        return Decider("api", actor.name, recipient_id=actor.recipient_id)
    wechat_id = session.scalar(select(User.wechat_id).where(User.id == actor.user_id))
    reviewer = session.execute(
        select(Recipient.id, Recipient.name)
        .join(PreviewRecipient, PreviewRecipient.recipient_id == Recipient.id)
        .where(PreviewRecipient.preview_id == preview.id, Recipient.wechat_id_is(wechat_id or ""))
    ).first()
    if reviewer is not None:
        return Decider("api", reviewer.name, recipient_id=reviewer.id, user_id=actor.user_id)
    if actor.can("admin"):
        return Decider("api", actor.name, user_id=actor.user_id)
    raise Conflict("preview_not_reviewer", error="Forbidden")


def confirm(session: Session, actor: Actor, preview_id: str, response: str, comment: str, now: datetime) -> Decision:
    """The signed-in reviewer (or an admin) decides a preview they can see; committed when this returns."""
    preview = get_preview(session, actor.org_id, preview_id, reviewer=actor.recipient_id)
    decision = decide(session, preview.id, response, comment, api_decider(session, actor, preview), now)
    session.commit()
    return decision


def decide(session: Session, preview_id: str, response: str, comment: str, decider: Decider, now: datetime) -> Decision:
    """Confirm or ask to modify a preview; refuse stale and already decided ones (409)."""
    # Locks serialise two reviewers deciding at once: the second sees the first's outcome.
    preview = session.scalars(select(Preview).where(Preview.id == preview_id).with_for_update()).first()
    if preview is None:
        raise NotFound("Preview not found")
    task = session.scalars(select(Task).where(Task.id == preview.task_id).with_for_update()).first()
    if task is None or task.deleted_at is not None:
        raise NotFound("Task not found")
    if preview.content_version != task.content_version:
        raise Conflict("preview_stale")
    if preview.status != "pending":
        raise Conflict("preview_decided", status=STATUS_LABELS.get(preview.status, (preview.status,))[0])
    rows = {
        r.recipient_id: r
        for r in session.scalars(select(PreviewRecipient).where(PreviewRecipient.preview_id == preview.id))
    }
    if decider.recipient_id is not None:
        own = rows.get(decider.recipient_id)
        if own is None:
            raise Conflict("preview_not_reviewer", error="Forbidden")
        if own.decision is not None:
            raise Conflict(
                "preview_decided",
                status=STATUS_LABELS["confirmed" if own.decision == CONFIRM_KEY else "modify_requested"][0],
            )
        own.decision = response
        own.decided_at = now
    comment = comment.strip()
    session.add(
        PreviewDecision(
            id=new_id(),
            preview_id=preview.id,
            task_id=task.id,
            org_id=task.org_id,
            response=response,
            via=decider.via,
            recipient_id=decider.recipient_id,
            user_id=decider.user_id,
            actor_name=decider.name[:100],
            comment=comment or None,
            created_at=now,
        )
    )
    decision = Decision(preview, task, response, comment, decider)
    if response == CONFIRM_KEY:
        quorum = session.scalar(select(Organization.approval_quorum).where(Organization.id == task.org_id))
        everyone = all(r.decision == CONFIRM_KEY for r in rows.values() if r.state == "sent")
        if quorum == "all" and decider.recipient_id is not None and not everyone:
            return decision  # recorded; the preview waits for the other reviewers
        preview.status = "confirmed"
        # A/B: the task is confirmed once every variant's preview of this version is.
        task.preview_state = "confirmed" if _every_variant_confirmed(session, task) else "pending"
    else:
        preview.status = "modify_requested"
        preview.comment = comment or None
        task.preview_state = "modify_requested"
        _back_to_draft(session, task, decider, comment, now)
        decision.creator_userid = _creator_userid(session, task)
        _enqueue_modify_notice(session, decision, now)
    preview.decided_at = now
    decision.cards = [
        (r.response_code, _userid(session, r.recipient_id))
        for r in rows.values()
        if r.response_code and r.channel == "wecom"
    ]
    return decision


def _every_variant_confirmed(session: Session, task: Task) -> bool:
    if not task.variants:
        return True
    session.flush()
    confirmed = set(
        session.scalars(
            select(Preview.variant).where(
                Preview.task_id == task.id,
                Preview.content_version == task.content_version,
                Preview.status == "confirmed",
            )
        )
    )
    return all(v["key"] in confirmed for v in task.variants)


def _back_to_draft(session: Session, task: Task, decider: Decider, comment: str, now: datetime) -> None:
    changes: dict[str, Any] = {"previewComment": {"old": None, "new": comment or None}}
    if task.status == "scheduled":
        changes["status"] = {"old": task.status, "new": "draft"}
        task.status = "draft"
        task.next_fire_at = None
        task.display_time = task.schedule_time
    task.updated_at = now
    session.add(
        TaskLog(
            id=new_id(),
            task_id=task.id,
            org_id=task.org_id,
            action="update",
            user_id=decider.user_id or decider.recipient_id or "",
            changes=changes,
            created_at=now,
        )
    )


def _userid(session: Session, recipient_id: str) -> str:
    return session.scalar(select(Recipient.channel_user_id).where(Recipient.id == recipient_id)) or ""


def _creator_userid(session: Session, task: Task) -> str | None:
    """The creator's WeCom userid, when the creator is also in the directory as a WeCom contact."""
    wechat_id = session.scalar(select(User.wechat_id).where(User.id == task.creator_id))
    return session.scalar(
        select(Recipient.channel_user_id).where(
            Recipient.org_id == task.org_id,
            Recipient.wechat_id_is(wechat_id or ""),
            Recipient.channel == "wecom",
            Recipient.deleted_at.is_(None),
        )
    )


def _enqueue_modify_notice(session: Session, decision: Decision, now: datetime) -> None:
    """Tell the creator about a "modify": in the admin's bell at once, and in WeCom when they are a contact.

    The bell item is written in the decision's own transaction (no channel involved), so the open
    admin sees it on its next poll; the WeCom text is an outbox row the engine sends, and a WeCom
    failure does not add a second bell item (the notice has no inbox fallback: it is there already).
    """
    task = decision.task
    text = modify_notice(decision)
    title, _, body = text.partition("\n")
    session.add(
        InboxItem(
            org_id=task.org_id,
            user_id=task.creator_id,
            type="preview",
            title=title[:200],
            body=body,
            link=f"/tasks/{task.id}/edit",
            task_id=task.id,
            created_at=now,
        )
    )
    wechat_id = session.scalar(select(User.wechat_id).where(User.id == task.creator_id))
    recipient_id = session.scalar(
        select(Recipient.id).where(
            Recipient.org_id == task.org_id,
            Recipient.wechat_id_is(wechat_id or ""),
            Recipient.channel == "wecom",
            Recipient.deleted_at.is_(None),
        )
    )
    if recipient_id is None:
        return  # the bell is where this creator hears it
    session.add(
        Notification(
            org_id=task.org_id,
            type="result",
            dedupe_key=f"modify:{decision.preview.id}:{now.isoformat()}"[:191],
            recipient_id=recipient_id,
            task_id=task.id,
            payload={"title": text, "lines": [], "taskName": task.name},
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def modify_notice(decision: Decision) -> str:
    """The text the creator gets when a reviewer asks for changes."""
    comment = decision.comment or "（未填写意见）"
    who = decision.decider.name
    return f"「{decision.task.name}」需要修改（{who}）：{comment}\n任务已退回草稿，请修改后重新发送预览。"


# ---- the WeChat paths: a card tap and a text reply -----------------------------------------


def reviewer_by_card(session: Session, card_task_id: str, userid: str) -> tuple[str, Decider] | None:
    """Return (preview id, decider) for a tap on one of our cards by the person it was sent to."""
    row = session.execute(
        select(PreviewRecipient.preview_id, Recipient.id, Recipient.name, Recipient.channel_user_id)
        .join(Recipient, Recipient.id == PreviewRecipient.recipient_id)
        .where(PreviewRecipient.card_task_id == card_task_id)
    ).first()
    if row is None or row.channel_user_id != userid:
        return None
    return row.preview_id, Decider("card", row.name, recipient_id=row.id)


def open_preview_for(session: Session, channel: str, user_id: str) -> tuple[str, Decider] | None:
    """Return the newest undecided preview sent to this WeCom user / openid, with them as decider."""
    row = session.execute(
        select(Preview.id, Recipient.id.label("rid"), Recipient.name)
        .join(PreviewRecipient, PreviewRecipient.preview_id == Preview.id)
        .join(Recipient, Recipient.id == PreviewRecipient.recipient_id)
        .where(
            Recipient.channel == channel,
            Recipient.channel_user_id_is(user_id),
            Recipient.deleted_at.is_(None),
            PreviewRecipient.decision.is_(None),
            Preview.status == "pending",
        )
        .order_by(Preview.created_at.desc(), Preview.id.desc())
    ).first()
    if row is None:
        return None
    return row.id, Decider("text", row.name, recipient_id=row.rid)


def parse_reply(text: str) -> tuple[str, str] | None:
    """Read "确认" / "修改 <意见>" (also 修改：意见, 修改,意见); None for anything else."""
    stripped = text.strip()
    if stripped in ("确认", "确定", "同意", "OK", "ok"):
        return CONFIRM_KEY, ""
    if stripped.startswith("修改"):
        return MODIFY_KEY, stripped[2:].lstrip(" :：,，、\n\t")
    return None
