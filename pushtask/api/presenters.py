"""Serialise models into the API's JSON shapes (PRD §8, camelCase)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pushtask.api.media import image_fields, with_image
from pushtask.domain import recurrence
from pushtask.domain.variants import CONTENT_FIELDS
from pushtask.models import Confirmation, Group, Push, Recipient, Task, User
from pushtask.services import pushes, task_variants
from pushtask.services.calendar import occurrence_out, task_plan, warnings_for
from pushtask.services.directory import names_by_id
from pushtask.services.schedules import iso_in_zone, iso_utc, rule_of, schedule_out
from pushtask.services.task_list import TaskPage
from pushtask.services.tasks import PRIORITY_NAMES, group_ids_of, recipient_ids_of


def content_out(task: Task) -> dict[str, Any]:
    return {
        "text": task.content_text,
        "image": task.content_image,
        "link": task.content_link,
        "miniprogram": task.content_miniprogram,
    }


def variants_out(variants: list[dict[str, Any]] | None, pictures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`{"variants": [...]}` for a task with A/B variants (issue 19), else nothing (the key is absent)."""
    if not variants:
        return {}
    return {
        "variants": [
            {"key": v["key"], "content": with_image({f: v["content"].get(f) for f in CONTENT_FIELDS}, pictures)}
            for v in variants
        ]
    }


def _variant_images(tasks: Sequence[Any]) -> list[str]:
    return [v["content"]["image"] for t in tasks for v in (t.variants or []) if v["content"].get("image")]


def tasks_out(session: Session, tasks: Sequence[Task], lang: str, *, images: bool = True) -> list[dict[str, Any]]:
    """Serialise a page of tasks, loading their groups, reviewers and creators in three queries.

    With `images`, each content carries a fresh signed `imageUrl` and the `imageName`.
    """
    ids = [t.id for t in tasks]
    pictures: dict[str, dict[str, Any]] = {}
    if images:
        for org_id in {t.org_id for t in tasks if t.content_image}:
            keys = [t.content_image for t in tasks if t.org_id == org_id and t.content_image]
            keys += _variant_images([t for t in tasks if t.org_id == org_id])
            pictures.update(image_fields(session, org_id, keys))
    groups = group_ids_of(session, ids)
    recipients = recipient_ids_of(session, ids)
    group_rows = names_by_id(session, Group, {g for gs in groups.values() for g in gs})
    recipient_rows = names_by_id(session, Recipient, {r for rs in recipients.values() for r in rs})
    creators = names_by_id(session, User, {t.creator_id for t in tasks})
    out = []
    for task in tasks:
        gids = groups.get(task.id, [])
        rids = recipients.get(task.id, [])
        creator = creators.get(task.creator_id)
        out.append(
            {
                "taskId": task.id,
                "name": task.name,
                "schedule": schedule_out(task),
                "scheduleText": recurrence.describe(rule_of(task), lang),
                "content": with_image(content_out(task), pictures) if images else content_out(task),
                "contentVersion": task.content_version,
                "groups": gids,
                "groupNames": [group_rows[g].name for g in gids if g in group_rows],
                "priority": PRIORITY_NAMES[task.priority],
                "status": task.status,
                "creatorId": task.creator_id,
                "creatorName": creator.name if creator else "",
                "previewRecipients": rids,
                "previewRecipientNames": [recipient_rows[r].name for r in rids if r in recipient_rows],
                "previewState": task.preview_state,
                "nextFireAt": iso_in_zone(task.next_fire_at, task.timezone),
                "pausedUntil": iso_in_zone(task.paused_until, task.timezone),
                "createdAt": iso_utc(task.created_at),
                "updatedAt": iso_utc(task.updated_at),
                "feedbackEnabled": task.feedback_enabled,
                **variants_out(task.variants, pictures),
            }
        )
    return out


def task_page_out(page: TaskPage, lang: str, session: Session) -> list[dict[str, Any]]:
    """Serialise a page read by `services.task_list.read_page` (the same shape as `tasks_out`)."""
    out = []
    pictures: dict[str, dict[str, Any]] = {}
    if keys := [row.content_image for row in page.rows if row.content_image] + _variant_images(page.rows):
        pictures = image_fields(session, page.rows[0].org_id, keys)
    for row in page.rows:
        task: Any = row  # a Core row with Task's column names: the schedule helpers read it as a task
        links = page.links[row.id]
        zone = row.timezone
        out.append(
            {
                "taskId": row.id,
                "name": row.name,
                "schedule": schedule_out(task),
                "scheduleText": recurrence.describe(rule_of(task), lang),
                "content": with_image(
                    {
                        "text": row.content_text,
                        "image": row.content_image,
                        "link": row.content_link,
                        "miniprogram": row.content_miniprogram,
                    },
                    pictures,
                ),
                "contentVersion": row.content_version,
                "groups": links.groups,
                "groupNames": links.group_names,
                "priority": PRIORITY_NAMES[row.priority],
                "status": row.status,
                "creatorId": row.creator_id,
                "creatorName": page.creator_names.get(row.creator_id, ""),
                "previewRecipients": links.recipients,
                "previewRecipientNames": links.recipient_names,
                "previewState": row.preview_state,
                "nextFireAt": iso_in_zone(row.next_fire_at, zone),
                "pausedUntil": iso_in_zone(row.paused_until, zone),
                "createdAt": iso_utc(row.created_at),
                "updatedAt": iso_utc(row.updated_at),
                "feedbackEnabled": row.feedback_enabled,
                **variants_out(row.variants, pictures),
            }
        )
    return out


def task_detail_out(session: Session, task: Task, lang: str, now: datetime) -> dict[str, Any]:
    """Serialise one task with its groups, reviewers and the next five fire times."""
    (base,) = tasks_out(session, [task], lang)
    group_rows = names_by_id(session, Group, set(base["groups"]))
    recipient_rows = names_by_id(session, Recipient, set(base["previewRecipients"]))
    upcoming = upcoming_of(task, now)
    base.update(
        {
            "groupsDetail": [
                {"groupId": g, "name": group_rows[g].name, "channel": group_rows[g].channel}
                for g in base["groups"]
                if g in group_rows
            ],
            "recipientsDetail": [
                {
                    "recipientId": r,
                    "name": recipient_rows[r].name,
                    "wechatId": recipient_rows[r].wechat_id,
                    "channel": recipient_rows[r].channel,
                }
                for r in base["previewRecipients"]
                if r in recipient_rows
            ],
            "upcoming": [iso_in_zone(u, task.timezone) for u in upcoming],
            "lastResult": _last_result(session, task, lang),
            "upcomingPlan": [occurrence_out(o, task.timezone, lang) for o in task_plan(task, now)],
            "calendarWarnings": warnings_for(task, now, lang),
        }
    )
    if task.variants:
        base["variantGroups"] = task_variants.next_split(session, task)
        if task.variant_groups:
            base["variantPinned"] = task.variant_groups
    return base


def upcoming_of(task: Task, now: datetime, count: int = 5) -> list[datetime]:
    """The task's next push times, agreeing with `nextFireAt`.

    A scheduled task lists from its `next_fire_at` (which a missed, moved or still-running push
    may hold away from the rule's next slot after `now`). A draft or a paused task, which has no
    next push, lists what it would push once submitted or resumed: a pause with a resume time
    from that time on. Anything else (completed, failed with nothing left) lists nothing.
    """
    rule = rule_of(task)
    if task.next_fire_at is not None:
        return [task.next_fire_at, *recurrence.upcoming(rule, task.next_fire_at, count - 1)]
    if task.status == "draft":
        return recurrence.upcoming(rule, now, count)
    if task.status == "paused":
        resume_at = task.paused_until if task.paused_until is not None and task.paused_until > now else now
        return recurrence.upcoming(rule, resume_at, count)
    return []


def _last_result(session: Session, task: Task, lang: str) -> dict[str, Any] | None:
    push = pushes.last_result(session, task)
    if push is None:
        return None
    return push_out(push, pushes.deliveries_of(session, push), lang)


def push_out(push: Push, views: list[pushes.DeliveryView], language: str) -> dict[str, Any]:
    """Serialise a push with the PRD's sentGroups/failedGroups and the uncertain ones."""

    def error(d: Any) -> str:
        return str((d.error_en if language == "en" else d.error_zh) or d.error_zh or "")

    return {
        "pushId": push.id,
        "taskId": push.task_id,
        "status": push.status,
        "trigger": push.trigger,
        "fireAt": iso_utc(push.fire_at),
        "sentGroups": [v.delivery.group_id for v in views if v.delivery.state == "sent"],
        "failedGroups": [
            {"groupId": v.delivery.group_id, "error": error(v.delivery)} for v in views if v.delivery.state == "failed"
        ],
        "uncertainGroups": [v.delivery.group_id for v in views if v.delivery.state == "uncertain"],
        "awaitingGroups": [v.delivery.group_id for v in views if v.delivery.state == "awaiting_confirmation"],
        "unconfirmedGroups": [v.delivery.group_id for v in views if v.delivery.state == "unconfirmed"],
        "awaitingOwners": _awaiting_owners(views),
        "total": push.total,
        "sentCount": sum(v.delivery.state == "sent" for v in views),
        "failedCount": sum(v.delivery.state == "failed" for v in views),
        "uncertainCount": sum(v.delivery.state == "uncertain" for v in views),
        "awaitingCount": sum(v.delivery.state == "awaiting_confirmation" for v in views),
        "unconfirmedCount": sum(v.delivery.state == "unconfirmed" for v in views),
        "cancelledCount": sum(v.delivery.state == "cancelled" for v in views),
        "missedCount": push.missed_count,
        "contentVersion": push.content_version,
        "timestamp": iso_utc(push.created_at),
        "firstSentAt": iso_utc(push.first_sent_at),
        "finishedAt": iso_utc(push.finished_at),
    }


def _awaiting_owners(views: list[pushes.DeliveryView]) -> list[dict[str, Any]]:
    """Who must still confirm the send, with how many groups each (most first)."""
    counts: dict[tuple[str | None, str], int] = {}
    for v in views:
        if v.delivery.state != "awaiting_confirmation":
            continue
        owner = (v.confirmation.owner if v.confirmation is not None else "") or None
        key = (owner, v.owner_name or owner or "?")
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1]))
    return [{"owner": owner, "ownerName": name, "groups": n} for (owner, name), n in ranked]


def push_detail_out(push: Push, views: list[pushes.DeliveryView], language: str) -> dict[str, Any]:
    out = push_out(push, views, language)
    out["groups"] = [
        {
            "groupId": v.delivery.group_id,
            "groupName": v.group_name,
            "channel": v.delivery.channel,
            "state": v.delivery.state,
            "attempts": v.delivery.attempts,
            "errcode": v.delivery.errcode,
            "error": (v.delivery.error_en if language == "en" else v.delivery.error_zh) or None,
            "firstAttemptAt": iso_utc(v.delivery.first_attempt_at),
            "lastAttemptAt": iso_utc(v.delivery.last_attempt_at),
            "requestSent": v.delivery.request_sent,
            "sentAt": iso_utc(v.delivery.sent_at),
            **_confirmation_out(v.confirmation, language, v.delivery.state),
            "ownerName": (v.owner_name or (v.confirmation.owner if v.confirmation else None)) or None,
        }
        for v in views
    ]
    return out


def _confirmation_out(c: Confirmation | None, language: str, state: str = "") -> dict[str, Any]:
    """A two-phase delivery's details: what is awaited (with the reminders so far), the job, the owner."""
    if c is None:
        return {
            "detail": None,
            "externalRef": None,
            "owner": None,
            "deadlineAt": None,
            "reminders": 0,
            "remindRefused": None,
        }
    en = language == "en"
    detail = ((c.detail_en if en else c.detail_zh) or c.detail_zh) or None
    if detail and state == "awaiting_confirmation" and c.reminders:
        detail += f" (reminded {c.reminders}×)" if en else f"（已提醒 {c.reminders} 次）"
    return {
        "detail": detail,
        "externalRef": c.external_ref,
        "owner": c.owner or None,
        "deadlineAt": iso_utc(c.deadline_at),
        "reminders": c.reminders,
        "remindRefused": ((c.remind_refused_en if en else c.remind_refused_zh) or c.remind_refused_zh) or None,
    }
