"""A notice is sent by the same engine as a group's push: claimed, retried and recorded alike."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pushtask.domain.retry import retry_delay
from pushtask.models import Delivery, Group, Notification, Push, Task
from pushtask.worker import deliveries
from tests.integration.conftest import World, create_task, task_body
from tests.integration.notify.conftest import Harness
from tests.support import FrozenClock

AT_11 = "2026-03-02T11:00:00+08:00"


def test_a_notice_is_retried_and_recorded_exactly_like_a_group_push(
    client: FlaskClient, world: World, harness: Harness, db: Session, clock: FrozenClock
) -> None:
    group = db.get(Group, world.groups[0])
    assert group is not None
    # The first try to the group and the first try to the reviewer (张老师, WeCom) each hit a
    # system-busy error (-1): retryable, nothing delivered.
    harness.sandbox.state.add_fault(target=group.channel_ref, errcode=-1, times=1)
    harness.sandbox.state.add_fault(target="zhang", endpoint="message/send", errcode=-1, times=1)
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}, groups=[group.id]))

    harness.run(7200)  # 11:00: the push is tried once and fails
    failed_at = clock()
    delivery = db.scalars(select(Delivery).where(Delivery.group_id == group.id)).one()
    assert (delivery.state, delivery.attempts, delivery.errcode) == ("pending", 1, -1)
    assert delivery.error_zh and delivery.error_en
    window = (timedelta(seconds=retry_delay(1, 0.0)), timedelta(seconds=retry_delay(1, 1.0)))
    assert window[0] <= delivery.next_attempt_at - failed_at <= window[1]

    # One second at a time: the retry delivers it, the push ends, the result notice is written,
    # and its first try to the reviewer fails the same way.
    notice = None
    for _ in range(6):
        harness.run(1)
        db.expire_all()
        notice = db.scalars(
            select(Notification).where(Notification.type == "result", Notification.recipient_id.is_not(None))
        ).one_or_none()
        if notice is not None and notice.attempts:
            break
    noticed_at = clock()
    delivery = db.scalars(select(Delivery).where(Delivery.group_id == group.id)).one()
    assert (delivery.state, delivery.attempts) == ("sent", 2)
    assert notice is not None and (notice.state, notice.attempts) == ("pending", 1)
    assert notice.last_error is not None and "(-1)" in notice.last_error
    assert window[0] <= notice.next_attempt_at - noticed_at <= window[1]  # the same back-off

    harness.run(3)
    db.expire_all()
    notice = db.get(Notification, notice.id)
    assert notice is not None and (notice.state, notice.attempts, notice.channel) == ("sent", 2, "wecom")
    assert [t for t in harness.texts("zhang") if "推送成功" in t]  # delivered once


def test_a_push_whose_groups_are_only_uncertain_is_not_called_failed(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    db.execute(
        update(Delivery)
        .where(Delivery.push_id == push_id)
        .values(state="uncertain", error_zh="发送过程中工作进程中断，无法确认是否已送达")
    )
    db.execute(
        update(Delivery)
        .where(
            Delivery.push_id == push_id,
            Delivery.id
            == select(Delivery.id).where(Delivery.push_id == push_id).order_by(Delivery.id).limit(1).scalar_subquery(),
        )
        .values(state="unconfirmed")
    )
    assert deliveries.finalize(db, clock(), [push_id]) == 1
    db.commit()
    alert = db.scalars(select(Notification).where(Notification.type == "alert")).one()
    assert "3 个群状态未知" in alert.payload["text"] and "发送失败" not in alert.payload["text"]
    result = db.scalars(select(Notification).where(Notification.type == "result")).first()
    assert result is not None
    assert result.payload["result"] == "uncertain" and result.payload["failedCount"] == 0
    assert result.payload["status"] == "3个群状态未知" and "失败" not in result.payload["title"]


def test_a_finished_push_is_counted_and_told_once_and_finishing_it_again_writes_no_second_notice(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    db.execute(update(Delivery).where(Delivery.push_id == push_id).values(state="sent", sent_at=clock()))
    first = db.scalars(select(Delivery.id).where(Delivery.push_id == push_id).order_by(Delivery.id)).first()
    db.execute(update(Delivery).where(Delivery.id == first).values(state="failed", error_zh="群已解散"))
    db.commit()

    assert deliveries.finalize(db, clock(), [push_id]) == 1
    # Once closed, the push is no longer running: finishing it again closes nothing and writes nothing.
    assert deliveries.finalize(db, clock(), [push_id]) == 0
    db.commit()
    push = db.get(Push, push_id)
    assert push is not None
    assert (push.status, push.sent_count, push.failed_count, push.uncertain_count) == ("failed", 2, 1, 0)
    assert push.finished_at is not None
    task = db.get(Task, task_id)
    assert task is not None and task.status == "scheduled"  # a push started by hand leaves the schedule alone
    results = db.scalars(select(Notification).where(Notification.type == "result")).all()
    assert results and len({n.dedupe_key for n in results}) == len(results)
    assert all(n.push_id == push_id and n.payload["failedCount"] == 1 for n in results)
    assert [n.payload["kind"] for n in db.scalars(select(Notification).where(Notification.type == "alert"))] == [
        "push_failed"
    ]

    # Put back to running (as a resend does) and finished again: the same notices are not written twice.
    db.execute(update(Push).where(Push.id == push_id).values(status="running"))
    db.commit()
    assert deliveries.finalize(db, clock(), [push_id]) == 1
    db.commit()
    assert len(db.scalars(select(Notification).where(Notification.type == "result")).all()) == len(results)
