"""Content templates: the built-in ones (no organisation) and each organisation's own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pushtask.domain import content as rules
from pushtask.domain.actor import Actor
from pushtask.domain.text import count_chars
from pushtask.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pushtask.models import Template, new_id

NAME_LIMIT = 50


def list_templates(session: Session, actor: Actor) -> list[Template]:
    """Return the built-in templates first, then the organisation's own, by name."""
    rows = session.scalars(
        select(Template)
        .where(or_(Template.org_id.is_(None), Template.org_id == actor.org_id), Template.deleted_at.is_(None))
        .order_by(Template.org_id.is_not(None), Template.created_at, Template.name, Template.id)
    )
    return list(rows)


def _check(session: Session, actor: Actor, name: str, content: dict[str, Any], own_id: str | None) -> str:
    name = name.strip()
    problems: list[FieldProblem] = []
    if not 1 <= count_chars(name) <= NAME_LIMIT:
        problems.append(FieldProblem("name", "template_name"))
    else:
        clash = session.scalar(
            select(Template.id).where(
                or_(Template.org_id.is_(None), Template.org_id == actor.org_id),
                Template.name == name,
                Template.deleted_at.is_(None),
                Template.id != (own_id or ""),
            )
        )
        if clash:
            problems.append(FieldProblem("name", "template_name_taken"))
    # Variables are checked here, when the template is saved, not when a push fills them in.
    problems += rules.check(content, require_content=True)
    if problems:
        raise InvalidInput(problems, error="Invalid template")
    return name


def create_template(session: Session, actor: Actor, name: str, content: dict[str, Any], now: datetime) -> Template:
    name = _check(session, actor, name, content, None)
    template = Template(
        id=new_id(),
        org_id=actor.org_id,
        name=name,
        content=content,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(template)
    return template


def _own(session: Session, actor: Actor, template_id: str) -> Template:
    template = session.scalars(
        select(Template).where(
            Template.id == template_id,
            or_(Template.org_id.is_(None), Template.org_id == actor.org_id),
            Template.deleted_at.is_(None),
        )
    ).first()
    if template is None:
        raise NotFound("Template not found")
    if template.org_id is None:
        raise Conflict("template_builtin")
    return template


def update_template(
    session: Session, actor: Actor, template_id: str, name: str | None, content: dict[str, Any] | None, now: datetime
) -> Template:
    template = _own(session, actor, template_id)
    new_name = _check(
        session, actor, name if name is not None else template.name, content or template.content, template.id
    )
    template.name = new_name
    if content is not None:
        template.content = content
    template.updated_at = now
    return template


def delete_template(session: Session, actor: Actor, template_id: str, now: datetime) -> None:
    template = _own(session, actor, template_id)
    template.deleted_at = now
