"""previewRecipients named by WeChat ID (PRD §4.1.1) on create, edit, batch edit and preview."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Recipient, new_id
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle
from tests.integration.conftest import World, create_task, task_body
from tests.integration.test_previews import sandbox, sandbox_server, served  # noqa: F401 — fixtures


def reviewers(client: FlaskClient, world: World, task_id: str) -> list[str]:
    body: dict[str, Any] = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    return list(body["previewRecipients"])


def test_create_accepts_wechat_ids_and_stores_our_ids(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world, previewRecipients=["zhang", world.recipients[1]]))
    assert reviewers(client, world, task_id) == world.recipients[:2]


def test_an_unknown_wechat_id_is_still_400_naming_it(client: FlaskClient, world: World) -> None:
    answer = client.post("/api/tasks", json=task_body(world, previewRecipients=["nobody"]), headers=world.olga.headers)
    assert answer.status_code == 400
    assert "nobody" in answer.get_json()["details"][0]["message"]


def test_edit_and_batch_edit_accept_wechat_ids(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world, previewRecipients=[]))
    edited = client.put(f"/api/tasks/{task_id}", json={"previewRecipients": ["li"]}, headers=world.olga.headers)
    assert edited.status_code == 200, edited.get_json()
    assert reviewers(client, world, task_id) == [world.recipients[1]]
    payload = {"taskIds": [task_id], "action": "edit", "updates": {"previewRecipients": ["zhang", "li"]}}
    batch = client.post("/api/tasks/batch", json=payload, headers=world.olga.headers)
    assert batch.status_code == 200 and batch.get_json()["failedTasks"] == [], batch.get_json()
    assert reviewers(client, world, task_id) == world.recipients[:2]


def test_a_wechat_id_two_recipients_share_is_400_naming_both(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    now = runtime.clock()
    with sessions() as db:
        twin = Recipient(
            id=new_id(),
            org_id=world.olga.org_id,
            name="张老师（分校）",
            wechat_id="zhang",
            channel="wecom",
            channel_user_id="zhang2",
            created_at=now,
            updated_at=now,
        )
        db.add(twin)
        db.commit()
        twin_id = twin.id
    answer = client.post("/api/tasks", json=task_body(world, previewRecipients=["zhang"]), headers=world.olga.headers)
    assert answer.status_code == 400
    [problem] = answer.get_json()["details"]
    assert problem["field"] == "previewRecipients"
    assert "张老师" in problem["message"] and "张老师（分校）" in problem["message"] and twin_id in problem["message"]
    # Our own id still picks exactly one.
    assert (
        client.post(
            "/api/tasks", json=task_body(world, previewRecipients=[twin_id]), headers=world.olga.headers
        ).status_code
        == 201
    )


def test_preview_accepts_wechat_ids(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:  # noqa: F811
    task_id = create_task(client, world.olga, task_body(world, status="draft", previewRecipients=[]))
    answer = client.post("/api/preview", json={"taskId": task_id, "recipients": ["zhang"]}, headers=world.olga.headers)
    assert answer.status_code == 200, answer.get_json()
    assert [r["name"] for r in answer.get_json()["recipients"]] == ["张老师"]
