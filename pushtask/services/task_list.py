"""The task list's read path: a page in two Core statements, and the writes that make a cached page old.

`read_page` reads the page's task columns (one statement), then every group and reviewer of those
tasks and every creator, with their names (one `UNION ALL`), without building ORM objects; the
total comes from the same filters (`services.tasks.query._filtered`). `track_writes` tells the list
cache (`pushtask.infra.listcache`) which organisations' data a committed session changed.

Writes that bypass a Session from the runtime's session factory (a bare `Connection`) must call
`Versions.bump` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction, sessionmaker
from sqlalchemy.orm.util import identity_key

from pushtask.domain.actor import Actor
from pushtask.infra.counts import CountCache
from pushtask.infra.listcache import EVERYONE, Versions
from pushtask.models import Group, Recipient, Task, TaskGroup, TaskRecipient, User
from pushtask.services.tasks import LIST_TOTALS, TaskQuery, _filtered, _ordered

# The columns a list row shows (the names match Task's attributes, so schedule helpers read a row too).
COLUMNS = (
    Task.id,
    Task.org_id,
    Task.name,
    Task.schedule_type,
    Task.schedule_time,
    Task.timezone,
    Task.recurring_interval,
    Task.interval,
    Task.weekdays,
    Task.month_day,
    Task.recurring_end,
    Task.end_after,
    Task.content_text,
    Task.content_image,
    Task.content_link,
    Task.content_miniprogram,
    Task.content_version,
    Task.priority,
    Task.status,
    Task.creator_id,
    Task.preview_state,
    Task.next_fire_at,
    Task.paused_until,
    Task.created_at,
    Task.updated_at,
    Task.feedback_enabled,
    Task.schedule_calendar,
    Task.occurrence_changes,
    Task.variants,
)


@dataclass
class Links:
    """A task's groups and reviewers in the order chosen, with the names of those that exist."""

    groups: list[str] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    recipient_names: list[str] = field(default_factory=list)


@dataclass
class TaskPage:
    rows: list[Row[Any]]
    links: dict[str, Links]
    creator_names: dict[str, str]
    total: int


def read_page(
    session: Session, actor: Actor, query: TaskQuery, version: Hashable = None, totals: CountCache = LIST_TOTALS
) -> TaskPage:
    """Return one page of the caller's tasks, their links and the total matching the filters.

    `version` is the organisation's data version when known: a total is then reused only within it.
    """
    conn = session.connection()
    stmt = _filtered(actor, query)
    offset = (query.page - 1) * query.limit
    # One table, as the ORM query was: MariaDB reads the page in index order and stops after it.
    page_stmt = _ordered(stmt, query.sort).with_only_columns(*COLUMNS).limit(query.limit).offset(offset)
    rows = list(conn.execute(page_stmt))
    links, creators = _links(session, [r.id for r in rows], {r.creator_id for r in rows})
    if 0 < len(rows) < query.limit or (offset == 0 and not rows):
        # The last page: its rows tell the total, and counting every match is saved.
        return TaskPage(rows, links, creators, offset + len(rows))
    key = (
        actor.org_id,
        query.status,
        query.priority,
        query.start_time,
        query.end_time,
        query.group_id,
        query.creator_id,
        query.recipient_id,
        query.q,
        version,
    )
    total = totals.get(key)
    if total is None or total < offset + len(rows):
        total = int(conn.scalar(stmt.with_only_columns(func.count(Task.id)).order_by(None)) or 0)
        totals.put(key, total)
    return TaskPage(rows, links, creators, total)


def _links(session: Session, task_ids: list[str], creator_ids: set[str]) -> tuple[dict[str, Links], dict[str, str]]:
    """The page's groups and reviewers with their names, and its creators' names, in one statement."""
    out: dict[str, Links] = {task_id: Links() for task_id in task_ids}
    creators: dict[str, str] = {}
    if not task_ids:
        return out, creators
    # Outer joins: a link to a row that is gone still lists its id (as the detail view does), without a name.
    groups = (
        select(TaskGroup.task_id, literal(0).label("kind"), TaskGroup.position, TaskGroup.group_id, Group.name)
        .outerjoin_from(TaskGroup, Group, Group.id == TaskGroup.group_id)
        .where(TaskGroup.task_id.in_(task_ids))
    )
    recipients = (
        select(
            TaskRecipient.task_id,
            literal(1).label("kind"),
            TaskRecipient.position,
            TaskRecipient.recipient_id,
            Recipient.name,
        )
        .outerjoin_from(TaskRecipient, Recipient, Recipient.id == TaskRecipient.recipient_id)
        .where(TaskRecipient.task_id.in_(task_ids))
    )
    users = select(
        User.id.label("task_id"), literal(2).label("kind"), literal(0).label("position"), User.id, User.name
    ).where(User.id.in_(sorted(creator_ids)))
    for task_id, kind, _position, ref, name in sorted(
        session.connection().execute(union_all(groups, recipients, users)), key=lambda r: (r[0], r[1], r[2])
    ):
        if kind == 2:
            creators[ref] = name
            continue
        link = out[task_id]
        if kind == 0:
            link.groups.append(ref)
            if name is not None:
                link.group_names.append(name)
        else:
            link.recipients.append(ref)
            if name is not None:
                link.recipient_names.append(name)
    return out, creators


# ---- what makes a cached page old ---------------------------------------------------------------

# Tables whose rows a list page shows: tasks, their links, and the names of groups, reviewers, creators.
LISTED = frozenset(
    {
        Task.__tablename__,
        TaskGroup.__tablename__,
        TaskRecipient.__tablename__,
        Group.__tablename__,
        Recipient.__tablename__,
        User.__tablename__,
    }
)
# Tables whose rows decide who a token belongs to (a cached sign-in is dropped when they change).
AUTH_TABLES = frozenset({User.__tablename__, "t_revoked_tokens"})
# `session.execute(update(...).execution_options(org_id=...))` names the organisation a bulk write is for;
# without it the write counts for every organisation.
ORG_OPTION = "org_id"
_TOUCHED = "pushtask.listed_orgs"
_AUTH = "pushtask.auth_changed"


def _org_of(session: Session, obj: Any) -> str:
    org_id = getattr(obj, "org_id", None)
    if org_id is None and hasattr(obj, "task_id"):
        task = session.identity_map.get(identity_key(Task, obj.task_id))
        org_id = getattr(task, "org_id", None)
    return str(org_id) if org_id else EVERYONE


def mark_written(session: Session, org_ids: Iterable[str]) -> None:
    """Count these organisations' listed rows as written by `session` (for a write it made on its bare
    connection, or one made earlier in another transaction): their cached pages are old once it commits."""
    session.info.setdefault(_TOUCHED, set()).update(org_ids)


def track_writes(sessions: sessionmaker[Session], versions: Versions, on_auth_change: Callable[[], None]) -> None:
    """Bump the data version of each organisation a committed session of `sessions` wrote listed rows for."""
    from sqlalchemy import event

    def after_flush(session: Session, _flush: UOWTransaction) -> None:
        touched: set[str] = session.info.setdefault(_TOUCHED, set())
        for obj in chain(session.new, session.dirty, session.deleted):
            table = getattr(obj, "__tablename__", None)
            if table in AUTH_TABLES:
                session.info[_AUTH] = True
            if table in LISTED and (obj not in session.dirty or session.is_modified(obj)):
                touched.add(_org_of(session, obj))

    def on_execute(state: ORMExecuteState) -> None:
        if not (state.is_update or state.is_delete or state.is_insert):
            return
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if table in AUTH_TABLES:
            state.session.info[_AUTH] = True
        if table in LISTED:
            org_id = state.execution_options.get(ORG_OPTION) or state.local_execution_options.get(ORG_OPTION)
            state.session.info.setdefault(_TOUCHED, set()).add(str(org_id) if org_id else EVERYONE)

    def after_commit(session: Session) -> None:
        touched = session.info.pop(_TOUCHED, None)
        if session.info.pop(_AUTH, None):
            on_auth_change()
        if touched:
            versions.bump(touched)

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            # A rollback of the whole transaction: what it wrote never became visible.
            session.info.pop(_TOUCHED, None)
            session.info.pop(_AUTH, None)

    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "do_orm_execute", on_execute)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_transaction_end", after_transaction_end)
