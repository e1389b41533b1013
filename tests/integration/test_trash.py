"""Deleted tasks go to a trash and can be restored for 30 days."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Task
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock


def test_a_deleted_task_is_in_the_trash_and_comes_back(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world, status="draft"))
    assert client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers).status_code == 200
    assert client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).status_code == 404
    trash = client.get("/api/tasks/trash", headers=world.victor.headers).get_json()["tasks"]
    assert [(t["taskId"], t["status"]) for t in trash] == [(task_id, "draft")]
    assert trash[0]["restorableUntil"] == "2026-04-01T01:00:00Z"
    assert client.get("/api/tasks/trash", headers=world.otto.headers).get_json()["tasks"] == []

    assert client.post(f"/api/tasks/{task_id}/restore", headers=world.victor.headers).status_code == 403
    assert client.post(f"/api/tasks/{task_id}/restore", headers=world.otto.headers).status_code == 404
    assert client.post(f"/api/tasks/{task_id}/restore", headers=world.olga.headers).status_code == 200
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert detail["status"] == "draft"
    assert client.get("/api/tasks/trash", headers=world.olga.headers).get_json()["tasks"] == []
    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    assert "undelete" in {entry["action"] for entry in logs}
    assert client.post(f"/api/tasks/{task_id}/restore", headers=world.olga.headers).status_code == 409


def test_after_30_days_a_deleted_task_is_gone_from_the_trash(
    client: FlaskClient, world: World, clock: FrozenClock, sessions: sessionmaker[Session]
) -> None:
    task_id = create_task(client, world.olga, task_body(world, status="draft"))
    client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers)
    with sessions() as db:  # deleted 31 days ago (the sign-in token would not last that long on the clock)
        db.execute(update(Task).where(Task.id == task_id).values(deleted_at=clock() - timedelta(days=31)))
        db.commit()
    assert client.get("/api/tasks/trash", headers=world.olga.headers).get_json()["tasks"] == []
    refused = client.post(f"/api/tasks/{task_id}/restore", headers=world.olga.headers)
    assert refused.status_code == 409
    assert "30" in refused.get_json()["reason"]
