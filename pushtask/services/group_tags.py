"""Tags on groups ("初一年级", "全体家长"): pick or filter every group of a set at once.

A task picks groups by tag when it is saved: the tag's groups at that moment are written to the
task like hand-picked ones (docs/groups.md says why it does not follow later changes of the tag).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pushtask.domain.actor import Actor
from pushtask.errors import FieldProblem, InvalidInput, NotFound
from pushtask.models import Group, GroupTag

MAX_TAGS = 20


def normalise(tags: Iterable[str], field: str = "tags") -> list[str]:
    """Strip, drop empties and duplicates (keeping order); refuse control characters."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not tag:
            continue
        if any(ord(c) < 32 for c in tag):
            raise InvalidInput([FieldProblem(field, "invalid")])
        if tag not in out:
            out.append(tag)
    return out


def set_tags(session: Session, actor: Actor, group_id: str, tags: list[str]) -> list[str]:
    """Replace a group's tags; return them."""
    group = session.scalars(
        select(Group).where(Group.id == group_id, Group.org_id == actor.org_id, Group.deleted_at.is_(None))
    ).first()
    if group is None:
        raise NotFound("Group not found")
    wanted = normalise(tags)
    session.query(GroupTag).filter(GroupTag.group_id == group.id).delete(synchronize_session=False)
    session.add_all(GroupTag(group_id=group.id, tag=tag, org_id=group.org_id) for tag in wanted)
    return sorted(wanted)


def tags_of(session: Session, group_ids: Iterable[str]) -> dict[str, list[str]]:
    """Return each group's tags, sorted."""
    out: dict[str, list[str]] = {}
    ids = list(group_ids)
    if not ids:
        return out
    for gid, tag in session.execute(
        select(GroupTag.group_id, GroupTag.tag).where(GroupTag.group_id.in_(ids)).order_by(GroupTag.tag)
    ):
        out.setdefault(gid, []).append(tag)
    return out


def all_tags(session: Session, actor: Actor) -> list[tuple[str, int]]:
    """Return the organisation's tags with how many live groups carry each."""
    rows = session.execute(
        select(GroupTag.tag, func.count(GroupTag.group_id))
        .join(Group, Group.id == GroupTag.group_id)
        .where(GroupTag.org_id == actor.org_id, Group.deleted_at.is_(None))
        .group_by(GroupTag.tag)
        .order_by(GroupTag.tag)
    )
    return [(tag, int(count)) for tag, count in rows]


def groups_tagged(session: Session, org_id: str, tags: list[str], field: str = "groupTags") -> list[str]:
    """Return the ids of the live groups carrying any of `tags`, by name; an unknown tag is a 400."""
    wanted = normalise(tags, field)
    if not wanted:
        return []
    rows = session.execute(
        select(Group.id, GroupTag.tag)
        .join(GroupTag, GroupTag.group_id == Group.id)
        .where(Group.org_id == org_id, Group.deleted_at.is_(None), GroupTag.tag.in_(wanted))
        .order_by(Group.name, Group.id)
    ).all()
    unknown = [t for t in wanted if t not in {tag for _, tag in rows}]
    if unknown:
        raise InvalidInput([FieldProblem(field, "group_tag_unknown", {"tags": ", ".join(unknown)})])
    return list(dict.fromkeys(gid for gid, _ in rows))
