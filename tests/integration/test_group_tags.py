"""Group sets: tag groups (admin), filter the list by tag, pick a tag's groups in create, edit and batch edit."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.integration.conftest import World, create_task, task_body


def _tag(client: FlaskClient, world: World, group_id: str, *tags: str) -> None:
    answer = client.put(f"/api/groups/{group_id}/tags", json={"tags": list(tags)}, headers=world.ada.headers)
    assert answer.status_code == 200, answer.get_json()


def test_tags_filter_the_group_list_and_pick_groups_when_saved(client: FlaskClient, world: World) -> None:
    grade_one = world.groups[10:13]
    for gid in grade_one:
        _tag(client, world, gid, "初一年级", " 全体 ")
    _tag(client, world, world.groups[20], "全体")
    assert (
        client.put(f"/api/groups/{world.groups[0]}/tags", json={"tags": ["x"]}, headers=world.olga.headers).status_code
        == 403
    )

    listed = client.get("/api/groups?tag=初一年级", headers=world.victor.headers).get_json()
    assert sorted(g["groupId"] for g in listed["groups"]) == sorted(grade_one)
    assert listed["groups"][0]["tags"] == ["全体", "初一年级"] or listed["groups"][0]["tags"] == sorted(
        ["全体", "初一年级"]
    )
    tags = client.get("/api/groups/tags", headers=world.victor.headers).get_json()["tags"]
    assert {t["tag"]: t["groupCount"] for t in tags} == {"初一年级": 3, "全体": 4}

    body = task_body(world, groups=[world.groups[0]], groupTags=["初一年级"])
    task_id = create_task(client, world.olga, body)
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert detail["groups"] == [world.groups[0], *grade_one]

    # A later change of the tag does not touch the saved task: it keeps the groups it was saved with.
    _tag(client, world, world.groups[30], "初一年级")
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert world.groups[30] not in detail["groups"]

    edited = client.put(f"/api/tasks/{task_id}", json={"groupTags": ["全体"]}, headers=world.olga.headers)
    assert edited.status_code == 200
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert world.groups[20] in detail["groups"]

    other = create_task(client, world.olga, task_body(world))
    batch = client.post(
        "/api/tasks/batch",
        json={"taskIds": [other], "action": "edit", "updates": {"groupTags": ["初一年级"]}},
        headers=world.olga.headers,
    ).get_json()
    assert batch["failedTasks"] == []
    detail = client.get(f"/api/tasks/{other}", headers=world.olga.headers).get_json()
    assert set(grade_one) | {world.groups[30]} <= set(detail["groups"])


def test_an_unknown_tag_is_a_field_error(client: FlaskClient, world: World) -> None:
    answer = client.post("/api/tasks", json=task_body(world, groupTags=["没有的标签"]), headers=world.olga.headers)
    assert answer.status_code == 400
    assert answer.get_json()["details"][0]["field"] == "groupTags"
