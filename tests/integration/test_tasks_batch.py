"""Batch actions: each task on its own, so one bad task never blocks the others."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Task
from pushtask.schemas import BatchOut
from tests.integration.conftest import Persona, World, create_task, task_body
from tests.support import FrozenClock

NOWHERE = "00000000-0000-4000-8000-000000000000"


def run_batch(client: FlaskClient, persona: Persona, payload: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = client.post("/api/tasks/batch", json=payload, headers={**persona.headers, **headers})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    BatchOut.model_validate(body)
    assert body["message"] == "Batch operation completed"
    return body


def failures(body: dict[str, Any]) -> dict[str, str]:
    return {f["taskId"]: f["error"] for f in body["failedTasks"]}


def task(client: FlaskClient, persona: Persona, task_id: str) -> dict[str, Any]:
    response = client.get(f"/api/tasks/{task_id}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def set_status(sessions: sessionmaker[Session], task_id: str, status: str) -> None:
    with sessions() as db:
        db.execute(update(Task).where(Task.id == task_id).values(status=status))
        db.commit()


@pytest.fixture
def mixed(client: FlaskClient, world: World, sessions: sessionmaker[Session]) -> dict[str, str]:
    """The school's scheduled, draft and running tasks, and the other organisation's task."""
    ids = {
        "scheduled": create_task(client, world.olga, task_body(world, name="已排期")),
        "draft": create_task(client, world.olga, task_body(world, name="草稿", status="draft")),
        "running": create_task(client, world.olga, task_body(world, name="执行中")),
        "foreign": create_task(
            client, world.otto, task_body(world, groups=world.other_groups[:1], previewRecipients=[])
        ),
    }
    set_status(sessions, ids["running"], "running")
    return ids


def test_pause_with_mixed_ids_pauses_the_valid_and_reports_the_rest(
    client: FlaskClient, world: World, mixed: dict[str, str]
) -> None:
    ids = [mixed["scheduled"], mixed["draft"], mixed["foreign"], NOWHERE, mixed["running"]]
    body = run_batch(client, world.olga, {"taskIds": ids, "action": "pause"})
    failed = failures(body)
    assert set(failed) == {mixed["draft"], mixed["foreign"], NOWHERE}
    assert failed[mixed["draft"]] == "只有待执行或进行中的任务可以暂停（当前：draft）"
    assert failed[mixed["foreign"]] == failed[NOWHERE] == "任务不存在或已删除"
    assert [(r["taskId"], r["ok"]) for r in body["results"]] == [
        (mixed["scheduled"], True),
        (mixed["draft"], False),
        (mixed["foreign"], False),
        (NOWHERE, False),
        (mixed["running"], True),
    ]
    assert task(client, world.olga, mixed["scheduled"])["status"] == "paused"
    assert task(client, world.olga, mixed["running"])["status"] == "paused"
    assert task(client, world.olga, mixed["draft"])["status"] == "draft"
    assert task(client, world.otto, mixed["foreign"])["status"] == "scheduled"


def test_batch_delete_removes_drafts_and_leaves_refused_and_foreign_tasks(
    client: FlaskClient, world: World, mixed: dict[str, str]
) -> None:
    ids = [mixed["draft"], mixed["scheduled"], mixed["foreign"], "not-even-a-uuid"]
    body = run_batch(client, world.olga, {"taskIds": ids, "action": "delete"}, **{"Accept-Language": "en"})
    failed = failures(body)
    assert set(failed) == {mixed["scheduled"], mixed["foreign"], "not-even-a-uuid"}
    assert "Only drafts and paused tasks can be deleted" in failed[mixed["scheduled"]]
    assert failed[mixed["foreign"]] == "The task does not exist or was deleted"
    assert client.get(f"/api/tasks/{mixed['draft']}", headers=world.olga.headers).status_code == 404
    assert task(client, world.olga, mixed["scheduled"])["status"] == "scheduled"
    assert client.get(f"/api/tasks/{mixed['foreign']}", headers=world.otto.headers).status_code == 200


def test_batch_resume_puts_paused_tasks_back_on_schedule(
    client: FlaskClient, world: World, mixed: dict[str, str]
) -> None:
    run_batch(client, world.olga, {"taskIds": [mixed["scheduled"]], "action": "pause"})
    body = run_batch(client, world.olga, {"taskIds": [mixed["scheduled"], mixed["draft"]], "action": "resume"})
    assert set(failures(body)) == {mixed["draft"]}
    resumed = task(client, world.olga, mixed["scheduled"])
    assert (resumed["status"], resumed["nextFireAt"]) == ("scheduled", "2026-03-09T18:00:00+08:00")


def test_batch_pause_until_a_time_applies_it_to_each_task(
    client: FlaskClient, world: World, mixed: dict[str, str]
) -> None:
    payload = {"taskIds": [mixed["scheduled"]], "action": "pause", "updates": {"resumeAt": "2026-03-20T10:00:00Z"}}
    assert failures(run_batch(client, world.olga, payload)) == {}
    assert task(client, world.olga, mixed["scheduled"])["pausedUntil"] == "2026-03-20T18:00:00+08:00"


def test_batch_copy_returns_the_new_task_ids(client: FlaskClient, world: World, mixed: dict[str, str]) -> None:
    ids = [mixed["scheduled"], mixed["draft"], mixed["foreign"]]
    body = run_batch(client, world.olga, {"taskIds": ids, "action": "copy"})
    assert set(failures(body)) == {mixed["foreign"]}
    new_ids = {r["taskId"]: r["newTaskId"] for r in body["results"] if r["ok"]}
    assert set(new_ids) == {mixed["scheduled"], mixed["draft"]}
    for source_id, copy_id in new_ids.items():
        assert copy_id not in (None, source_id)
        copy = task(client, world.olga, copy_id)
        assert copy["name"] == task(client, world.olga, source_id)["name"] + " (副本)"
        assert copy["status"] == "draft"
    assert client.get("/api/tasks", headers=world.olga.headers).get_json()["total"] == 5


def test_batch_edit_moves_several_tasks_to_new_groups_and_time(
    client: FlaskClient, world: World, mixed: dict[str, str], clock: FrozenClock
) -> None:
    clock.advance(minutes=1)  # the log is newest first; entries of the same instant have no set order
    ids = [mixed["scheduled"], mixed["draft"], mixed["running"], NOWHERE]
    updates = {"groups": world.groups[10:12], "schedule": {"time": "2026-03-16T09:00:00+08:00"}}
    body = run_batch(client, world.olga, {"taskIds": ids, "action": "edit", "updates": updates})
    failed = failures(body)
    assert set(failed) == {mixed["running"], NOWHERE}
    assert "任务正在执行" in failed[mixed["running"]]
    for key in ("scheduled", "draft"):
        edited = task(client, world.olga, mixed[key])
        assert edited["groups"] == world.groups[10:12]
        assert edited["schedule"]["time"] == "2026-03-16T09:00:00+08:00"
    assert task(client, world.olga, mixed["scheduled"])["nextFireAt"] == "2026-03-16T09:00:00+08:00"
    assert task(client, world.olga, mixed["running"])["groups"] == world.groups[:3]
    log = client.get(f"/api/tasks/{mixed['draft']}/logs", headers=world.olga.headers).get_json()[0]
    assert log["changes"]["groups"] == {"old": world.groups[:3], "new": world.groups[10:12]}


def test_an_edit_invalid_for_one_task_still_applies_to_the_others(
    client: FlaskClient, world: World, mixed: dict[str, str]
) -> None:
    # A time in the past is fine for a draft but not for a scheduled task.
    updates = {"schedule": {"type": "once", "time": "2026-03-01T09:00:00+08:00"}}
    ids = [mixed["scheduled"], mixed["draft"]]
    failed = failures(run_batch(client, world.olga, {"taskIds": ids, "action": "edit", "updates": updates}))
    assert set(failed) == {mixed["scheduled"]}
    assert failed[mixed["scheduled"]] == "schedule.time: 推送时间已过，请选择将来的时间"
    assert task(client, world.olga, mixed["draft"])["schedule"]["type"] == "once"
    unchanged = task(client, world.olga, mixed["scheduled"])
    assert (unchanged["schedule"]["type"], unchanged["nextFireAt"]) == ("recurring", "2026-03-09T18:00:00+08:00")


def test_a_task_named_twice_is_acted_on_once(client: FlaskClient, world: World, mixed: dict[str, str]) -> None:
    body = run_batch(client, world.olga, {"taskIds": [mixed["draft"]] * 3, "action": "copy"})
    assert len(body["results"]) == 1
    assert client.get("/api/tasks", headers=world.olga.headers).get_json()["total"] == 4


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"taskIds": [], "action": "delete"}, "taskIds"),
        ({"taskIds": [NOWHERE] * 501, "action": "delete"}, "taskIds"),
        ({"taskIds": [NOWHERE], "action": "archive"}, "action"),
        ({"taskIds": NOWHERE, "action": "delete"}, "taskIds"),
        ({"action": "delete"}, "taskIds"),
        ({"taskIds": [NOWHERE], "action": "delete", "updates": {"groups": []}}, "updates"),
        ({"taskIds": [NOWHERE], "action": "edit"}, "updates"),
        ({"taskIds": [NOWHERE], "action": "edit", "updates": {}}, "updates"),
        ({"taskIds": [NOWHERE], "action": "edit", "updates": {"name": "x"}}, "updates.name"),
    ],
)
def test_a_malformed_batch_request_is_400(
    client: FlaskClient, world: World, payload: dict[str, Any], field: str
) -> None:
    response = client.post("/api/tasks/batch", json=payload, headers=world.olga.headers)
    assert response.status_code == 400
    assert field in [d["field"] for d in response.get_json()["details"]]
