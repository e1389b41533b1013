"""Reminders, result notices, alerts and the inbox fallback, through the worker and the real sandbox."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pushtask.models import Group, InboxItem, Notification
from pushtask.notify import planning
from tests.integration.conftest import World, create_task, task_body
from tests.integration.notify.conftest import OPS_ROBOT, Harness
from tests.support import FrozenClock

AT_11 = "2026-03-02T11:00:00+08:00"  # two hours after the clock starts (09:00 Shanghai)


def reminders(harness: Harness, target: str = "zhang") -> list[str]:
    return [t for t in harness.texts(target) if "推送提醒" in t]


def test_reminder_goes_to_the_reviewer_once_an_hour_before_a_one_off_push(
    client: FlaskClient, world: World, harness: Harness
) -> None:
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    harness.run(3540)  # 09:59: too early
    assert reminders(harness) == []
    harness.run(60)  # 10:00
    (text,) = reminders(harness)
    assert "周一课程提醒" in text and "2026-03-02 11:00" in text and "家长群000" in text
    assert "http://127.0.0.1:8000/tasks/" in text
    harness.run(1, 30, 600, 2400, 5)  # later housekeeping rounds and the push itself
    assert len(reminders(harness)) == 1


def test_recurring_task_is_reminded_before_each_occurrence(client: FlaskClient, world: World, harness: Harness) -> None:
    schedule = {"type": "recurring", "time": AT_11, "recurringInterval": "daily", "endAfter": 3}
    create_task(client, world.olga, task_body(world, schedule=schedule))
    harness.run(3600, 5)  # day 1, 10:00
    harness.run(3600, 5)  # day 1, 11:00: the push
    assert len(reminders(harness)) == 1
    harness.run(23 * 3600 - 10, 5)  # day 2, 10:00
    texts = reminders(harness)
    assert len(texts) == 2 and "2026-03-03 11:00" in texts[1]


def test_no_reminder_for_paused_deleted_or_late_created_tasks(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    late = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": "2026-03-02T09:40:00+08:00"})
    )
    paused = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    deleted = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    for task_id in (paused, deleted):
        assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    assert client.delete(f"/api/tasks/{deleted}", headers=world.olga.headers).status_code == 200
    harness.run(0, 60, 3540, 60, 600)
    assert reminders(harness) == []
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.type == "reminder")) == 0
    assert late  # it fired without a reminder: created 40 minutes ahead


def test_muted_reviewer_gets_no_reminder(client: FlaskClient, world: World, harness: Harness) -> None:
    settings = {"recipientId": world.recipients[0], "channels": ["wecom", "inbox"], "muteReminders": True}
    assert client.put("/api/notifications/settings", json=settings, headers=world.victor.headers).status_code == 200
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    harness.run(3600, 5)
    assert reminders(harness) == []


def test_result_notice_tells_creator_and_reviewer_which_groups_failed_and_why(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    groups = world.groups[:3]
    broken = db.get(Group, groups[1])
    assert broken is not None
    harness.sandbox.state.add_fault(target=broken.channel_ref, errcode=86003)
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}, groups=groups))
    harness.run(7200, 1, 1)  # 11:00 push; the result is noticed and delivered on the next rounds
    (reviewer,) = [t for t in harness.texts("zhang") if "推送失败" in t]
    assert "1 个群未送达" in reviewer and broken.name in reviewer and "群聊不存在" in reviewer
    assert "?push=" in reviewer  # deep link to the failed occurrence
    # Olga has no WeChat identity linked: her notice waits under the bell.
    inbox = client.get("/api/notifications", headers=world.olga.headers).get_json()
    assert inbox["unread"] == 1
    (item,) = inbox["notifications"]
    assert item["type"] == "result" and broken.name in item["body"] and "?push=" in item["link"]
    (alert,) = [t for t in harness.texts(OPS_ROBOT) if "推送失败" in t]
    assert "群聊不存在" in alert
    read = client.post("/api/notifications/read", json={}, headers=world.olga.headers).get_json()
    assert read == {"marked": 1}
    assert client.get("/api/notifications?unread=1", headers=world.olga.headers).get_json()["total"] == 0


def test_result_notice_says_success(client: FlaskClient, world: World, harness: Harness) -> None:
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    harness.run(7200, 1, 1)
    (text,) = [t for t in harness.texts("zhang") if "推送成功" in t]
    assert "已成功推送到 3 个群" in text
    assert [t for t in harness.texts(OPS_ROBOT) if "推送失败" in t] == []


def test_an_outage_of_failures_yields_one_alert_then_one_summary_per_window(
    harness: Harness, sessions: object, clock: FrozenClock
) -> None:
    from sqlalchemy.orm import sessionmaker

    assert isinstance(sessions, sessionmaker)
    with sessions.begin() as db:
        for i in range(50):
            planning.raise_alert(db, clock(), kind="push_failed", subject=f"p{i}", text=f"任务{i} 失败")
        planning.raise_alert(db, clock(), kind="push_failed", subject="p0", text="重复的事件")  # same event: no row
    harness.run(0)
    (first,) = [t for t in harness.texts(OPS_ROBOT) if "推送失败" in t]
    assert "（50 条）" in first and "另有 45 条" in first
    with sessions.begin() as db:
        for i in range(50, 60):
            planning.raise_alert(db, clock(), kind="push_failed", subject=f"p{i}", text=f"任务{i} 失败")
    harness.run(1, 60, 300)  # inside the window: held back
    failed = [t for t in harness.texts(OPS_ROBOT) if "推送失败" in t]
    assert len(failed) == 1
    harness.run(240)  # the window has passed: one summary of the ten
    failed = [t for t in harness.texts(OPS_ROBOT) if "推送失败" in t]
    assert len(failed) == 2 and "（10 条）" in failed[1]


def test_missed_run_tells_the_creator_and_alerts_ops(client: FlaskClient, world: World, harness: Harness) -> None:
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": "2026-03-02T09:05:00+08:00"}))
    harness.run(3600)  # the worker was down from 09:00 to 10:00
    inbox = client.get("/api/notifications", headers=world.olga.headers).get_json()
    assert any("推送错过" in n["title"] for n in inbox["notifications"])
    assert any("错过" in t for t in harness.texts(OPS_ROBOT))


def test_reviewer_without_subscription_quota_gets_it_in_the_inbox(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    # Victor says: 李老师 (mini program) is me.
    link = {"recipientId": world.recipients[1], "channels": ["miniprogram", "inbox"]}
    assert client.put("/api/notifications/settings", json=link, headers=world.victor.headers).status_code == 200
    harness.grant("li", 1)
    body = {"userId": world.victor.user_id, "type": "preview", "content": {"message": "请查看预览"}}
    for _ in range(2):
        answer = client.post("/api/notifications", json=body, headers=world.olga.headers)
        assert answer.status_code == 200 and answer.get_json()["message"] == "Notification sent"
    harness.run(0)
    assert len(harness.received("li")) == 1  # the one subscription was used
    states = sorted(db.scalars(select(Notification.state).where(Notification.user_id == world.victor.user_id)))
    assert states == ["inbox", "sent"]
    inbox = client.get("/api/notifications", headers=world.victor.headers).get_json()
    assert [n["body"] for n in inbox["notifications"]] == ["请查看预览"]
    assert db.scalar(select(func.count()).select_from(InboxItem)) == 1


def test_sending_a_notice_refuses_unknown_types_users_and_viewers(client: FlaskClient, world: World) -> None:
    ok = {"userId": world.victor.user_id, "type": "reminder", "content": {"message": "hi"}}
    bad_type = client.post("/api/notifications", json={**ok, "type": "gossip"}, headers=world.olga.headers)
    assert bad_type.status_code == 400 and bad_type.get_json()["details"][0]["field"] == "type"
    stranger = client.post("/api/notifications", json={**ok, "userId": world.otto.user_id}, headers=world.olga.headers)
    assert stranger.status_code == 400 and stranger.get_json()["error"] == "Invalid notification"
    assert stranger.get_json()["details"][0]["field"] == "userId"
    assert client.post("/api/notifications", json=ok, headers=world.victor.headers).status_code == 403
    settings = client.put(
        "/api/notifications/settings", json={"recipientId": world.other_recipients[0]}, headers=world.victor.headers
    )
    assert settings.status_code == 400


def test_metrics_expose_deliveries_and_api_latency(client: FlaskClient, world: World, harness: Harness) -> None:
    create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    harness.run(7200)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'pushtask_deliveries{state="sent"} 3.0' in text
    assert 'pushtask_api_request_seconds_count{method="POST",route="/api/tasks",status="201"}' in text
    assert "pushtask_queue_depth 0.0" in text
    assert "pushtask_delivery_lateness_seconds_bucket" in text


def test_a_worker_that_stopped_ticking_raises_one_stalled_alert(
    harness: Harness, sessions: object, clock: FrozenClock
) -> None:
    from sqlalchemy.orm import sessionmaker

    from pushtask.models import WorkerBeat

    assert isinstance(sessions, sessionmaker)
    with sessions.begin() as db:
        db.add(
            WorkerBeat(
                id="dead-host:1:abc",
                hostname="dead-host",
                pid=1,
                started_at=clock(),
                last_tick_at=clock(),
                stopped=False,
            )
        )
    harness.run(600, 60, 600)
    stalled = [t for t in harness.texts(OPS_ROBOT) if "dead-host:1:abc" in t]
    assert len(stalled) == 1 and "调度停滞" in stalled[0]
