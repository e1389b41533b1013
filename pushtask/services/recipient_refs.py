"""Reviewers named by our recipient id or by their WeChat ID (PRD §4.1.1 names them by WeChat ID).

WeChat IDs are encrypted at rest, so they match exactly through their keyed lookup hash. A value
that is neither stays as it is (the caller reports it as unknown); a WeChat ID that two recipients
share is ambiguous: 400 naming the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import Recipient


def resolve(session: Session, org_id: str, values: Sequence[str], field: str) -> list[str]:
    """Return `values` with every WeChat ID replaced by its recipient's id, order kept."""
    if not values:
        return list(values)
    known = set(
        session.scalars(
            select(Recipient.id).where(
                Recipient.id.in_(list(values)), Recipient.org_id == org_id, Recipient.deleted_at.is_(None)
            )
        )
    )
    out: list[str] = []
    problems: list[FieldProblem] = []
    for value in values:
        if value in known:
            out.append(value)
            continue
        matches = session.scalars(
            select(Recipient)
            .where(Recipient.org_id == org_id, Recipient.deleted_at.is_(None), Recipient.wechat_id_is(value))
            .order_by(Recipient.name, Recipient.id)
        ).all()
        if len(matches) == 1:
            out.append(matches[0].id)
        elif len(matches) > 1:
            names = "、".join(f"{r.name}（{r.id}）" for r in matches[:10])
            problems.append(FieldProblem(field, "recipient_ambiguous", {"value": value, "names": names}))
        else:
            out.append(value)
    if problems:
        raise InvalidInput(problems)
    return out
