"""Uncertain deliveries, helped: what is known about each, and "mark as sent" / "resend", both logged."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Group
from pushtask.worker import deliveries
from tests.integration import test_scheduler as scheduler_tests
from tests.integration.conftest import World, create_task, task_body
from tests.integration.test_scheduler import ONCE_AT, Harness
from tests.support import FrozenClock

# The scheduler tests' real sandbox and a worker stepping with the frozen clock.
sandbox_server = scheduler_tests.sandbox_server
sandbox = scheduler_tests.sandbox
harness = scheduler_tests.harness


def _push_now(client: FlaskClient, world: World, groups: list[str]) -> tuple[str, str]:
    task_id = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": ONCE_AT}, groups=groups)
    )
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    return task_id, push_id


def test_a_send_answered_with_a_server_error_shows_the_request_went_out_and_can_be_marked_sent(
    client: FlaskClient, world: World, harness: Harness, db: Session, clock: FrozenClock
) -> None:
    group = world.groups[0]
    ref = db.scalars(select(Group.channel_ref).where(Group.id == group)).one()
    harness.sandbox.state.add_fault(target=ref, http_status=502, times=1)
    task_id, push_id = _push_now(client, world, [group])
    started = clock()
    harness.run(1)
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    [row] = push["groups"]
    assert row["state"] == "uncertain"
    assert row["requestSent"] is True  # the server answered (502): the request had arrived
    assert row["lastAttemptAt"] is not None and row["lastAttemptAt"] >= started.isoformat()[:19]
    assert row["errcode"] is not None and row["error"]

    marked = client.post(f"/api/push/{push_id}/mark-sent", json={"groupIds": [group]}, headers=world.olga.headers)
    assert marked.status_code == 200 and marked.get_json()["marked"] == 1
    push = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()
    assert push["groups"][0]["state"] == "sent" and push["sentGroups"] == [group]
    assert client.post(f"/api/push/{push_id}/mark-sent", json={}, headers=world.olga.headers).status_code == 409
    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    assert logs[0]["action"] == "mark_sent"
    assert {"old": "uncertain", "new": "sent"} in logs[0]["changes"].values()


def test_a_worker_lost_mid_send_says_it_is_not_known_and_a_resend_is_logged(
    client: FlaskClient,
    world: World,
    harness: Harness,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
) -> None:
    group = world.groups[0]
    task_id, push_id = _push_now(client, world, [group])
    with sessions() as dead:  # a worker claims the delivery, then dies before recording anything
        deliveries.claim(dead, "dead-worker:1", clock(), 10, timedelta(seconds=60))
        dead.commit()
    harness.run(61)
    [row] = client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()["groups"]
    assert (row["state"], row["requestSent"]) == ("uncertain", None)
    assert row["lastAttemptAt"] is not None
    assert client.post(f"/api/push/{push_id}/resend", json={}, headers=world.olga.headers).status_code == 200
    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    assert logs[0]["action"] == "resend"
    assert {"old": "uncertain", "new": "pending"} in logs[0]["changes"].values()
    harness.run(1)
    assert client.get(f"/api/push/{push_id}", headers=world.olga.headers).get_json()["sentGroups"] == [group]
