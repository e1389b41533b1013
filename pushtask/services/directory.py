"""The organisation's groups and recipients: lookups for pickers and admin maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.models import Group, GroupTag, Recipient, Task, TaskGroup, TaskRecipient, User, new_id
from pushtask.schemas import GroupCreate, GroupUpdate, RecipientCreate, RecipientUpdate

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


def _same_group(session: Session, actor: Actor, channel: str, ref: str, except_id: str | None = None) -> None:
    """Refuse a second live group with this channel and reference (409 with the existing group's name)."""
    stmt = select(Group.name).where(
        Group.org_id == actor.org_id, Group.deleted_at.is_(None), Group.channel == channel, Group.channel_ref_is(ref)
    )
    if except_id is not None:
        stmt = stmt.where(Group.id != except_id)
    with session.no_autoflush:  # the changed row is checked before it is written
        existing = session.scalars(stmt.limit(1)).first()
    if existing is not None:
        raise Conflict("group_duplicate", name=existing)


def _same_recipient(
    session: Session, actor: Actor, wechat_id: str, channel: str, user_id: str, except_id: str | None = None
) -> None:
    """Refuse a second live recipient with this WeChat ID, channel and userid/openid."""
    stmt = select(Recipient.name).where(
        Recipient.org_id == actor.org_id,
        Recipient.deleted_at.is_(None),
        Recipient.channel == channel,
        Recipient.wechat_id_is(wechat_id),
        Recipient.channel_user_id_is(user_id),
    )
    if except_id is not None:
        stmt = stmt.where(Recipient.id != except_id)
    with session.no_autoflush:
        existing = session.scalars(stmt.limit(1)).first()
    if existing is not None:
        raise Conflict("recipient_duplicate", name=existing)


def _check_bridge_name(session: Session, org_id: str, name: str, group_id: str | None) -> None:
    """A bridge that addresses rooms by name (wechatbot-webhook) cannot tell two same-named groups apart."""
    query = select(Group.id).where(
        Group.org_id == org_id, Group.channel == "bot_bridge", Group.name == name, Group.deleted_at.is_(None)
    )
    if group_id is not None:
        query = query.where(Group.id != group_id)
    if session.scalar(query.limit(1)) is not None:
        raise InvalidInput([FieldProblem("name", "bridge_name_taken", {"name": name})])


def create_group(
    session: Session, actor: Actor, data: GroupCreate, now: datetime, *, unique_bridge_names: bool = False
) -> Group:
    """Add a group to the caller's organisation (409 if it has one with this channel and reference)."""
    _same_group(session, actor, data.channel, data.channelRef.strip())
    owner = (data.ownerUserid or "").strip() or None
    if data.channel == "wecom_customer_group" and owner is None:
        raise InvalidInput([FieldProblem("ownerUserid", "owner_required")])
    if unique_bridge_names and data.channel == "bot_bridge":
        _check_bridge_name(session, actor.org_id, data.name.strip(), None)
    group = Group(
        id=new_id(),
        org_id=actor.org_id,
        name=data.name.strip(),
        channel=data.channel,
        channel_ref=data.channelRef.strip(),
        member_count=data.memberCount,
        owner_userid=owner,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    return group


def update_group(
    session: Session,
    actor: Actor,
    group_id: str,
    data: GroupUpdate,
    now: datetime,
    *,
    unique_bridge_names: bool = False,
) -> Group:
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
    _same_group(session, actor, group.channel, group.channel_ref, except_id=group.id)
    if data.ownerUserid is not None:
        group.owner_userid = data.ownerUserid.strip() or None
    if group.channel == "wecom_customer_group" and not group.owner_userid:
        raise InvalidInput([FieldProblem("ownerUserid", "owner_required")])
    if unique_bridge_names and group.channel == "bot_bridge":
        _check_bridge_name(session, actor.org_id, group.name, group.id)
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
    """Add a person who can receive previews and notices (409 if they are already in the directory)."""
    _same_recipient(session, actor, data.wechatId.strip(), data.channel, data.channelUserId.strip())
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
    _same_recipient(
        session, actor, recipient.wechat_id, recipient.channel, recipient.channel_user_id, except_id=recipient.id
    )
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
