"""The scheduler and delivery engine, driven by a frozen clock against the real sandbox over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Delivery, Group, Push, Task
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.wiring import build_sender
from pushtask.worker import deliveries
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=3))
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle, world: World, sessions: sessionmaker[Session]) -> SandboxHandle:
    """The sandbox, reset, knowing every group of the school (as WeCom would)."""
    sandbox_server.state.reset()
    with sessions() as db:
        for group in db.scalars(select(Group)):
            sandbox_server.state.register_group(group.channel, group.channel_ref, group.name, group.member_count)
    return sandbox_server


class Harness:
    """A worker in this test's event loop, stepping with the frozen clock."""

    def __init__(self, sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp: Any):
        self.sessions, self.clock, self.sandbox, self.tmp = sessions, clock, sandbox, tmp

    def run(self, *moments: float | Callable[[], object]) -> None:
        """Step one worker at each moment (seconds after the current clock); callables run in between."""

        async def scenario() -> None:
            sender = build_sender(Settings(data_dir=self.tmp), self.sandbox.url)
            worker = Worker(
                self.sessions,
                sender,
                self.clock,
                config=WorkerConfig(concurrency=16, high_reserved=4),
                worker_id="harness",
            )
            try:
                for moment in moments:
                    if callable(moment):
                        moment()
                        continue
                    self.clock.advance(seconds=moment)
                    await worker.step()
            finally:
                await sender.close()

        asyncio.run(scenario())

    def received(self, ref: str) -> list[dict[str, Any]]:
        return self.sandbox.state.messages(ref)


@pytest.fixture
def harness(sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp_path: Any) -> Harness:
    return Harness(sessions, clock, sandbox, tmp_path)


def _refs(db: Session, group_ids: list[str]) -> dict[str, str]:
    return {g.id: g.channel_ref for g in db.scalars(select(Group).where(Group.id.in_(group_ids)))}


ONCE_AT = "2026-03-02T10:00:00+08:00"  # an hour after the clock starts (01:00 UTC = 09:00 Shanghai)


def test_one_off_task_lands_in_every_group_once_at_its_time(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:10+08:00"})
    task_id = create_task(client, world.olga, body)
    refs = _refs(db, body["groups"])
    harness.run(0, 9)  # one second early: nothing
    assert all(harness.received(ref) == [] for ref in refs.values())
    harness.run(1)
    for ref in refs.values():
        texts = [str(m["payload"]) for m in harness.received(ref)]
        assert len(texts) == 1 and "明天 8:00 上课" in texts[0]
    harness.run(5, 60)  # later cycles send nothing again
    assert all(len(harness.received(ref)) == 1 for ref in refs.values())
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert detail["status"] == "completed"
    assert detail["nextFireAt"] is None
    assert detail["lastResult"]["status"] == "completed"
    assert sorted(detail["lastResult"]["sentGroups"]) == sorted(body["groups"])


def test_recurring_task_returns_to_scheduled_with_the_next_time(
    client: FlaskClient, world: World, harness: Harness
) -> None:
    body = task_body(
        world,
        schedule={
            "type": "recurring",
            "time": "2026-03-02T09:00:05+08:00",
            "recurringInterval": "daily",
            "endAfter": 3,
        },
    )
    task_id = create_task(client, world.olga, body)
    harness.run(5)
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert detail["status"] == "scheduled"
    assert detail["nextFireAt"] == "2026-03-03T09:00:05+08:00"
    pushes = client.get(f"/api/tasks/{task_id}/pushes", headers=world.olga.headers).get_json()
    assert [p["status"] for p in pushes["pushes"]] == ["completed"]


def test_content_sent_is_the_content_when_the_occurrence_was_created(
    client: FlaskClient, world: World, harness: Harness, db: Session, sessions: sessionmaker[Session]
) -> None:
    body = task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=world.groups[:1])
    task_id = create_task(client, world.olga, body)
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    with sessions() as other:  # the task changes after the push was created but before it is sent
        other.get(Task, task_id).content_text = "改过的内容"  # type: ignore[union-attr]
        other.commit()
    harness.run(0)
    [message] = harness.received(_refs(db, world.groups[:1])[world.groups[0]])
    assert "明天 8:00 上课" in str(message["payload"])
    assert client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()["status"] == "completed"


def test_retryable_error_twice_then_success_is_sent(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    group = world.groups[0]  # a WeCom app chat
    ref = _refs(db, [group])[group]
    harness.sandbox.state.add_fault(target=ref, errcode=-1, times=2)
    task_id = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=[group])
    )
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    harness.run(0, 3, 10)  # first attempt, then the ~2 s and ~8 s retries
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["status"] == "completed"
    assert push["groups"][0]["state"] == "sent" and push["groups"][0]["attempts"] == 3
    assert len(harness.received(ref)) == 1


def test_group_that_no_longer_exists_fails_at_once_with_the_reason(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    group = world.groups[0]
    harness.sandbox.state.add_fault(target=_refs(db, [group])[group], errcode=86003)
    task_id = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=[group])
    )
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    harness.run(0)
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["status"] == "failed"
    assert push["groups"][0]["attempts"] == 1
    assert "群聊不存在" in push["failedGroups"][0]["error"]
    english = client.get(f"/api/push/{push_id}", headers={**world.olga.headers, "Accept-Language": "en"})
    assert "not exist" in english.get_json()["failedGroups"][0]["error"].lower()


def test_paused_task_does_not_fire_and_resumes_at_its_set_time(
    client: FlaskClient, world: World, harness: Harness, db: Session, clock: FrozenClock, runtime: Runtime
) -> None:
    body = task_body(
        world,
        schedule={"type": "recurring", "time": "2026-03-02T09:00:30+08:00", "recurringInterval": "daily"},
        groups=world.groups[:1],
    )
    task_id = create_task(client, world.olga, body)
    resume_at = (clock.now + timedelta(days=1, hours=1)).isoformat()
    assert (
        client.post(f"/api/tasks/{task_id}/pause", json={"resumeAt": resume_at}, headers=world.olga.headers).status_code
        == 200
    )
    harness.run(30, 3600)
    assert harness.received(_refs(db, world.groups[:1])[world.groups[0]]) == []
    harness.run(24 * 3600)  # past the resume time: back on schedule, from the next occurrence
    token, _ = runtime.signer.issue(world.olga.user_id, world.olga.org_id, clock())  # a day later: sign in again
    detail = client.get(f"/api/tasks/{task_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert detail["status"] == "scheduled"
    assert detail["nextFireAt"] == "2026-03-04T09:00:30+08:00"
    assert detail["pausedUntil"] is None


def test_edit_just_before_the_fire_time_is_what_gets_sent(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:01+08:00"}, groups=world.groups[:1])
    task_id = create_task(client, world.olga, body)
    client.put(f"/api/tasks/{task_id}", json={"content": {"text": "最后一刻改好的通知"}}, headers=world.olga.headers)
    harness.run(1)
    [message] = harness.received(_refs(db, world.groups[:1])[world.groups[0]])
    assert "最后一刻改好的通知" in str(message["payload"])


def test_occurrence_missed_beyond_the_grace_is_recorded_not_sent(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:01+08:00"}, groups=world.groups[:1])
    task_id = create_task(client, world.olga, body)
    harness.run(11 * 60)  # no worker ran for eleven minutes; the grace is ten
    assert harness.received(_refs(db, world.groups[:1])[world.groups[0]]) == []
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert detail["status"] == "failed"
    assert detail["lastResult"]["status"] == "missed"


def test_task_set_to_send_late_still_goes_out_after_the_grace(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:01+08:00"}, groups=world.groups[:1])
    task_id = create_task(client, world.olga, body)
    db.get(Task, task_id).send_late = True  # type: ignore[union-attr]
    db.commit()
    harness.run(11 * 60)
    assert len(harness.received(_refs(db, world.groups[:1])[world.groups[0]])) == 1


def test_delivery_abandoned_mid_send_becomes_uncertain_and_can_be_resent(
    client: FlaskClient,
    world: World,
    harness: Harness,
    db: Session,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
) -> None:
    group = world.groups[0]
    task_id = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=[group])
    )
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    with sessions() as dead:  # a worker claims the delivery, then dies before recording anything
        [claimed] = deliveries.claim(dead, "dead-worker:1", clock(), 10, timedelta(seconds=60))
        dead.commit()
    harness.run(61)
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["uncertainGroups"] == [group]
    assert "无法确认是否已送达" in push["groups"][0]["error"]
    with sessions() as zombie:  # the dead worker wakes up: its late result must not overwrite anything
        from pushtask.channels.base import SendResult

        deliveries.record(zombie, [deliveries.Outcome(claimed, SendResult(channel="x", sent=True))], clock())
        zombie.commit()
    assert db.scalars(select(Delivery.state).where(Delivery.push_id == push_id)).one() == "uncertain"
    assert client.post(f"/api/push/{push_id}/resend", json={}, headers=world.olga.headers).status_code == 200
    harness.run(1)
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["sentGroups"] == [group] and push["status"] == "completed"


def test_high_priority_deliveries_are_claimed_before_low_ones(
    client: FlaskClient, world: World, db: Session, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    low = create_task(
        client,
        world.olga,
        task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=world.groups[:20], priority="low"),
    )
    high = create_task(
        client,
        world.olga,
        task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=world.groups[20:25], priority="high"),
    )
    for task_id in (low, high):
        client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers)
    with sessions() as s:
        claimed = deliveries.claim(s, "w:1", clock(), 5, timedelta(seconds=60))
        s.rollback()
    assert {c.task_id for c in claimed} == {high}


def test_earliest_retry_is_the_earliest_pending_delivery_of_any_rank(
    client: FlaskClient, world: World, db: Session, clock: FrozenClock
) -> None:
    """The idle sleep's earliest retry, read through the claim index: the minimum over every rank, pending only."""
    assert deliveries.earliest_retry(db) is None
    pushes = {}
    for i, priority in enumerate(("high", "medium", "low")):
        body = task_body(
            world, schedule={"type": "once", "time": ONCE_AT}, groups=world.groups[3 * i : 3 * i + 3], priority=priority
        )
        task_id = create_task(client, world.olga, body)
        pushes[priority] = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()[
            "pushId"
        ]
    rows = {
        (priority, n): row
        for priority, push_id in pushes.items()
        for n, row in enumerate(db.scalars(select(Delivery).where(Delivery.push_id == push_id).order_by(Delivery.id)))
    }
    assert {row.claim_rank for row in rows.values()} == {1, 2, 3}
    now = clock()
    # Retries at different times in every rank; the low rank's row is the earliest. The fire time (the
    # claim index's third column) runs the other way, so the rows' order in the index is not the answer.
    at = {
        ("high", 0): 50,
        ("high", 1): 40,
        ("high", 2): 45,
        ("medium", 0): 30,
        ("medium", 1): 35,
        ("medium", 2): 60,
        ("low", 0): 70,
        ("low", 1): 20,
        ("low", 2): 80,
    }
    for key, seconds in at.items():
        rows[key].next_attempt_at = now + timedelta(seconds=seconds)
        rows[key].fire_at = now - timedelta(seconds=seconds)
    # Rows in any other state count for nothing, however early their next_attempt_at.
    rows["medium", 2].state = "sending"
    rows["medium", 2].next_attempt_at = now - timedelta(hours=1)
    rows["high", 2].state = "sent"
    rows["high", 2].next_attempt_at = now - timedelta(hours=1)
    db.flush()
    assert deliveries.earliest_retry(db) == now + timedelta(seconds=20)
    rows["low", 1].state = "sent"  # the earliest is sent: the medium rank's 30 s is next
    db.flush()
    assert deliveries.earliest_retry(db) == now + timedelta(seconds=30)
    rows["medium", 0].state = "failed"
    rows["medium", 1].state = "uncertain"
    db.flush()
    assert deliveries.earliest_retry(db) == now + timedelta(seconds=40)  # the high rank's
    for row in rows.values():
        row.state = "sent"
    db.flush()
    assert deliveries.earliest_retry(db) is None


def test_push_api_answers_404_for_other_organisations(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    assert client.get(f"/api/push/{push_id}", headers=world.otto.headers).status_code == 404
    assert client.post("/api/push", json={"taskId": task_id}, headers=world.otto.headers).status_code == 404
    assert client.post("/api/push", json={"taskId": task_id}, headers=world.victor.headers).status_code == 403


def test_pushes_are_unique_per_task_and_fire_time(db: Session, world: World, client: FlaskClient) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    task = db.get(Task, task_id)
    assert task is not None
    from pushtask.services.pushes import create_push

    first = create_push(db, task, task.schedule_time, task.schedule_time, trigger="schedule")
    second = create_push(db, task, task.schedule_time, task.schedule_time, trigger="schedule")
    assert first is not None and second is None
    assert len(db.scalars(select(Push).where(Push.task_id == task_id)).all()) == 1


def test_robot_rate_limited_by_wechat_waits_and_then_succeeds(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    group = world.groups[1]  # a group robot
    ref = _refs(db, [group])[group]
    harness.sandbox.state.add_fault(target=ref, errcode=45009, times=1)
    task_id = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=[group])
    )
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    harness.run(0)
    assert client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()["status"] == "running"
    harness.run(60)
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["status"] == "completed" and push["sentGroups"] == [group]
    assert len(harness.received(ref)) == 1


def test_token_expiring_mid_push_is_refreshed_once_and_nothing_is_lost(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    groups = world.groups[0:30:3]  # ten WeCom app chats
    first = create_task(
        client,
        world.olga,
        task_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:01+08:00"}, groups=groups[:5]),
    )
    second = create_task(
        client,
        world.olga,
        task_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:02+08:00"}, groups=groups[5:]),
    )
    fetched: list[int] = []

    def revoke() -> None:  # WeCom revokes the cached token between the two occurrences
        fetched.append(harness.sandbox.state.stats.get("gettoken", 0))
        harness.sandbox.state.invalidate_tokens()

    harness.run(1, revoke, 1)
    for task_id, expected in ((first, groups[:5]), (second, groups[5:])):
        result = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()["lastResult"]
        assert result["status"] == "completed" and sorted(result["sentGroups"]) == sorted(expected)
    pushes = client.get(f"/api/tasks/{second}/pushes", headers=world.olga.headers).get_json()["pushes"]
    detail = client.get(f"/api/push/{pushes[0]['pushId']}", headers=world.olga.headers).get_json()
    assert all(g["attempts"] == 1 for g in detail["groups"])  # the token retry is not a delivery retry
    assert harness.sandbox.state.stats.get("gettoken", 0) - fetched[0] == 1, "exactly one refresh"
