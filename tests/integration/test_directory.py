"""Groups and recipients: pickers for everyone, maintenance for admins, channel secrets never shown."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from pushtask.schemas import CreatedId, GroupListOut, RecipientListOut
from tests.integration.conftest import Persona, World, create_task, task_body


def groups(client: FlaskClient, persona: Persona, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/groups?{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    GroupListOut.model_validate(body)
    return body


def recipients(client: FlaskClient, persona: Persona, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/recipients?{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    RecipientListOut.model_validate(body)
    return body


# ---- pickers -----------------------------------------------------------------------------------


def test_group_picker_searches_by_name_and_pages_in_name_order(client: FlaskClient, world: World) -> None:
    body = groups(client, world.victor, "q=家长群01&limit=4&page=2")
    assert body["total"] == 10  # 家长群010 … 家长群019
    assert [g["name"] for g in body["groups"]] == ["家长群014", "家长群015", "家长群016", "家长群017"]
    first = groups(client, world.victor, "q=家长群010")["groups"][0]
    assert first == {"groupId": world.groups[10], "name": "家长群010", "channel": "wecom_robot", "memberCount": 50}


def test_group_picker_defaults_to_100_a_page(client: FlaskClient, world: World) -> None:
    body = groups(client, world.victor)
    assert (len(body["groups"]), body["total"]) == (100, 120)
    assert len(groups(client, world.victor, "page=2")["groups"]) == 20
    assert groups(client, world.victor, "page=3")["groups"] == []


def test_search_wildcards_are_plain_characters(client: FlaskClient, world: World) -> None:
    assert groups(client, world.victor, "q=_")["total"] == 0
    assert groups(client, world.victor, "q=%25")["total"] == 0


def test_recipient_picker_searches_by_name_or_wechat_id(client: FlaskClient, world: World) -> None:
    by_name = recipients(client, world.victor, "q=张")["recipients"]
    assert by_name == [{"recipientId": world.recipients[0], "name": "张老师", "wechatId": "zhang", "channel": "wecom"}]
    by_wechat_id = recipients(client, world.victor, "q=li")["recipients"]
    assert [r["name"] for r in by_wechat_id] == ["李老师"]
    assert recipients(client, world.victor)["total"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=501", "limit"), ("limit=0", "limit"), ("page=0", "page"), ("page=x", "page"), ("sort=name", "sort")],
)
def test_bad_picker_queries_are_400(client: FlaskClient, world: World, query: str, field: str) -> None:
    for path in ("/api/groups", "/api/recipients"):
        response = client.get(f"{path}?{query}", headers=world.victor.headers)
        assert response.status_code == 400, path
        assert response.get_json()["error"] == "Invalid query"
        assert [d["field"] for d in response.get_json()["details"]] == [field]


# ---- admin maintenance -------------------------------------------------------------------------


def test_admin_adds_changes_and_removes_a_group_and_its_secret_is_never_returned(
    client: FlaskClient, world: World
) -> None:
    secret = "robot-key-5f1c-do-not-show"
    created = client.post(
        "/api/groups",
        json={"name": "  三年级二班  ", "channel": "wecom_robot", "channelRef": secret, "memberCount": 45},
        headers=world.ada.headers,
    )
    assert created.status_code == 201
    CreatedId.model_validate(created.get_json())
    group_id = created.get_json()["id"]
    listed = client.get("/api/groups?q=三年级", headers=world.ada.headers)
    assert listed.get_json()["groups"] == [
        {"groupId": group_id, "name": "三年级二班", "channel": "wecom_robot", "memberCount": 45}
    ]

    changed = client.put(
        f"/api/groups/{group_id}", json={"name": "三年级三班", "channelRef": secret + "-2"}, headers=world.ada.headers
    )
    assert changed.status_code == 200
    assert groups(client, world.ada, "q=三年级")["groups"][0]["name"] == "三年级三班"

    task_id = create_task(client, world.olga, task_body(world, groups=[group_id]))
    task = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers)
    for response in (created, listed, changed, task):
        assert secret not in response.get_data(as_text=True)

    client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers)
    assert client.delete(f"/api/groups/{group_id}", headers=world.ada.headers).status_code == 200
    assert groups(client, world.ada, "q=三年级")["total"] == 0
    assert client.put(f"/api/groups/{group_id}", json={"name": "x"}, headers=world.ada.headers).status_code == 404


def test_a_group_an_active_task_pushes_to_cannot_be_removed(client: FlaskClient, world: World) -> None:
    create_task(client, world.olga, task_body(world, name="周五放学通知", groups=[world.groups[5]]))
    response = client.delete(f"/api/groups/{world.groups[5]}", headers=world.ada.headers)
    assert response.status_code == 409
    assert "周五放学通知" in response.get_json()["reason"]
    assert groups(client, world.ada, "q=家长群005")["total"] == 1


def test_a_removed_group_keeps_its_name_in_drafts_but_cannot_be_chosen_again(client: FlaskClient, world: World) -> None:
    draft = create_task(client, world.olga, task_body(world, status="draft", groups=[world.groups[5]]))
    assert client.delete(f"/api/groups/{world.groups[5]}", headers=world.ada.headers).status_code == 200
    assert client.get(f"/api/tasks/{draft}", headers=world.olga.headers).get_json()["groupNames"] == ["家长群005"]
    response = client.post("/api/tasks", json=task_body(world, groups=[world.groups[5]]), headers=world.olga.headers)
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "groups"


def test_admin_maintains_recipients_and_their_user_id_is_never_returned(client: FlaskClient, world: World) -> None:
    secret = "openid-oX9-secret"
    created = client.post(
        "/api/recipients",
        json={"name": "王主任", "wechatId": "wangzr", "channel": "miniprogram", "channelUserId": secret},
        headers=world.ada.headers,
    )
    assert created.status_code == 201
    recipient_id = created.get_json()["id"]
    listed = client.get("/api/recipients?q=王主任", headers=world.ada.headers)
    assert listed.get_json()["recipients"] == [
        {"recipientId": recipient_id, "name": "王主任", "wechatId": "wangzr", "channel": "miniprogram"}
    ]
    changed = client.put(f"/api/recipients/{recipient_id}", json={"channel": "wecom"}, headers=world.ada.headers)
    assert changed.status_code == 200
    assert recipients(client, world.ada, "q=wangzr")["recipients"][0]["channel"] == "wecom"
    for response in (created, listed, changed):
        assert secret not in response.get_data(as_text=True)
    assert client.delete(f"/api/recipients/{recipient_id}", headers=world.ada.headers).status_code == 200
    assert recipients(client, world.ada, "q=wangzr")["total"] == 0


def test_a_reviewer_of_an_active_task_cannot_be_removed(client: FlaskClient, world: World) -> None:
    create_task(client, world.olga, task_body(world, name="家长会通知"))
    response = client.delete(f"/api/recipients/{world.recipients[0]}", headers=world.ada.headers)
    assert response.status_code == 409
    assert "家长会通知" in response.get_json()["reason"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/groups", {"name": "", "channel": "wecom_robot", "channelRef": "k"}, "name"),
        ("/api/groups", {"name": "群", "channel": "sms", "channelRef": "k"}, "channel"),
        ("/api/groups", {"name": "群", "channel": "wecom_robot"}, "channelRef"),
        ("/api/groups", {"name": "群", "channel": "wecom_robot", "channelRef": "k", "memberCount": -1}, "memberCount"),
        ("/api/groups", {"name": "群", "channel": "wecom_robot", "channelRef": "k", "owner": "x"}, "owner"),
        ("/api/recipients", {"name": "人", "wechatId": "w", "channel": "email", "channelUserId": "u"}, "channel"),
        ("/api/recipients", {"name": "人" * 51, "wechatId": "w", "channel": "wecom", "channelUserId": "u"}, "name"),
    ],
)
def test_invalid_directory_entries_are_400(
    client: FlaskClient, world: World, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body, headers=world.ada.headers)
    assert response.status_code == 400
    assert field in [d["field"] for d in response.get_json()["details"]]
