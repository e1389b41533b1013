"""Quota warnings for WeCom customer groups, as the validate, create and edit answers carry them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from pushtask.api.base import actor, lang, runtime, session
from pushtask.domain import quota as quota_rules
from pushtask.domain import recurrence
from pushtask.models import Group, Organization
from pushtask.services import customer_groups, quota

log = logging.getLogger("pushtask.quota")


def quota_warnings(
    group_ids: Sequence[str], rule: recurrence.Schedule | None, *, exclude_task_id: str | None = None
) -> list[dict[str, object]]:
    """Warnings for the customer groups among `group_ids` (none when there are none)."""
    if rule is None or not group_ids:
        return []
    db = session()
    org_id = actor().org_id
    refs = list(
        db.scalars(
            select(Group.channel_ref).where(
                Group.id.in_(list(group_ids)), Group.org_id == org_id, Group.channel == quota.CHANNEL
            )
        )
    )
    if not refs:
        return []
    now = runtime().clock()
    cap = db.scalar(select(Organization.customer_group_cap).where(Organization.id == org_id)) or quota_rules.DEFAULT_CAP
    reported = _reported(refs, quota_rules.period(cap, now).start, now)
    found = quota.warnings(db, org_id, group_ids, rule, now, exclude_task_id=exclude_task_id, reported=reported)
    return [w.to_json(lang()) for w in found]


def _reported(refs: list[str], start: datetime, end: datetime) -> dict[str, list[datetime]] | None:
    """What WeCom says these groups received, when the app may read it (else None: count our own)."""
    from pushtask.runtime import wechat_link
    from pushtask.wechat.errors import WeChatError

    try:
        link = wechat_link(runtime())
        client = link.clients.customer_groups
        if client is None:
            return None
        return link.run(customer_groups.reported_sends(client, refs, start, end), timeout=5)
    except (WeChatError, TimeoutError) as exc:
        log.info("WeCom mass-send history unreadable, counting PushTask's own: %s", exc)
        return None
