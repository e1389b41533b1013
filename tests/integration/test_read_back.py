"""Uncertain deliveries resolved by reading back: the real engine, the real channels, the sandbox over HTTP.

A send that timed out (the sandbox still delivers it, as a slow host would) or got a 502 (the
sandbox never saw it) ends `uncertain`. A minute later the worker's housekeeping asks the channel:
the bridge answers from its idempotency keys, WeCom from its mass-send records. One frozen clock
drives the engine and the sandbox; SQLite and MariaDB.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Delivery, Group, ReadBackCheck
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.sandbox.directory import CUSTOMER_GROUPS
from pushtask.wechat.http import HttpConfig
from pushtask.wiring import build_sender
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration import test_customer_group_push as cg
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

ONCE_AT = "2026-03-02T10:00:00+08:00"
TIMEOUT_S = 0.4


@pytest.fixture
def sandbox(
    runtime: Runtime, clock: FrozenClock, world: World, sessions: sessionmaker[Session]
) -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(lambda: clock().timestamp(), seed=20))
    runtime.sandbox_url = handle.url
    with sessions() as db:
        for group in db.scalars(select(Group)):
            handle.state.register_group(group.channel, group.channel_ref, group.name, group.member_count)
    yield handle
    if runtime.wechat_link is not None:
        runtime.wechat_link.close()
    handle.stop()


class Engine:
    """A worker whose sends give up after 0.4 s, stepped by hand with the frozen clock."""

    def __init__(self, sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp: Path):
        self.sessions, self.clock, self.sandbox, self.tmp = sessions, clock, sandbox, tmp

    def step(self, seconds: float = 0.0) -> None:
        self.clock.advance(seconds=seconds)

        async def scenario() -> None:
            sender = build_sender(
                Settings(data_dir=self.tmp),
                self.sandbox.url,
                lambda: self.clock().timestamp(),
                http_config=HttpConfig(total_timeout_s=TIMEOUT_S, connect_timeout_s=TIMEOUT_S),
            )
            try:
                worker = Worker(self.sessions, sender, self.clock, config=WorkerConfig(concurrency=8, housekeeping_s=0))
                await worker.step()
            finally:
                await sender.close()

        asyncio.run(scenario())


@pytest.fixture
def stepper(sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp_path: Path) -> Engine:
    return Engine(sessions, clock, sandbox, tmp_path)


def wait_for(condition: Any) -> None:
    """Wait (real time, bounded) for the sandbox to finish a request the client gave up on."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    assert condition()


def push_now(client: FlaskClient, world: World, groups: list[str]) -> tuple[str, str]:
    body = task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=groups)
    task_id = create_task(client, world.olga, body)
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    return task_id, push_id


def groups_of(client: FlaskClient, world: World, push_id: str) -> dict[str, dict[str, Any]]:
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    return {g["groupId"]: g for g in push["groups"]}


def verified(client: FlaskClient, world: World, task_id: str) -> list[dict[str, Any]]:
    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    return [entry for entry in logs if entry["action"] == "auto_verify"]


def bridge_group(db: Session, world: World) -> tuple[str, str]:
    group = db.scalars(select(Group).where(Group.id.in_(world.groups), Group.channel == "bot_bridge")).first()
    assert group is not None
    return group.id, group.channel_ref


def test_a_bridge_send_that_timed_out_but_arrived_is_verified_sent_a_minute_later(
    client: FlaskClient, world: World, db: Session, stepper: Engine, sandbox: SandboxHandle
) -> None:
    group, ref = bridge_group(db, world)
    sandbox.state.add_fault(endpoint="bridge/send", latency_ms=1500, times=1)
    task_id, push_id = push_now(client, world, [group])
    stepper.step(1)
    row = groups_of(client, world, push_id)[group]
    assert row["state"] == "uncertain" and row["requestSent"] is None  # a timeout: nobody knows
    wait_for(lambda: sandbox.state.messages(ref))

    stepper.step(30)  # the first read back is a minute after the attempt
    assert groups_of(client, world, push_id)[group]["state"] == "uncertain"
    stepper.step(31)
    row = groups_of(client, world, push_id)[group]
    assert row["state"] == "sent" and row["error"] in (None, "")
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["sentGroups"] == [group] and push["status"] == "completed"
    [entry] = verified(client, world, task_id)
    assert entry["userId"] == "system"
    assert {"old": "uncertain", "new": "sent"} in entry["changes"].values()
    assert entry["changes"]["note"]["new"] == "自动核实：已送达"
    assert len(sandbox.state.messages(ref)) == 1  # no duplicate in the group


def test_a_bridge_send_that_never_arrived_is_verified_failed_and_a_resend_delivers_it_once(
    client: FlaskClient, world: World, db: Session, stepper: Engine, sandbox: SandboxHandle
) -> None:
    group, ref = bridge_group(db, world)
    sandbox.state.add_fault(endpoint="bridge/send", http_status=502, times=1)
    task_id, push_id = push_now(client, world, [group])
    stepper.step(1)
    assert groups_of(client, world, push_id)[group]["state"] == "uncertain"
    stepper.step(61)
    row = groups_of(client, world, push_id)[group]
    assert row["state"] == "failed" and "可以放心重发" in row["error"]
    assert verified(client, world, task_id)[0]["changes"]["note"]["new"] == "自动核实：未送达，可重发"
    assert client.post(f"/api/push/{push_id}/resend", json={}, headers=world.olga.headers).status_code == 200
    stepper.step(1)
    assert groups_of(client, world, push_id)[group]["state"] == "sent"
    assert len(sandbox.state.messages(ref)) == 1


def test_channels_that_cannot_read_back_keep_their_uncertain_deliveries_for_a_person(
    client: FlaskClient, world: World, db: Session, stepper: Engine, sandbox: SandboxHandle
) -> None:
    group = db.scalars(select(Group.id).where(Group.id.in_(world.groups), Group.channel == "wecom_appchat")).first()
    assert group is not None
    sandbox.state.add_fault(endpoint="appchat/send", http_status=502, times=1)
    task_id, push_id = push_now(client, world, [group])
    stepper.step(1)
    for _ in range(3):
        stepper.step(3600)
    assert groups_of(client, world, push_id)[group]["state"] == "uncertain"
    assert verified(client, world, task_id) == []
    assert db.scalars(select(ReadBackCheck)).all() == []


def test_a_bridge_that_cannot_say_is_asked_on_schedule_then_left_to_a_person(
    client: FlaskClient, world: World, db: Session, stepper: Engine, sandbox: SandboxHandle
) -> None:
    group, _ref = bridge_group(db, world)
    sandbox.state.add_fault(endpoint="bridge/send", http_status=502, times=1)
    sandbox.state.add_fault(endpoint="bridge/status", http_status=502)
    _task_id, push_id = push_now(client, world, [group])
    stepper.step(1)
    for _ in range(8):
        stepper.step(6 * 3600)
    db.expire_all()
    assert db.scalars(select(Delivery.state).where(Delivery.push_id == push_id)).all() == ["uncertain"]
    [check] = db.scalars(select(ReadBackCheck)).all()
    assert (check.checks, check.check_at, check.outcome) == (5, None, "gave_up")
    assert sandbox.state.stats["bridge/status"] == 5


def test_a_customer_group_mass_send_that_timed_out_is_found_and_awaits_its_owner(
    client: FlaskClient,
    world: World,
    db: Session,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    sandbox: SandboxHandle,
    stepper: Engine,
) -> None:
    task_id, _ids = cg.customer_group_task(client, world, db)
    # 张三's mass send is slow (WeCom creates it after the client gave up); 李四's is refused with a 502.
    endpoint = "externalcontact/add_msg_template"
    sandbox.state.add_fault(endpoint=endpoint, target=CUSTOMER_GROUPS[0], latency_ms=1500, times=1)
    sandbox.state.add_fault(endpoint=endpoint, target=CUSTOMER_GROUPS[2], http_status=502, times=1)
    stepper.step(10)
    push = cg.push_of(client, world, task_id)
    assert {g["state"] for g in push["groups"]} == {"uncertain"}
    wait_for(lambda: len(sandbox.state.groupmsgs) == 1)
    [msgid] = sandbox.state.groupmsgs

    stepper.step(61)
    rows = cg.by_name(cg.push_of(client, world, task_id))
    assert rows["客户群1"]["state"] == rows["客户群2"]["state"] == "awaiting_confirmation"
    assert rows["客户群3"]["state"] == "failed" and "可以放心重发" in rows["客户群3"]["error"]
    notes = sorted(entry["changes"]["note"]["new"] for entry in verified(client, world, task_id))
    assert notes == ["自动核实：已提交，等待群主确认"] * 2 + ["自动核实：未送达，可重发"]

    cg.control(sandbox, "groupmsg/send", {"userid": "zhangsan", "msgid": msgid})
    stepper.step(300)  # the confirmation round reads the owner's result
    rows = cg.by_name(cg.push_of(client, world, task_id))
    assert rows["客户群1"]["state"] == rows["客户群2"]["state"] == "sent"
