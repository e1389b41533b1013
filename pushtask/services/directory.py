"""The organisation's groups and recipients: lookups for pickers and admin maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from pushtask.errors import Conflict, NotFound
from pushtask.models import Group, GroupTag, Recipient, Task, TaskGroup, TaskRecipient, User, new_id
from pushtask.schemas import GroupCreate, GroupUpdate, RecipientCreate, RecipientUpdate
from pushtask.services.context import Actor

Row = TypeVar("Row", Group, Recipient)
Named = TypeVar("Named", Group, Recipient, User)
# Tasks in these states still intend to push, so their groups and reviewers must stay.
_ACTIVE = ("scheduled", "running", "paused")


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_groups(
    session: Session, actor: Actor, q: str | None, page: int, limit: int, *, tag: str | None = None
) -> tuple[list[Group], int]:
    """Return a page of the caller's groups matching `q` by name (and carrying `tag`), and the total."""
    stmt = select(Group).where(Group.org_id == actor.org_id, Group.deleted_at.is_(None))
    if tag:
        stmt = stmt.where(exists().where(GroupTag.group_id == Group.id, GroupTag.tag == tag))
    if q:
        stmt = stmt.where(Group.name.like(_like(q), escape="\\"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Group.name, Group.id).limit(limit).offset((page - 1) * limit))
    return list(rows), int(total)


def list_recipients(
    session: Session, actor: Actor, q: str | None, page: int, limit: int
) -> tuple[list[Recipient], int]:
    """Return a page of the caller's recipients whose name contains `q` or whose WeChat ID is `q`, and the total.

    WeChat IDs are encrypted at rest, so they match exactly (through their keyed hash), not by substring.
    """
    stmt = select(Recipient).where(Recipient.org_id == actor.org_id, Recipient.deleted_at.is_(None))
    if q:
        stmt = stmt.where(or_(Recipient.name.like(_like(q), escape="\\"), Recipient.wechat_id_is(q)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Recipient.name, Recipient.id).limit(limit).offset((page - 1) * limit))
    return list(rows), int(total)


def _get(session: Session, model: type[Row], actor: Actor, row_id: str) -> Row:
    row = session.scalars(
        select(model).where(model.id == row_id, model.org_id == actor.org_id, model.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound(f"{'Group' if model is Group else 'Recipient'} not found")
    return row


def create_group(session: Session, actor: Actor, data: GroupCreate, now: datetime) -> Group:
    """Add a group to the caller's organisation."""
    group = Group(
        id=new_id(),
        org_id=actor.org_id,
        name=data.name.strip(),
        channel=data.channel,
        channel_ref=data.channelRef.strip(),
        member_count=data.memberCount,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    return group


def update_group(session: Session, actor: Actor, group_id: str, data: GroupUpdate, now: datetime) -> Group:
    """Change a group's name, channel, reference or member count."""
    group = _get(session, Group, actor, group_id)
    if data.name is not None:
        group.name = data.name.strip()
    if data.channel is not None:
        group.channel = data.channel
    if data.channelRef is not None:
        group.channel_ref = data.channelRef.strip()
    if data.memberCount is not None:
        group.member_count = data.memberCount
    group.updated_at = now
    return group


def delete_group(session: Session, actor: Actor, group_id: str, now: datetime) -> None:
    """Remove a group no active task still targets."""
    group = _get(session, Group, actor, group_id)
    users = session.scalars(
        select(Task.name)
        .join(TaskGroup, TaskGroup.task_id == Task.id)
        .where(TaskGroup.group_id == group.id, Task.deleted_at.is_(None), Task.status.in_(_ACTIVE))
        .limit(5)
    ).all()
    if users:
        raise Conflict("group_in_use", names="、".join(users))
    group.deleted_at = now


def create_recipient(session: Session, actor: Actor, data: RecipientCreate, now: datetime) -> Recipient:
    """Add a person who can receive previews and notices."""
    recipient = Recipient(
        id=new_id(),
        org_id=actor.org_id,
        name=data.name.strip(),
        wechat_id=data.wechatId.strip(),
        channel=data.channel,
        channel_user_id=data.channelUserId.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(recipient)
    return recipient


def update_recipient(
    session: Session, actor: Actor, recipient_id: str, data: RecipientUpdate, now: datetime
) -> Recipient:
    """Change a recipient's details."""
    recipient = _get(session, Recipient, actor, recipient_id)
    if data.name is not None:
        recipient.name = data.name.strip()
    if data.wechatId is not None:
        recipient.wechat_id = data.wechatId.strip()
    if data.channel is not None:
        recipient.channel = data.channel
    if data.channelUserId is not None:
        recipient.channel_user_id = data.channelUserId.strip()
    recipient.updated_at = now
    return recipient


def delete_recipient(session: Session, actor: Actor, recipient_id: str, now: datetime) -> None:
    """Remove a recipient who reviews no active task."""
    recipient = _get(session, Recipient, actor, recipient_id)
    users = session.scalars(
        select(Task.name)
        .join(TaskRecipient, TaskRecipient.task_id == Task.id)
        .where(TaskRecipient.recipient_id == recipient.id, Task.deleted_at.is_(None), Task.status.in_(_ACTIVE))
        .limit(5)
    ).all()
    if users:
        raise Conflict("recipient_in_use", names="、".join(users))
    recipient.deleted_at = now


def names_by_id(session: Session, model: type[Named], ids: set[str]) -> dict[str, Named]:
    """Return rows by id (deleted ones included, so history still shows their names)."""
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(list(ids))))}
