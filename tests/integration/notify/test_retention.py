"""The daily purge: old rows go in small batches, recent rows stay, pushes keep their per-group results.

The million-row variant with API latency measured while it runs is `bench/retention_purge.py`.
"""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import (
    Delivery,
    Feedback,
    LinkClick,
    Notification,
    Push,
    PushSummary,
    Task,
    TaskLog,
    new_id,
)
from pushtask.notify import retention
from pushtask.services.pushes import create_push
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

OLD_LOGS = 2 * retention.BATCH + 345


def _count(db: Session, model: object, *where: object) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def test_purge_removes_only_what_is_older_than_retention_and_keeps_push_totals(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    now = clock()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    with sessions.begin() as db:
        rows = [
            {
                "id": new_id(),
                "task_id": task_id,
                "org_id": world.olga.org_id,
                "action": "update",
                "user_id": world.olga.user_id,
                "changes": {},
                "created_at": old,
            }
            for _ in range(OLD_LOGS)
        ]
        db.execute(insert(TaskLog), rows)
        db.execute(insert(TaskLog), [{**rows[0], "id": new_id(), "created_at": recent}])
        for i, when in enumerate([old] * 3 + [recent]):
            db.add(
                Notification(
                    org_id=world.olga.org_id,
                    type="result",
                    dedupe_key=f"k{i}",
                    payload={},
                    state="sent",
                    attempts=1,
                    next_attempt_at=when,
                    created_at=when,
                )
            )
            db.add(
                Feedback(
                    org_id=world.olga.org_id,
                    task_id=task_id,
                    group_id=world.groups[0],
                    member=f"m{i}",
                    content="好",
                    token_hash=f"h{i}",
                    created_at=when,
                )
            )
        clicks = [
            {
                "code": "c0de",
                "org_id": world.olga.org_id,
                "task_id": task_id,
                "push_id": "p",
                "group_id": world.groups[0],
                "kind": "click",
                "visitor": f"v{i}",
                "clicked_at": when,
            }
            for i, when in enumerate([old] * (retention.BATCH + 5) + [recent])
        ]
        db.execute(insert(LinkClick), clicks)
        task = db.get(Task, task_id)
        assert task is not None
        push = create_push(db, task, old, old, trigger="schedule")
        assert push is not None
        push_id = push.id
        db.execute(update(Delivery).where(Delivery.push_id == push_id).values(state="sent"))
        db.execute(
            update(Delivery)
            .where(Delivery.push_id == push_id, Delivery.group_id == world.groups[1])
            .values(state="failed", error_zh="群聊不存在")
        )
        push.status, push.sent_count, push.failed_count, push.finished_at = "failed", 2, 1, old
    rounds = 0
    while retention.run_daily(sessions, now, 30) is not None:
        rounds += 1
        assert rounds < 20
    assert retention.run_daily(sessions, now + timedelta(hours=1), 30) is None  # once a day
    with sessions() as db:
        assert _count(db, TaskLog, TaskLog.created_at < now - timedelta(days=30)) == 0
        assert _count(db, TaskLog, TaskLog.created_at == recent) == 1
        assert _count(db, TaskLog) >= 2  # the recent one and the creation log of the task
        assert _count(db, Notification) == 1 and _count(db, Feedback) == 1
        assert db.scalars(select(LinkClick.clicked_at)).all() == [recent], "the click log keeps the retention period"
        assert _count(db, Delivery, Delivery.push_id == push_id) == 0
        summary = db.get(PushSummary, push_id)
        assert summary is not None and len(summary.sent_groups) == 2
        assert summary.failed_groups[0]["groupId"] == world.groups[1]
        assert summary.failed_groups[0]["error"] == "群聊不存在"
        kept = db.get(Push, push_id)
        assert kept is not None and (kept.sent_count, kept.failed_count) == (2, 1)
    history = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert (history["sentCount"], history["failedCount"]) == (2, 1)
    assert history["failedGroups"] == [{"groupId": world.groups[1], "error": "群聊不存在"}]
