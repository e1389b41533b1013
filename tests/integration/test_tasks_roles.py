"""Roles: viewers read, operators also write tasks, admins also keep the directory and the users."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

import pushtask.app  # noqa: F401  (registers every route in ROUTES)
from pushtask.api.base import ROUTES
from tests.integration.conftest import Persona, World, create_task, task_body

# Every route that changes something, with the least role allowed to call it.
WRITES: dict[tuple[str, str], str] = {
    ("POST", "/api/tasks"): "operator",
    ("PUT", "/api/tasks/<task_id>"): "operator",
    ("DELETE", "/api/tasks/<task_id>"): "operator",
    ("POST", "/api/tasks/<task_id>/pause"): "operator",
    ("POST", "/api/tasks/<task_id>/resume"): "operator",
    ("POST", "/api/tasks/<task_id>/copy"): "operator",
    ("POST", "/api/tasks/batch"): "operator",
    ("POST", "/api/tasks/<task_id>/occurrences/<fire_at>/skip"): "operator",
    ("DELETE", "/api/tasks/<task_id>/occurrences/<fire_at>/skip"): "operator",
    ("POST", "/api/tasks/<task_id>/occurrences/<fire_at>/move"): "operator",
    ("POST", "/api/tasks/<task_id>/variants/<key>/adopt"): "operator",
    ("POST", "/api/tasks/import"): "operator",
    ("POST", "/api/tasks/<task_id>/restore"): "operator",
    ("PUT", "/api/groups/<group_id>/tags"): "admin",
    ("POST", "/api/groups"): "admin",
    ("PUT", "/api/groups/<group_id>"): "admin",
    ("DELETE", "/api/groups/<group_id>"): "admin",
    ("POST", "/api/groups/sync"): "admin",
    ("POST", "/api/recipients"): "admin",
    ("PUT", "/api/recipients/<recipient_id>"): "admin",
    ("DELETE", "/api/recipients/<recipient_id>"): "admin",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("PUT", "/api/users/<user_id>"): "admin",
    ("DELETE", "/api/users/<user_id>"): "admin",
}
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/api/tasks/<task_id>"): {"name": "改名"},
    ("POST", "/api/tasks/<task_id>/pause"): {},
    ("POST", "/api/groups"): {"name": "新群", "channel": "wecom_robot", "channelRef": "key"},
    ("PUT", "/api/groups/<group_id>"): {"name": "改名"},
    ("POST", "/api/groups/sync"): {"channel": "wecom_customer_group"},
    ("POST", "/api/recipients"): {"name": "新人", "wechatId": "new", "channel": "wecom", "channelUserId": "u"},
    ("PUT", "/api/recipients/<recipient_id>"): {"name": "改名"},
    ("POST", "/api/users"): {"wechatId": "newbie", "name": "新人", "password": "long enough"},
    ("PUT", "/api/users/<user_id>"): {"role": "admin"},
}
RANK = {"viewer": 1, "operator": 2, "admin": 3}


PREFIXES = ("/api/tasks", "/api/groups", "/api/recipients", "/api/users")


def test_every_task_directory_and_user_route_that_is_not_read_only_is_in_this_table() -> None:
    declared = {
        (r.method, re.sub(r"<\w+:(\w+)>", r"<\1>", r.path)): r.role
        for r in ROUTES
        if r.role in ("operator", "admin") and r.path.startswith(PREFIXES)
    }
    assert declared == WRITES


def _url(path: str, world: World, task_id: str) -> str:
    return (
        path.replace("<task_id>", task_id)
        .replace("<group_id>", world.groups[0])
        .replace("<recipient_id>", world.recipients[0])
        .replace("<user_id>", world.olga.user_id)
        .replace("<fire_at>", "2026-03-16T18:00:00%2B08:00")
    )


def _body(method: str, path: str, world: World, task_id: str) -> Any:
    if (method, path) == ("POST", "/api/tasks"):
        return task_body(world)
    if (method, path) == ("POST", "/api/tasks/batch"):
        return {"taskIds": [task_id], "action": "delete"}
    return BODIES.get((method, path))


ROLE_OF = {"victor": "viewer", "olga": "operator"}
CASES = [
    (persona, method, path)
    for (method, path), role in WRITES.items()
    for persona in ROLE_OF
    if RANK[ROLE_OF[persona]] < RANK[role]
]


@pytest.mark.parametrize(("persona", "method", "path"), CASES, ids=[f"{p}-{m} {u}" for p, m, u in CASES])
def test_a_role_below_the_routes_gets_403_and_changes_nothing(
    client: FlaskClient, world: World, persona: str, method: str, path: str
) -> None:
    task_id = create_task(client, world.olga, task_body(world, status="draft"))
    caller: Persona = getattr(world, persona)
    url, body = _url(path, world, task_id), _body(method, path, world, task_id)
    response = client.open(url, method=method, json=body, headers=caller.headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == "Forbidden"
    assert f"需要 {WRITES[(method, path)]} 角色" in response.get_json()["reason"]

    task = client.get(f"/api/tasks/{task_id}", headers=world.ada.headers).get_json()
    assert (task["name"], task["status"]) == ("周一课程提醒", "draft")
    assert client.get("/api/tasks", headers=world.ada.headers).get_json()["total"] == 1
    assert client.get("/api/groups?q=家长群000", headers=world.ada.headers).get_json()["total"] == 1
    assert client.get("/api/recipients", headers=world.ada.headers).get_json()["total"] == 2
    users = client.get("/api/users", headers=world.ada.headers).get_json()["users"]
    assert {u["wechatId"]: u["role"] for u in users} == {"ada": "admin", "olga": "operator", "victor": "viewer"}


def test_a_viewer_reads_tasks_logs_exports_and_the_directory(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    for path in (
        "/api/tasks",
        f"/api/tasks/{task_id}",
        f"/api/tasks/{task_id}/logs",
        "/api/tasks/export",
        "/api/groups",
        "/api/recipients",
        "/api/auth/me",
    ):
        assert client.get(path, headers=world.victor.headers).status_code == 200, path


def test_an_operator_edits_tasks_of_colleagues(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.ada, task_body(world))
    response = client.put(f"/api/tasks/{task_id}", json={"priority": "high"}, headers=world.olga.headers)
    assert response.status_code == 200
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
