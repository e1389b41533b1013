"""Two-phase deliveries end to end: a channel accepts, a person confirms later (or never).

The worker sends through the in-package two-phase channel (`channels/fake.py`); the API's
refresh / remind run the same engine round. Runs on SQLite and MariaDB with a frozen clock.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.fake import TwoPhaseFake
from pushtask.channels.registry import ChannelRegistry
from pushtask.models import Group, Organization, Task, TaskGroup, new_id
from pushtask.runtime import Runtime, wechat_link
from pushtask.wiring import ChannelSender
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

FIRE = "2026-03-02T09:00:10+08:00"  # 10 s after the clock starts


class NoClose:
    async def close(self) -> None:
        return None


class Stack:
    """The fake channel wired into a worker (stepped by hand) and into the API process."""

    def __init__(self, sessions: sessionmaker[Session], clock: FrozenClock, runtime: Runtime) -> None:
        self.sessions, self.clock = sessions, clock
        self.fake = TwoPhaseFake(clock=lambda: clock().timestamp())
        self.registry = ChannelRegistry([self.fake])
        wechat_link(runtime).channels = self.registry

    def step(self, seconds: float = 0.0) -> None:
        """Advance the clock and run one worker cycle with its housekeeping (checks, reminders)."""
        self.clock.advance(seconds=seconds)

        async def scenario() -> None:
            sender = ChannelSender(self.registry, NoClose(), NoClose())  # type: ignore[arg-type]
            worker = Worker(
                self.sessions,
                sender,
                self.clock,
                config=WorkerConfig(concurrency=8, housekeeping_s=0),
                worker_id="harness",
            )
            await worker.step()

        asyncio.run(scenario())


@pytest.fixture
def stack(sessions: sessionmaker[Session], clock: FrozenClock, runtime: Runtime) -> Stack:
    return Stack(sessions, clock, runtime)


def two_phase_task(
    client: FlaskClient, world: World, db: Session, *, groups: int = 2, daily: bool = False
) -> tuple[str, list[str]]:
    """A task firing at FIRE (once, or daily) whose groups are all on the two-phase channel."""
    schedule: dict[str, Any] = {"type": "once", "time": FIRE}
    if daily:
        schedule = {"type": "recurring", "time": FIRE, "recurringInterval": "daily"}
    task_id = create_task(client, world.olga, task_body(world, schedule=schedule))
    now = db.scalar(select(Task.created_at).where(Task.id == task_id))
    org_id = db.scalar(select(Task.org_id).where(Task.id == task_id))
    ids = []
    db.execute(delete(TaskGroup).where(TaskGroup.task_id == task_id))
    for i in range(groups):
        group = Group(
            id=new_id(),
            org_id=org_id,
            name=f"客户群{i}",
            channel="two_phase_fake",
            channel_ref=f"wrOgAAA{i}",
            member_count=50,
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
    push_id = detail["lastResult"]["pushId"]
    push: dict[str, Any] = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    return push


def states(push: dict[str, Any]) -> list[str]:
    return [g["state"] for g in push["groups"]]


def set_org(db: Session, world: World, **values: Any) -> None:
    db.execute(update(Organization).where(Organization.id == world.olga.org_id).values(**values))
    db.commit()


def test_accepted_send_awaits_then_refresh_reads_it_as_sent(
    client: FlaskClient, world: World, db: Session, stack: Stack
) -> None:
    task_id, _groups = two_phase_task(client, world, db)
    stack.step(10)
    assert stack.fake.calls == ["send_batch"]  # one call for the push's two groups
    push = push_of(client, world, task_id)
    assert states(push) == ["awaiting_confirmation"] * 2
    assert push["awaitingCount"] == 2 and push["failedCount"] == 0 and push["sentCount"] == 0
    row = push["groups"][0]
    assert row["detail"].startswith("等待群主") and row["externalRef"].startswith("fakejob") and row["deadlineAt"]
    # The task itself is done firing: the next occurrence is not held up by the owners.
    assert client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()["status"] == "completed"

    sent_at = stack.clock().timestamp() + 5
    stack.fake.confirm(row["externalRef"], at=sent_at)
    stack.clock.advance(seconds=30)
    answer = client.post(f"/api/push/{push['pushId']}/refresh", headers=world.olga.headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["checked"] == 2 and states(body) == ["sent", "awaiting_confirmation"]
    assert body["groups"][0]["sentAt"] == "2026-03-02T01:00:15Z"  # the channel's send time, not ours
    assert body["sentCount"] == 1 and body["awaitingCount"] == 1


def test_worker_checks_on_schedule_and_ends_failed(
    client: FlaskClient, world: World, db: Session, stack: Stack
) -> None:
    task_id, _ = two_phase_task(client, world, db, groups=1)
    stack.step(10)
    [ref] = list(stack.fake.jobs)
    stack.fake.fail(ref)
    stack.step(60)  # before the first check (2 min): nothing asked
    assert "check" not in stack.fake.calls
    stack.step(61)
    push = push_of(client, world, task_id)
    assert states(push) == ["failed"] and push["status"] == "failed" and push["failedCount"] == 1


def test_pausing_the_task_cancels_through_the_channel(
    client: FlaskClient, world: World, db: Session, stack: Stack
) -> None:
    task_id, _ = two_phase_task(client, world, db, daily=True)
    stack.step(10)
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    stack.step(1)
    assert "cancel" in stack.fake.calls
    assert all(job.state == "cancelled" for job in stack.fake.jobs.values())
    push = push_of(client, world, task_id)
    assert states(push) == ["cancelled", "cancelled"] and push["cancelledCount"] == 2
    assert "暂停" in push["groups"][0]["error"]


def test_editing_the_content_cancels_what_awaits(client: FlaskClient, world: World, db: Session, stack: Stack) -> None:
    task_id, _ = two_phase_task(client, world, db, groups=1, daily=True)
    stack.step(10)
    edit = client.put(f"/api/tasks/{task_id}", json={"content": {"text": "改过的内容"}}, headers=world.olga.headers)
    assert edit.status_code == 200, edit.get_json()
    stack.step(1)
    assert states(push_of(client, world, task_id)) == ["cancelled"]


def test_deadline_passed_is_unconfirmed_not_failed_and_can_be_resent(
    client: FlaskClient, world: World, db: Session, stack: Stack
) -> None:
    set_org(db, world, confirm_deadline_s=3600, confirm_remind_s=0)
    task_id, _ = two_phase_task(client, world, db, groups=1)
    stack.step(10)
    stack.step(1800)
    assert states(push_of(client, world, task_id)) == ["awaiting_confirmation"]
    stack.step(1801)
    push = push_of(client, world, task_id)
    assert states(push) == ["unconfirmed"] and push["unconfirmedCount"] == 1
    assert push["failedCount"] == 0 and push["status"] == "completed"
    assert "remind" not in stack.fake.calls  # reminders off for this organisation
    resent = client.post(f"/api/push/{push['pushId']}/resend", json={}, headers=world.olga.headers)
    assert resent.status_code == 200 and resent.get_json()["queued"] == 1
    stack.step(1)
    assert states(push_of(client, world, task_id)) == ["awaiting_confirmation"] and len(stack.fake.jobs) == 2


def test_reminders_are_sent_after_the_delay_and_refusals_recorded(
    client: FlaskClient, world: World, db: Session, stack: Stack
) -> None:
    task_id, _ = two_phase_task(client, world, db, groups=1)
    stack.step(10)
    stack.step(1700)
    assert "remind" not in stack.fake.calls
    stack.step(100)  # 30 min after the send: the first reminder
    [job] = stack.fake.jobs.values()
    assert job.reminders == 1
    push = push_of(client, world, task_id)
    assert push["groups"][0]["reminders"] == 1 and push["groups"][0]["remindRefused"] is None
    stack.step(1800)  # the channel allows one reminder per job: refused, recorded, shown
    row = push_of(client, world, task_id)["groups"][0]
    assert row["reminders"] == 1 and "最多提醒" in row["remindRefused"]
    asked = stack.fake.calls.count("remind")
    stack.step(1800)
    assert stack.fake.calls.count("remind") == asked  # no automatic retry after a refusal

    answer = client.post(f"/api/push/{push['pushId']}/remind", headers=world.olga.headers)
    assert answer.status_code == 200, answer.get_json()
    [reminder] = answer.get_json()["reminders"]
    assert reminder["accepted"] is False and reminder["errcode"] == 41101 and "最多提醒" in reminder["reason"]
    assert reminder["state"] == "awaiting_confirmation"


def test_remind_now_is_accepted_per_group(client: FlaskClient, world: World, db: Session, stack: Stack) -> None:
    task_id, groups = two_phase_task(client, world, db)
    stack.step(10)
    push_id = push_of(client, world, task_id)["pushId"]
    first = next(iter(stack.fake.jobs))
    stack.fake.confirm(first)
    stack.step(121)  # the worker reads the confirmed one as sent
    answer = client.post(f"/api/push/{push_id}/remind", headers={**world.olga.headers, "Accept-Language": "en"})
    assert answer.status_code == 200
    [reminder] = answer.get_json()["reminders"]
    assert reminder["accepted"] is True and reminder["reason"] is None and reminder["groupId"] in groups


def test_refresh_and_remind_answer_409_when_nothing_awaits(
    client: FlaskClient, world: World, db: Session, stack: Stack
) -> None:
    task_id = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": FIRE}))
    push = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()
    for action in ("refresh", "remind"):
        answer = client.post(f"/api/push/{push['pushId']}/{action}", headers=world.olga.headers)
        assert answer.status_code == 409 and "等待群主确认" in answer.get_json()["reason"]
    other = client.post(f"/api/push/{push['pushId']}/refresh", headers=world.otto.headers)
    assert other.status_code == 404


def test_refresh_and_remind_are_declared_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    for action, schema in (("refresh", "RefreshOut"), ("remind", "RemindOut")):
        op = doc["paths"][f"/api/push/{{push_id}}/{action}"]["post"]
        assert {"200", "404", "409", "503"} <= set(op["responses"])
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(schema)
    reminder = doc["components"]["schemas"]["ReminderOut"]
    assert set(reminder["required"]) == {"groupId", "groupName", "accepted", "errcode", "reason", "state"}
    assert "awaiting_confirmation" in reminder["properties"]["state"]["enum"]
