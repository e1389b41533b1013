"""Organisations are sealed off: Otto (another organisation's operator) never sees or touches the school's data."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.conftest import World, create_task, task_body

TASK_ROUTES = [
    ("GET", "/api/tasks/{id}", None),
    ("PUT", "/api/tasks/{id}", {"name": "Otto 改的"}),
    ("DELETE", "/api/tasks/{id}", None),
    ("POST", "/api/tasks/{id}/pause", {}),
    ("POST", "/api/tasks/{id}/resume", None),
    ("POST", "/api/tasks/{id}/copy", None),
    ("GET", "/api/tasks/{id}/logs", None),
]


@pytest.fixture
def school_task(client: FlaskClient, world: World) -> str:
    return create_task(client, world.olga, task_body(world, name="学校的任务", status="draft"))


@pytest.mark.parametrize(("method", "path", "body"), TASK_ROUTES, ids=[f"{m} {p}" for m, p, _ in TASK_ROUTES])
def test_other_organisations_operator_gets_404_on_every_task_route(
    client: FlaskClient, world: World, school_task: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = client.open(path.format(id=school_task), method=method, json=body, headers=world.otto.headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Task not found"}
    # …and the same answer as for a task that does not exist, so ids cannot be probed.
    missing = client.open(
        path.format(id="00000000-0000-4000-8000-000000000000"), method=method, json=body, headers=world.otto.headers
    )
    assert missing.get_json() == response.get_json()
    untouched = client.get(f"/api/tasks/{school_task}", headers=world.olga.headers).get_json()
    assert (untouched["name"], untouched["status"]) == ("学校的任务", "draft")


@pytest.mark.parametrize("action", ["delete", "pause", "resume", "copy", "edit"])
def test_batch_reports_another_organisations_tasks_as_not_found(
    client: FlaskClient, world: World, school_task: str, action: str
) -> None:
    payload: dict[str, Any] = {"taskIds": [school_task], "action": action}
    if action == "edit":
        payload["updates"] = {"groups": world.other_groups[:1]}
    response = client.post("/api/tasks/batch", json=payload, headers=world.otto.headers)
    assert response.status_code == 200
    assert response.get_json()["failedTasks"] == [{"taskId": school_task, "error": "任务不存在或已删除"}]
    assert client.get("/api/tasks", headers=world.otto.headers).get_json()["total"] == 0
    untouched = client.get(f"/api/tasks/{school_task}", headers=world.olga.headers).get_json()
    assert (untouched["name"], untouched["groups"]) == ("学校的任务", world.groups[:3])


@pytest.mark.parametrize(
    "query",
    ["", "q=学校", "status=draft", "creatorId={olga}", "groupId={group}", "recipientId={recipient}"],
)
def test_list_never_shows_another_organisations_tasks(
    client: FlaskClient, world: World, school_task: str, query: str
) -> None:
    query = query.format(olga=world.olga.user_id, group=world.groups[0], recipient=world.recipients[0])
    body = client.get(f"/api/tasks?{query}", headers=world.otto.headers).get_json()
    assert (body["tasks"], body["total"]) == ([], 0)


def test_each_organisation_sees_only_its_own_tasks(client: FlaskClient, world: World, school_task: str) -> None:
    shop_task = create_task(client, world.otto, task_body(world, groups=world.other_groups, previewRecipients=[]))
    assert [t["taskId"] for t in client.get("/api/tasks", headers=world.otto.headers).get_json()["tasks"]] == [
        shop_task
    ]
    assert [t["taskId"] for t in client.get("/api/tasks", headers=world.olga.headers).get_json()["tasks"]] == [
        school_task
    ]
    assert client.get(f"/api/tasks/{shop_task}", headers=world.ada.headers).status_code == 404


def test_another_organisations_groups_are_unknown_when_creating_a_task(client: FlaskClient, world: World) -> None:
    body = task_body(world, groups=[world.other_groups[0], world.groups[0]], previewRecipients=[])
    response = client.post("/api/tasks", json=body, headers=world.olga.headers)
    assert response.status_code == 400
    (detail,) = response.get_json()["details"]
    assert detail["field"] == "groups"
    assert world.other_groups[0] in detail["message"]
    assert world.groups[0] not in detail["message"]


def test_another_organisations_recipients_are_unknown_when_creating_a_task(client: FlaskClient, world: World) -> None:
    body = task_body(world, groups=world.other_groups[:1], previewRecipients=world.recipients[:1])
    response = client.post("/api/tasks", json=body, headers=world.otto.headers)
    assert response.status_code == 400
    assert [d["field"] for d in response.get_json()["details"]] == ["previewRecipients"]


def test_editing_a_task_onto_another_organisations_group_is_refused(
    client: FlaskClient, world: World, school_task: str
) -> None:
    response = client.put(
        f"/api/tasks/{school_task}", json={"groups": world.other_groups[:1]}, headers=world.olga.headers
    )
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "groups"


def test_directory_lists_only_the_callers_organisation(client: FlaskClient, world: World) -> None:
    groups = client.get("/api/groups", headers=world.otto.headers).get_json()
    assert sorted(g["groupId"] for g in groups["groups"]) == sorted(world.other_groups)
    recipients = client.get("/api/recipients", headers=world.otto.headers).get_json()
    assert [r["recipientId"] for r in recipients["recipients"]] == world.other_recipients


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/groups/{group}", {"name": "改名"}),
        ("DELETE", "/api/groups/{group}", None),
        ("PUT", "/api/recipients/{recipient}", {"name": "改名"}),
        ("DELETE", "/api/recipients/{recipient}", None),
        ("PUT", "/api/users/{user}", {"name": "改名"}),
        ("DELETE", "/api/users/{user}", None),
    ],
)
def test_an_admin_cannot_change_another_organisations_directory_or_users(
    client: FlaskClient, world: World, method: str, path: str, body: dict[str, Any] | None
) -> None:
    url = path.format(group=world.other_groups[0], recipient=world.other_recipients[0], user=world.otto.user_id)
    response = client.open(url, method=method, json=body, headers=world.ada.headers)
    assert response.status_code == 404
    groups = client.get("/api/groups", headers=world.otto.headers).get_json()
    assert len(groups["groups"]) == 3
    assert client.get("/api/auth/me", headers=world.otto.headers).get_json()["user"]["name"] == "Otto 店长"
