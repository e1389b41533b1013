"""PIPL: export, and erase on request, everything one organisation holds about one person.

A person is named by one identifier: a recipient's WeChat ID, a recipient's WeCom userid /
mini-program openid (each may match several recipient records), or a feedback member id. The
identifiers are encrypted at rest, so rows are found through their keyed-hash columns.

Erasure keeps what the organisation's figures are made of and removes what points at the person:

- recipient records: name, WeChat ID and userid/openid replaced by an anonymous marker, removed from
  the directory (soft-deleted), and taken off every task as a reviewer;
- preview deliveries (who was sent what, who confirmed): kept, now pointing at the anonymous record,
  so approval history and counts stay right; decisions they made keep the response, lose the name
  and the comment (also the comment copied onto the preview and into the task log);
- notices to them and their subscription quotas: deleted;
- feedback: the rating, task, group and time stay (reports still count the answer); the member id
  becomes the same anonymous marker and the text is deleted.

The anonymous marker is random per erasure, so one person's answers still count as one member but
can never be linked back to them. Each export and erasure writes an audit entry naming the kind of
identifier and the counts, never the identifier. Erasing again finds nothing: NotFound, and no change.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pushtask.errors import FieldProblem, InvalidInput, NotFound
from pushtask.infra import fieldcrypt
from pushtask.models import (
    AuditEntry,
    Feedback,
    LinkVisitor,
    Notification,
    NotificationSettings,
    Preview,
    PreviewDecision,
    PreviewRecipient,
    Push,
    Recipient,
    Subscription,
    Task,
    TaskLog,
    TaskRecipient,
)
from pushtask.models.notification import MEMBER
from pushtask.services.schedules import iso_utc

log = logging.getLogger("pushtask.privacy")

IDENTIFIERS = ("wechatId", "channelUserId", "memberId")
CHOICES = "wechatId, channelUserId or memberId"  # as pydantic words it for the API
ERASED_NAME = "已删除"


@dataclass(frozen=True)
class Person:
    """One identifier of one person, as given by the admin."""

    identifier: str
    value: str

    @classmethod
    def of(cls, identifier: str, value: str) -> Person:
        """Check and normalise what was given (values are stored trimmed, so they are matched trimmed)."""
        if identifier not in IDENTIFIERS:
            raise InvalidInput([FieldProblem("identifier", "choice", {"choices": CHOICES})])
        if not value.strip():
            raise InvalidInput([FieldProblem("value", "blank")])
        return cls(identifier, value.strip())


@dataclass(frozen=True)
class Via:
    """Who asks, for the audit entry: an admin through the API, or the command line."""

    via: str
    user_id: str | None = None


@dataclass
class Holdings:
    """The rows held about one person in one organisation."""

    recipients: list[Recipient] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)

    @property
    def recipient_ids(self) -> list[str]:
        return [r.id for r in self.recipients]


def _find(session: Session, org_id: str, person: Person, *, lock: bool = False) -> Holdings:
    """Return the person's recipient records (removed ones too) or feedback in the organisation; NotFound if none."""
    held = Holdings()
    if person.identifier == "memberId":
        answers = select(Feedback).where(Feedback.org_id == org_id, Feedback.member_is(person.value))
        answers = answers.order_by(Feedback.id)
        held.feedback = list(session.scalars(answers.with_for_update() if lock else answers))
    else:
        match = (
            Recipient.wechat_id_is(person.value)
            if person.identifier == "wechatId"
            else Recipient.channel_user_id_is(person.value)
        )
        records = select(Recipient).where(Recipient.org_id == org_id, match)
        records = records.order_by(Recipient.created_at, Recipient.id)
        held.recipients = list(session.scalars(records.with_for_update() if lock else records))
    if not held.recipients and not held.feedback:
        raise NotFound("Person not found", code="person_not_found")
    return held


def _audit(
    session: Session, org_id: str, via: Via, action: str, person: Person, counts: dict[str, int], now: datetime
) -> None:
    session.add(
        AuditEntry(
            org_id=org_id,
            user_id=via.user_id,
            via=via.via,
            action=action,
            details={"identifier": person.identifier, "counts": counts},
            created_at=now,
        )
    )


# ---- export ------------------------------------------------------------------------------------


def export(session: Session, org_id: str, person: Person, via: Via, now: datetime) -> dict[str, Any]:
    """Return everything held about the person in the organisation (decrypted), and audit the export."""
    held = _find(session, org_id, person)
    ids = held.recipient_ids
    out: dict[str, Any] = {
        "identifier": person.identifier,
        "recipients": [_recipient_out(r) for r in held.recipients],
        "reviewerOf": _reviewer_of(session, ids),
        "previews": _previews(session, ids),
        "decisions": _decisions(session, ids),
        "notifications": _notifications(session, ids),
        "subscriptions": _subscriptions(session, ids),
        "feedback": [_feedback_out(f) for f in held.feedback],
    }
    counts = {key: len(value) for key, value in out.items() if isinstance(value, list)}
    _audit(session, org_id, via, "person.export", person, counts, now)
    return out


def _recipient_out(r: Recipient) -> dict[str, Any]:
    return {
        "recipientId": r.id,
        "name": r.name,
        "wechatId": r.wechat_id,
        "channel": r.channel,
        "channelUserId": r.channel_user_id,
        "createdAt": iso_utc(r.created_at),
        "updatedAt": iso_utc(r.updated_at),
        "deletedAt": iso_utc(r.deleted_at) if r.deleted_at else None,
    }


def _reviewer_of(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Task.id, Task.name, TaskRecipient.recipient_id)
        .join(TaskRecipient, TaskRecipient.task_id == Task.id)
        .where(TaskRecipient.recipient_id.in_(ids))
        .order_by(Task.created_at, Task.id)
    )
    return [{"taskId": t, "taskName": name, "recipientId": rid} for t, name, rid in rows]


def _previews(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(PreviewRecipient, Preview.task_id)
        .join(Preview, Preview.id == PreviewRecipient.preview_id)
        .where(PreviewRecipient.recipient_id.in_(ids))
        .order_by(Preview.created_at, Preview.id)
    )
    return [
        {
            "previewId": pr.preview_id,
            "taskId": task_id,
            "recipientId": pr.recipient_id,
            "channel": pr.channel,
            "state": pr.state,
            "decision": pr.decision,
            "decidedAt": iso_utc(pr.decided_at) if pr.decided_at else None,
        }
        for pr, task_id in rows
    ]


def _decisions(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(PreviewDecision)
        .where(PreviewDecision.recipient_id.in_(ids))
        .order_by(PreviewDecision.created_at, PreviewDecision.id)
    )
    return [
        {
            "decisionId": d.id,
            "previewId": d.preview_id,
            "taskId": d.task_id,
            "recipientId": d.recipient_id,
            "response": d.response,
            "via": d.via,
            "comment": d.comment,
            "createdAt": iso_utc(d.created_at),
        }
        for d in rows
    ]


def _notifications(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.scalars(select(Notification).where(Notification.recipient_id.in_(ids)).order_by(Notification.id))
    return [
        {
            "notificationId": n.id,
            "recipientId": n.recipient_id,
            "type": n.type,
            "channel": n.channel,
            "state": n.state,
            "taskId": n.task_id,
            "payload": n.payload,
            "createdAt": iso_utc(n.created_at),
            "sentAt": iso_utc(n.sent_at) if n.sent_at else None,
        }
        for n in rows
    ]


def _subscriptions(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Subscription).where(Subscription.recipient_id.in_(ids)).order_by(Subscription.template_id)
    )
    return [{"recipientId": s.recipient_id, "templateId": s.template_id, "remaining": s.remaining} for s in rows]


def _feedback_out(f: Feedback) -> dict[str, Any]:
    return {
        "feedbackId": f.id,
        "taskId": f.task_id,
        "groupId": f.group_id,
        "pushId": f.push_id,
        "memberId": f.member,
        "rating": f.rating,
        "content": f.content,
        "createdAt": iso_utc(f.created_at),
    }


# ---- erasure -----------------------------------------------------------------------------------


def erase(session: Session, org_id: str, person: Person, via: Via, now: datetime) -> dict[str, int]:
    """Anonymise or delete everything held about the person (one transaction: the caller's); return counts."""
    held = _find(session, org_id, person, lock=True)
    marker = f"erased-{secrets.token_hex(8)}"
    ids = held.recipient_ids
    counts = {
        "recipients": len(held.recipients),
        "reviewerOf": _rowcount(session.execute(delete(TaskRecipient).where(TaskRecipient.recipient_id.in_(ids)))),
        "previews": len(_previews(session, ids)),
        "decisions": _anonymise_decisions(session, ids),
        "notifications": _rowcount(session.execute(delete(Notification).where(Notification.recipient_id.in_(ids)))),
        "subscriptions": _rowcount(session.execute(delete(Subscription).where(Subscription.recipient_id.in_(ids)))),
        "feedback": len(held.feedback),
    }
    if ids:
        session.execute(
            update(NotificationSettings).where(NotificationSettings.recipient_id.in_(ids)).values(recipient_id=None)
        )
    for recipient in held.recipients:
        recipient.name = ERASED_NAME
        recipient.wechat_id = marker
        recipient.channel_user_id = marker
        recipient.deleted_at = recipient.deleted_at or now
        recipient.updated_at = now
    for answer in held.feedback:
        answer.member = marker
        answer.content = ""
    if person.identifier == "memberId":
        _unlink_visits(session, org_id, person.value, marker)
    _audit(session, org_id, via, "person.erase", person, counts, now)
    # The counts and the kind of identifier only: the log must not name the person either.
    log.info("personal data erased", extra={"org_id": org_id, "identifier": person.identifier, "counts": counts})
    return counts


def _unlink_visits(session: Session, org_id: str, member: str, marker: str) -> None:
    """A member's mini-program opens (issue 19) are keyed by the hash of their member id: re-key them to the
    marker's, as their answers now carry it, so the report still counts one person and nobody can find them."""
    pushes = select(Push.id).where(Push.org_id == org_id)
    visits = select(LinkVisitor).where(
        LinkVisitor.visitor.in_(fieldcrypt.lookup_hashes(member, MEMBER)), LinkVisitor.push_id.in_(pushes)
    )
    for visit in session.scalars(visits.with_for_update()):
        visit.visitor = fieldcrypt.lookup_hash(marker, MEMBER)


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _anonymise_decisions(session: Session, ids: list[str]) -> int:
    """Keep each decision's response; drop the reviewer's name and words wherever they were copied."""
    decisions = list(session.scalars(select(PreviewDecision).where(PreviewDecision.recipient_id.in_(ids))))
    for decision in decisions:
        if decision.comment:
            preview = session.get(Preview, decision.preview_id)
            if preview is not None and preview.comment == decision.comment:
                preview.comment = None
        decision.actor_name = ERASED_NAME
        decision.comment = None
    # A "modify" wrote the comment into the task's log under the reviewer's recipient id.
    for entry in session.scalars(select(TaskLog).where(TaskLog.user_id.in_(ids))):
        if "previewComment" in entry.changes:
            entry.changes = {**entry.changes, "previewComment": {"old": None, "new": None}}
    return len(decisions)
