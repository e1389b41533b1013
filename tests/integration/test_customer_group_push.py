"""A push to WeCom customer groups end to end: the real engine, the real channel, the sandbox over HTTP.

Three customer groups of two owners (张三 owns two, 李四 one). The worker sends one mass send per
owner; the owners confirm (or not) through the sandbox's control call, exactly as their tap in the
WeCom client would; the API's refresh / remind run the engine's round against the same sandbox.
One frozen clock drives the engine and the sandbox. Runs on SQLite and MariaDB.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Group, Notification, Organization, Task, TaskGroup, new_id
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.sandbox.directory import CUSTOMER_GROUPS
from pushtask.wiring import build_sender
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

FIRE = "2026-03-02T09:00:10+08:00"  # 10 s after the clock starts
OWNERS = (("zhangsan", "张三"), ("zhangsan", "张三"), ("lisi", "李四"))  # as the sandbox's directory has them


@pytest.fixture
def sandbox(runtime: Runtime, clock: FrozenClock) -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(lambda: clock().timestamp(), seed=21))
    runtime.sandbox_url = handle.url
    yield handle
    if runtime.wechat_link is not None:
        runtime.wechat_link.close()
    handle.stop()


def control(sandbox: SandboxHandle, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 — the local sandbox
        f"{sandbox.url}/_sandbox/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 — the local sandbox
        return json.loads(response.read())


class Engine:
    """A worker with the real channels (built per step, on that step's loop), stepped by hand."""

    def __init__(self, sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp: Path):
        self.sessions, self.clock, self.sandbox, self.tmp = sessions, clock, sandbox, tmp

    def step(self, seconds: float = 0.0) -> None:
        self.clock.advance(seconds=seconds)

        async def scenario() -> None:
            sender = build_sender(Settings(data_dir=self.tmp), self.sandbox.url, lambda: self.clock().timestamp())
            try:
                worker = Worker(
                    self.sessions,
                    sender,
                    self.clock,
                    config=WorkerConfig(concurrency=8, housekeeping_s=0),
                    worker_id="harness",
                )
                await worker.step()
            finally:
                await sender.close()

        asyncio.run(scenario())


def customer_group_task(client: FlaskClient, world: World, db: Session) -> tuple[str, list[str]]:
    """A daily task firing at FIRE to the sandbox's three customer groups (owners as a sync leaves them)."""
    body = task_body(world, schedule={"type": "recurring", "time": FIRE, "recurringInterval": "daily"})
    body["content"] = {"text": "家长您好，明天 8:00 春游，请带水 🎒"}
    task_id = create_task(client, world.olga, body)
    now, org_id = db.execute(select(Task.created_at, Task.org_id).where(Task.id == task_id)).one()
    db.execute(delete(TaskGroup).where(TaskGroup.task_id == task_id))
    ids = []
    for i, (ref, (owner, name)) in enumerate(zip(CUSTOMER_GROUPS, OWNERS, strict=True)):
        group = Group(
            id=new_id(),
            org_id=org_id,
            name=f"客户群{i + 1}",
            channel="wecom_customer_group",
            channel_ref=ref,
            member_count=30,
            owner_userid=owner,
            owner_name=name,
            created_at=now,
            updated_at=now,
        )
        db.add(group)
        db.flush()
        db.add(TaskGroup(task_id=task_id, group_id=group.id))
        ids.append(group.id)
    db.commit()
    return task_id, ids


def push_of(client: FlaskClient, world: World, task_id: str) -> dict[str, Any]:
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    push: dict[str, Any] = client.get(
        f"/api/push/{detail['lastResult']['pushId']}", headers=world.olga.headers
    ).get_json()
    return push


def result_notices(db: Session, push_id: str, kind: str) -> list[dict[str, Any]]:
    db.expire_all()
    rows = db.scalars(select(Notification).where(Notification.push_id == push_id, Notification.type == "result"))
    return [n.payload for n in rows if f":{kind}:" in n.dedupe_key]


def by_name(push: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["groupName"]: g for g in push["groups"]}


def test_customer_group_push_awaits_owners_is_sent_reminded_and_cancelled(
    client: FlaskClient,
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    engine = Engine(sessions, clock, sandbox, tmp_path)
    task_id, _ = customer_group_task(client, world, db)
    engine.step(10)

    # One mass send per owner, nothing in any group yet: every group awaits its owner, named.
    assert len(sandbox.state.groupmsgs) == 2
    assert all(not sandbox.state.messages(ref) for ref in CUSTOMER_GROUPS)
    push = push_of(client, world, task_id)
    groups = by_name(push)
    assert [g["state"] for g in groups.values()] == ["awaiting_confirmation"] * 3
    assert groups["客户群1"]["detail"] == "等待群主 张三 确认发送"
    assert groups["客户群3"]["detail"] == "等待群主 李四 确认发送" and groups["客户群3"]["owner"] == "lisi"
    assert groups["客户群3"]["ownerName"] == "李四"
    assert push["awaitingOwners"] == [
        {"owner": "zhangsan", "ownerName": "张三", "groups": 2},
        {"owner": "lisi", "ownerName": "李四", "groups": 1},
    ]
    assert push["awaitingCount"] == 3
    # The creator's result notice counts the awaiting groups and names the owners who must act.
    [notice, *_] = result_notices(db, push["pushId"], "done")
    assert notice["awaitingCount"] == 3 and notice["result"] == "awaiting"
    assert "等待群主确认发送：张三（2 个群）、李四（1 个群）" in notice["lines"][-1]

    # 张三 taps 发送 (the sandbox's control call); refresh reads both of his groups back as sent.
    engine.clock.advance(seconds=60)
    [done] = control(sandbox, "groupmsg/send", {"userid": "zhangsan"})["sent"]
    assert sorted(done["chatIds"]) == sorted(CUSTOMER_GROUPS[:2])
    wecom_send_time = int(clock().timestamp())
    engine.clock.advance(seconds=30)
    answer = client.post(f"/api/push/{push['pushId']}/refresh", headers=world.olga.headers)
    assert answer.status_code == 200, answer.get_json()
    groups = by_name(answer.get_json())
    assert groups["客户群1"]["state"] == groups["客户群2"]["state"] == "sent"
    assert groups["客户群1"]["sentAt"] == datetime.fromtimestamp(wecom_send_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert groups["客户群3"]["state"] == "awaiting_confirmation"
    assert [m["channel"] for m in sandbox.state.messages(CUSTOMER_GROUPS[0])] == ["wecom_customer_group"]

    # 李四 is reminded once automatically after the organisation's delay (30 min) ...
    engine.step(1800)
    [msg2] = [m for m in sandbox.state.groupmsgs.values() if m.creator == "lisi"]
    assert len(msg2.reminders) == 1
    row = by_name(push_of(client, world, task_id))["客户群3"]
    assert row["reminders"] == 1 and row["detail"] == "等待群主 李四 确认发送（已提醒 1 次）"
    # ... then by hand, up to WeCom's limit (3 in 24 h); the fourth is refused by WeCom's rule and shown.
    for expected, body in ((2, {"groupIds": [row["groupId"]]}), (3, {})):
        answer = client.post(f"/api/push/{push['pushId']}/remind", json=body, headers=world.olga.headers)
        assert answer.status_code == 200, answer.get_json()
        [reminder] = answer.get_json()["reminders"]
        assert reminder["accepted"] is True and reminder["groupName"] == "客户群3"
        assert len(msg2.reminders) == expected
    answer = client.post(f"/api/push/{push['pushId']}/remind", headers=world.olga.headers)
    [reminder] = answer.get_json()["reminders"]
    assert reminder["accepted"] is False and reminder["errcode"] == 45009 and "最多提醒群主 3 次" in reminder["reason"]
    row = by_name(push_of(client, world, task_id))["客户群3"]
    assert row["reminders"] == 3 and "最多提醒群主 3 次" in row["remindRefused"]
    assert row["state"] == "awaiting_confirmation"

    # Pausing the task withdraws 李四's mass send: cancelled here and in WeCom, and it stays cancelled
    # although WeCom's task keeps reading "not sent".
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    engine.step(1)
    assert msg2.cancelled is True
    engine.step(3600)
    push = push_of(client, world, task_id)
    groups = by_name(push)
    assert groups["客户群3"]["state"] == "cancelled" and "暂停" in groups["客户群3"]["error"]
    assert groups["客户群1"]["state"] == "sent" and push["sentCount"] == 2 and push["cancelledCount"] == 1
    control_send = control(sandbox, "groupmsg/send", {"userid": "lisi"})["sent"]
    assert control_send == [] and not sandbox.state.messages(CUSTOMER_GROUPS[2])


def test_a_customer_group_never_confirmed_ends_unconfirmed_at_the_deadline(
    client: FlaskClient,
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    db.execute(update(Organization).where(Organization.id == world.olga.org_id).values(confirm_deadline_s=7200))
    db.commit()
    engine = Engine(sessions, clock, sandbox, tmp_path)
    task_id, _ = customer_group_task(client, world, db)
    engine.step(10)
    push_id = push_of(client, world, task_id)["pushId"]

    def push() -> dict[str, Any]:
        answer: dict[str, Any] = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
        return answer

    def reads() -> int:
        return int(sandbox.state.stats["externalcontact/get_groupmsg_task"])

    # The channel's schedule: read back every 5 min in the first hour (not the engine's default 2 min).
    engine.step(299)
    assert reads() == 0
    engine.step(2)
    first = reads()
    assert first > 0
    engine.step(290)
    assert reads() == first
    engine.step(11)
    assert reads() > first
    engine.step(7000 - 602)
    assert {g["state"] for g in push()["groups"]} == {"awaiting_confirmation"}
    engine.step(200)
    final = push()
    assert {g["state"] for g in final["groups"]} == {"unconfirmed"}
    assert final["unconfirmedCount"] == 3 and final["failedCount"] == 0
    assert "截止时间已过" in final["groups"][0]["error"]
    # When the last owner's deadline passed, a second notice says how the push ended: unknown, not failed.
    [settled, *_] = result_notices(db, push_id, "settled")
    assert settled["uncertainCount"] == 3 and settled["failedCount"] == 0 and settled["status"] == "3个群状态未知"


def test_an_owner_who_sent_just_before_the_pause_stays_sent(
    client: FlaskClient,
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    engine = Engine(sessions, clock, sandbox, tmp_path)
    task_id, _ = customer_group_task(client, world, db)
    engine.step(10)
    control(sandbox, "groupmsg/send", {"userid": "zhangsan"})  # nobody has read it back yet
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    engine.step(1)
    groups = by_name(push_of(client, world, task_id))
    assert [groups[f"客户群{i}"]["state"] for i in (1, 2, 3)] == ["sent", "sent", "cancelled"]
    assert len(sandbox.state.messages(CUSTOMER_GROUPS[0])) == 1 and not sandbox.state.messages(CUSTOMER_GROUPS[2])
