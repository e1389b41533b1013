"""The admin's maintenance of users: add, rename, change role, reset password, remove."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from pushtask.schemas import CreatedId, UserListOut
from tests.integration.conftest import PASSWORD, World, create_task, task_body


def users(client: FlaskClient, world: World) -> dict[str, dict[str, Any]]:
    response = client.get("/api/users", headers=world.ada.headers)
    assert response.status_code == 200
    body = response.get_json()
    UserListOut.model_validate(body)
    assert body["total"] == len(body["users"])
    return {u["wechatId"]: u for u in body["users"]}


def add_user(client: FlaskClient, world: World, **fields: Any) -> str:
    body = {"wechatId": "newbie", "name": "新同事", "password": "long enough", **fields}
    response = client.post("/api/users", json=body, headers=world.ada.headers)
    assert response.status_code == 201, response.get_json()
    CreatedId.model_validate(response.get_json())
    user_id: str = response.get_json()["id"]
    return user_id


def login(client: FlaskClient, wechat_id: str, password: str) -> int:
    return client.post("/api/auth/login", json={"wechatId": wechat_id, "password": password}).status_code


def test_admin_lists_the_organisations_users_only(client: FlaskClient, world: World) -> None:
    listed = users(client, world)
    assert {k: v["role"] for k, v in listed.items()} == {"ada": "admin", "olga": "operator", "victor": "viewer"}
    assert listed["olga"]["id"] == world.olga.user_id
    assert "password" not in str(listed)


def test_a_new_user_can_sign_in_with_the_role_given(client: FlaskClient, world: World) -> None:
    add_user(client, world, wechatId="  newbie  ", role="viewer")
    assert users(client, world)["newbie"]["role"] == "viewer"
    response = client.post("/api/auth/login", json={"wechatId": "newbie", "password": "long enough"})
    assert response.get_json()["user"]["role"] == "viewer"
    assert response.get_json()["user"]["orgId"] == world.ada.org_id


def test_a_new_user_is_an_operator_unless_told_otherwise(client: FlaskClient, world: World) -> None:
    add_user(client, world)
    assert users(client, world)["newbie"]["role"] == "operator"


@pytest.mark.parametrize("taken", ["olga", "otto"], ids=["same-organisation", "other-organisation"])
def test_a_wechat_id_in_use_anywhere_is_refused(client: FlaskClient, world: World, taken: str) -> None:
    response = client.post(
        "/api/users", json={"wechatId": taken, "name": "重名", "password": "long enough"}, headers=world.ada.headers
    )
    assert response.status_code == 400
    assert response.get_json()["details"] == [{"field": "wechatId", "message": "该微信号已被使用"}]


def test_admin_renames_and_changes_the_role_of_a_user(client: FlaskClient, world: World) -> None:
    response = client.put(
        f"/api/users/{world.victor.user_id}",
        json={"name": "Victor 老师", "role": "operator"},
        headers=world.ada.headers,
    )
    assert response.status_code == 200
    victor = users(client, world)["victor"]
    assert (victor["name"], victor["role"]) == ("Victor 老师", "operator")
    # The new role holds at once for the token already issued.
    assert client.post("/api/tasks", json=task_body(world), headers=world.victor.headers).status_code == 201


def test_the_last_admin_cannot_step_down_but_one_of_two_can(client: FlaskClient, world: World) -> None:
    alone = client.put(f"/api/users/{world.ada.user_id}", json={"role": "operator"}, headers=world.ada.headers)
    assert alone.status_code == 409
    assert alone.get_json()["reason"] == "组织至少需要一名管理员"
    assert users(client, world)["ada"]["role"] == "admin"

    client.put(f"/api/users/{world.olga.user_id}", json={"role": "admin"}, headers=world.ada.headers)
    response = client.put(f"/api/users/{world.ada.user_id}", json={"role": "operator"}, headers=world.ada.headers)
    assert response.status_code == 200
    assert client.get("/api/users", headers=world.ada.headers).status_code == 403


def test_the_last_admin_cannot_be_removed(client: FlaskClient, world: World) -> None:
    other_admin = add_user(client, world, role="admin")
    assert client.delete(f"/api/users/{world.ada.user_id}", headers=world.ada.headers).status_code == 409
    assert client.delete(f"/api/users/{other_admin}", headers=world.ada.headers).status_code == 200
    assert set(users(client, world)) == {"ada", "olga", "victor"}


def test_an_admin_cannot_remove_their_own_account(client: FlaskClient, world: World) -> None:
    add_user(client, world, role="admin")
    response = client.delete(f"/api/users/{world.ada.user_id}", headers=world.ada.headers)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "不能删除自己的账号"


def test_a_removed_user_is_signed_out_and_their_tasks_stay(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    response = client.delete(f"/api/users/{world.olga.user_id}", headers=world.ada.headers)
    assert response.status_code == 200
    assert response.get_json() == {"message": "User deleted"}
    assert client.get("/api/tasks", headers=world.olga.headers).status_code == 401
    assert login(client, "olga", PASSWORD) == 401
    assert "olga" not in users(client, world)
    task = client.get(f"/api/tasks/{task_id}", headers=world.ada.headers).get_json()
    assert (task["creatorId"], task["creatorName"]) == (world.olga.user_id, "Olga 老师")


# The column holds 64 characters: the marker that frees a removed user's ID must fit beside a long one.
@pytest.mark.parametrize("length", [60, 64])
def test_a_removed_users_wechat_id_can_be_given_to_someone_new(client: FlaskClient, world: World, length: int) -> None:
    wechat_id = "w" * length
    for generation in range(2):
        user_id = add_user(client, world, wechatId=wechat_id, name=f"第{generation}代")
        assert client.delete(f"/api/users/{user_id}", headers=world.ada.headers).status_code == 200
    add_user(client, world, wechatId=wechat_id, name="第三代")
    assert login(client, wechat_id, "long enough") == 200


def test_unknown_users_are_404(client: FlaskClient, world: World) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.put(f"/api/users/{missing}", json={"name": "x"}, headers=world.ada.headers).status_code == 404
    assert client.delete(f"/api/users/{missing}", headers=world.ada.headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"wechatId": "n", "name": "n", "password": "short"}, "password"),
        ({"wechatId": "n", "name": "n", "password": "long enough", "role": "root"}, "role"),
        ({"wechatId": "", "name": "n", "password": "long enough"}, "wechatId"),
        ({"wechatId": "n", "name": "", "password": "long enough"}, "name"),
        ({"wechatId": "n", "name": "n", "password": "long enough", "orgId": "x"}, "orgId"),
    ],
)
def test_invalid_users_are_400(client: FlaskClient, world: World, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/users", json=body, headers=world.ada.headers)
    assert response.status_code == 400
    assert [d["field"] for d in response.get_json()["details"]] == [field]
