"""The operator's own looks at content before it goes out (issue 18, item 7).

`render_for_group` fills ``{{群名}}`` and ``{{日期}}`` for one chosen group, as that group's push
will (the preview to reviewers shows the first group only). `start_self_test` queues the content
to the signed-in user's own linked WeChat identity through the engine's outbox, exactly as a
reviewer's preview is queued, so "send a test to myself" uses the channel a real send uses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.domain import content as rules
from pushtask.domain import pages
from pushtask.domain.actor import Actor
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import Group, Notification, NotificationSettings, Organization, Recipient, User, WeChatBinding
from pushtask.schemas import ContentIn
from pushtask.services import tasks as task_service
from pushtask.services.approval import group_targets
from pushtask.services.previews import InvalidContent, local_date, preview_key

CONTENT_KEYS = ("text", "image", "link", "miniprogram")


@dataclass(frozen=True)
class Rendered:
    group_id: str
    group_name: str
    day: date
    content: dict[str, Any]


def _org_today(session: Session, org_id: str, now: datetime) -> date:
    zone = session.scalar(select(Organization.timezone).where(Organization.id == org_id)) or "Asia/Shanghai"
    return now.astimezone(ZoneInfo(zone)).date()


def render_for_group(
    session: Session, actor: Actor, content: dict[str, Any], group_id: str, task_id: str | None, now: datetime
) -> Rendered:
    """Return the content with its variables filled for this group (400 when the group is not the caller's).

    ``{{日期}}`` is the task's next push date when a task is named, else today in the organisation's zone.
    """
    group = session.scalars(
        select(Group).where(Group.id == group_id, Group.org_id == actor.org_id, Group.deleted_at.is_(None))
    ).first()
    if group is None:
        raise InvalidInput([FieldProblem("groupId", "groups_unknown", {"ids": group_id})])
    day = (
        local_date(task_service.get_task(session, actor, task_id), now)
        if task_id
        else _org_today(session, actor.org_id, now)
    )
    filled = rules.fill_variables({k: content.get(k) for k in CONTENT_KEYS}, group.name, day)
    return Rendered(group.id, group.name, day, filled)


# ---- a test to oneself -------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfTarget:
    """Where the signed-in user is reached: a directory recipient, or only their bound mini-program openid."""

    channel: str  # "wecom" | "miniprogram"
    recipient_id: str | None
    name: str


def self_target(session: Session, actor: Actor) -> SelfTarget | None:
    """Return the caller's linked WeChat identity, or None.

    In order: the recipient their notification settings say is them; the WeCom contact with their
    WeChat ID (as the creator's "modify" notice finds them); the WeChat they bound for the mini
    program's sign-in (issue 17) — as that mini-program reviewer when the directory has them.
    """
    settings = session.get(NotificationSettings, actor.user_id)
    live = (Recipient.org_id == actor.org_id, Recipient.deleted_at.is_(None))
    if settings is not None and settings.recipient_id:
        linked = session.scalars(select(Recipient).where(Recipient.id == settings.recipient_id, *live)).first()
        if linked is not None:
            return SelfTarget(linked.channel, linked.id, linked.name)
    user = session.get(User, actor.user_id)
    if user is None:
        return None
    contact = session.scalars(
        select(Recipient).where(*live, Recipient.channel == "wecom", Recipient.wechat_id_is(user.wechat_id))
    ).first()
    if contact is not None:
        return SelfTarget("wecom", contact.id, contact.name)
    binding = session.get(WeChatBinding, actor.user_id)
    if binding is None:
        return None
    reviewer = session.scalars(
        select(Recipient).where(*live, Recipient.channel == "miniprogram", Recipient.channel_user_id_is(binding.openid))
    ).first()
    if reviewer is not None:
        return SelfTarget("miniprogram", reviewer.id, reviewer.name)
    return SelfTarget("miniprogram", None, user.name)


@dataclass(frozen=True)
class SelfTest:
    key: str  # the outbox row's dedupe key
    send_id: str  # what `Notifier.send_previews` claims it by
    target: SelfTarget


def start_self_test(
    session: Session,
    actor: Actor,
    task_id: str,
    content: ContentIn | None,
    now: datetime,
    *,
    image_exists: rules.ImageLookup,
    channels: set[str],
) -> SelfTest:
    """Check the content (the form's when given, not saved; else the task's) and queue it to the caller."""
    task = task_service.get_task(session, actor, task_id)
    snapshot: dict[str, Any] = {
        "text": task.content_text,
        "image": task.content_image,
        "link": task.content_link,
        "miniprogram": task.content_miniprogram,
    }
    if content is not None:
        given = task_service._content_dict(content)
        snapshot = {k: given.get(k) for k in CONTENT_KEYS}
    groups = task_service.group_ids_of(session, [task.id]).get(task.id, [])
    targets = group_targets(session, actor.org_id, groups)
    problems = rules.check(snapshot, image_exists=image_exists, targets=targets, require_content=True)
    if problems:
        raise InvalidContent(problems)
    target = self_target(session, actor)
    if target is None:
        raise InvalidInput([FieldProblem("taskId", "self_test_unlinked")], error="No linked WeChat")
    if target.channel not in channels:
        raise InvalidInput(
            [FieldProblem("taskId", "self_test_channel_off", {"channel": target.channel})], error="Channel off"
        )
    shown = rules.fill_variables(snapshot, targets[0].name if targets else "", local_date(task, now))
    when = (task.next_fire_at or task.schedule_time).astimezone(ZoneInfo(task.timezone)).strftime("%Y-%m-%d %H:%M")
    send_id = f"self-{uuid.uuid4().hex}"
    key = preview_key(send_id, target.recipient_id or actor.user_id)
    session.add(
        Notification(
            org_id=actor.org_id,
            type="preview",
            dedupe_key=key,
            recipient_id=target.recipient_id,
            task_id=task.id,
            payload={
                # No previewId: a plain notice to one person, never recorded on a preview.
                "selfTest": True,
                "selfTestUser": actor.user_id,
                "content": shown,
                "title": f"【测试】{task.name}",
                "taskName": task.name,
                "time": when,
                "status": "测试消息，仅发给你",
                "page": pages.task(task.id),
                "lines": [],
            },
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return SelfTest(key, send_id, target)


def self_test_outcome(session: Session, key: str) -> tuple[str, str | None]:
    """Return ("sent" | "failed" | "queued", the channel's reason when not sent) for a queued test."""
    row = session.scalars(select(Notification).where(Notification.dedupe_key == key)).first()
    if row is None:
        return "failed", None
    if row.state == "sent":
        return "sent", None
    if row.state in ("failed", "inbox"):
        return "failed", row.last_error
    return "queued", row.last_error
