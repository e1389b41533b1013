"""One task's life through the API: create, read, edit, pause, resume, copy, delete, and its log."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.domain.text import count_chars
from pushtask.models import Task
from pushtask.runtime import Runtime
from pushtask.schemas import MessageOut, TaskCreated, TaskDetailOut, TaskLogListOut
from tests.integration.conftest import Persona, World, create_task, task_body
from tests.support import FrozenClock


def detail(client: FlaskClient, persona: Persona, task_id: str, **headers: str) -> dict[str, Any]:
    response = client.get(f"/api/tasks/{task_id}", headers={**persona.headers, **headers})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    TaskDetailOut.model_validate(body)
    return body


def logs(client: FlaskClient, persona: Persona, task_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/tasks/{task_id}/logs", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    body: list[dict[str, Any]] = response.get_json()
    TaskLogListOut.model_validate(body)
    return body


def set_status(sessions: sessionmaker[Session], task_id: str, status: str) -> None:
    """Put a task into a state only the scheduler reaches (running, completed, failed)."""
    with sessions() as db:
        db.execute(update(Task).where(Task.id == task_id).values(status=status))
        db.commit()


# ---- create and read ---------------------------------------------------------------------------


def test_creating_a_task_answers_201_and_the_detail_shows_what_was_sent(client: FlaskClient, world: World) -> None:
    body = task_body(world, priority="high")
    response = client.post("/api/tasks", json=body, headers=world.olga.headers)
    assert response.status_code == 201
    created = response.get_json()
    TaskCreated.model_validate(created)
    assert created["message"] == "Task created"

    task = detail(client, world.olga, created["taskId"])
    assert task["taskId"] == created["taskId"]
    assert task["name"] == "周一课程提醒"
    assert task["status"] == "scheduled"
    assert task["priority"] == "high"
    assert task["content"]["text"] == "家长您好，明天 8:00 上课，请准时到校 😀"
    assert task["groups"] == world.groups[:3]
    assert task["groupNames"] == ["家长群000", "家长群001", "家长群002"]
    assert [g["groupId"] for g in task["groupsDetail"]] == world.groups[:3]
    assert task["previewRecipients"] == world.recipients[:1]
    assert task["recipientsDetail"][0]["name"] == "张老师"
    assert task["creatorId"] == world.olga.user_id
    assert task["creatorName"] == "Olga 老师"
    assert task["contentVersion"] == 1
    assert task["nextFireAt"] == "2026-03-09T18:00:00+08:00"
    assert task["scheduleText"] == "每周一 18:00"
    assert task["createdAt"] == task["updatedAt"] == "2026-03-02T01:00:00Z"


def test_group_order_chosen_by_the_operator_is_kept(client: FlaskClient, world: World) -> None:
    chosen = [world.groups[7], world.groups[2], world.groups[50]]
    task_id = create_task(client, world.olga, task_body(world, groups=chosen))
    assert detail(client, world.olga, task_id)["groups"] == chosen


def test_schedule_without_zone_is_read_in_the_organisations_zone(client: FlaskClient, world: World) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-03-10T09:30:00"})
    task = detail(client, world.olga, create_task(client, world.olga, body))
    assert task["schedule"]["timezone"] == "Asia/Shanghai"
    assert task["nextFireAt"] == "2026-03-10T09:30:00+08:00"
    assert task["upcoming"] == ["2026-03-10T09:30:00+08:00"]


def test_weekly_push_keeps_its_local_time_across_daylight_saving(client: FlaskClient, world: World) -> None:
    # The US moves its clocks forward on 2026-03-08: 18:00 local stays 18:00, the offset changes.
    schedule = {
        "type": "recurring",
        "time": "2026-03-02T18:00:00",
        "timezone": "America/Los_Angeles",
        "recurringInterval": "weekly",
    }
    task = detail(client, world.olga, create_task(client, world.olga, task_body(world, schedule=schedule)))
    assert task["upcoming"] == [
        "2026-03-02T18:00:00-08:00",
        "2026-03-09T18:00:00-07:00",
        "2026-03-16T18:00:00-07:00",
        "2026-03-23T18:00:00-07:00",
        "2026-03-30T18:00:00-07:00",
    ]
    assert task["nextFireAt"] == task["upcoming"][0]


def test_draft_has_no_next_fire_time_but_previews_its_upcoming_times(client: FlaskClient, world: World) -> None:
    task = detail(client, world.olga, create_task(client, world.olga, task_body(world, status="draft")))
    assert task["status"] == "draft"
    assert task["nextFireAt"] is None
    assert len(task["upcoming"]) == 5
    assert task["upcoming"][0] == "2026-03-09T18:00:00+08:00"


def test_draft_may_be_saved_without_groups_or_content(client: FlaskClient, world: World) -> None:
    body = task_body(world, status="draft", groups=[], content={}, previewRecipients=[])
    task = detail(client, world.olga, create_task(client, world.olga, body))
    assert task["groups"] == []
    assert task["content"] == {
        "text": None,
        "image": None,
        "link": None,
        "miniprogram": None,
        "imageUrl": None,
        "imageName": None,
    }


def test_schedule_text_follows_the_callers_language(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    english = detail(client, world.olga, task_id, **{"Accept-Language": "en-US,en;q=0.9"})
    assert english["scheduleText"] == "Every Monday at 18:00"


def test_unknown_task_is_404(client: FlaskClient, world: World) -> None:
    response = client.get("/api/tasks/00000000-0000-4000-8000-000000000000", headers=world.olga.headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Task not found"}


# ---- edit --------------------------------------------------------------------------------------


def test_partial_update_changes_only_the_fields_sent(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    before = detail(client, world.olga, task_id)
    clock.advance(minutes=5)
    response = client.put(f"/api/tasks/{task_id}", json={"priority": "low"}, headers=world.olga.headers)
    assert response.status_code == 200
    assert response.get_json() == {"taskId": task_id, "message": "Task updated"}
    after = detail(client, world.olga, task_id)
    assert after["priority"] == "low"
    assert after["updatedAt"] == "2026-03-02T01:05:00Z"
    unchanged = ("name", "schedule", "content", "groups", "status", "previewRecipients", "nextFireAt")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_each_edit_is_logged_with_the_changed_fields_old_and_new(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    clock.advance(minutes=1)
    change = {"name": "周二课程提醒", "groups": world.groups[3:5]}
    assert client.put(f"/api/tasks/{task_id}", json=change, headers=world.ada.headers).status_code == 200

    newest, oldest = logs(client, world.olga, task_id)
    assert newest["action"] == "update"
    assert newest["userId"] == world.ada.user_id
    assert newest["userName"] == "Ada 管理员"
    assert newest["timestamp"] == "2026-03-02T01:01:00Z"
    assert newest["changes"] == {
        "name": {"old": "周一课程提醒", "new": "周二课程提醒"},
        "groups": {"old": world.groups[:3], "new": world.groups[3:5]},
    }
    assert oldest["action"] == "create"
    assert oldest["userId"] == world.olga.user_id
    assert oldest["changes"]["name"] == {"old": None, "new": "周一课程提醒"}


def test_edit_that_changes_nothing_is_not_logged(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    clock.advance(minutes=1)
    same = {"name": "周一课程提醒", "priority": "medium", "groups": world.groups[:3]}
    assert client.put(f"/api/tasks/{task_id}", json=same, headers=world.olga.headers).status_code == 200
    assert [entry["action"] for entry in logs(client, world.olga, task_id)] == ["create"]
    assert detail(client, world.olga, task_id)["updatedAt"] == "2026-03-02T01:00:00Z"


def test_content_edit_bumps_the_content_version_and_other_edits_do_not(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    client.put(f"/api/tasks/{task_id}", json={"name": "改名"}, headers=world.olga.headers)
    assert detail(client, world.olga, task_id)["contentVersion"] == 1
    client.put(f"/api/tasks/{task_id}", json={"content": {"text": "新的通知"}}, headers=world.olga.headers)
    assert detail(client, world.olga, task_id)["contentVersion"] == 2


def test_content_patch_keeps_the_parts_not_sent(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    response = client.put(
        f"/api/tasks/{task_id}", json={"content": {"link": "https://example.com/a"}}, headers=world.olga.headers
    )
    assert response.status_code == 200
    content = detail(client, world.olga, task_id)["content"]
    assert content["link"] == "https://example.com/a"
    assert content["text"] == "家长您好，明天 8:00 上课，请准时到校 😀"


def test_changing_only_the_zone_keeps_the_wall_clock_time(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    response = client.put(
        f"/api/tasks/{task_id}", json={"schedule": {"timezone": "Europe/London"}}, headers=world.olga.headers
    )
    assert response.status_code == 200
    task = detail(client, world.olga, task_id)
    assert task["schedule"]["time"] == "2026-03-09T18:00:00+00:00"
    assert task["nextFireAt"] == "2026-03-09T18:00:00+00:00"


def test_changing_the_frequency_drops_weekdays_and_replans(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    response = client.put(
        f"/api/tasks/{task_id}", json={"schedule": {"recurringInterval": "daily"}}, headers=world.olga.headers
    )
    assert response.status_code == 200
    task = detail(client, world.olga, task_id)
    assert task["schedule"]["weekdays"] is None
    assert task["upcoming"][:2] == ["2026-03-09T18:00:00+08:00", "2026-03-10T18:00:00+08:00"]


def test_scheduling_a_draft_checks_groups_content_and_time(client: FlaskClient, world: World) -> None:
    body = task_body(world, status="draft", groups=[], content={})
    task_id = create_task(client, world.olga, body)
    response = client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers)
    assert response.status_code == 400
    assert {d["field"] for d in response.get_json()["details"]} == {"groups", "content"}
    fixed = {"status": "scheduled", "groups": world.groups[:1], "content": {"text": "你好"}}
    assert client.put(f"/api/tasks/{task_id}", json=fixed, headers=world.olga.headers).status_code == 200
    assert detail(client, world.olga, task_id)["nextFireAt"] == "2026-03-09T18:00:00+08:00"


def test_moving_a_scheduled_task_back_to_draft_unschedules_it(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    assert client.put(f"/api/tasks/{task_id}", json={"status": "draft"}, headers=world.olga.headers).status_code == 200
    task = detail(client, world.olga, task_id)
    assert (task["status"], task["nextFireAt"]) == ("draft", None)


@pytest.mark.parametrize(
    ("status", "reason_zh", "reason_en"),
    [
        ("running", "任务正在执行，无法修改", "The task is being pushed"),
        ("completed", "可复制为新任务后编辑", "copy it into a new task"),
    ],
)
def test_running_and_completed_tasks_cannot_be_edited(
    client: FlaskClient,
    world: World,
    sessions: sessionmaker[Session],
    status: str,
    reason_zh: str,
    reason_en: str,
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    set_status(sessions, task_id, status)
    response = client.put(f"/api/tasks/{task_id}", json={"name": "改名"}, headers=world.olga.headers)
    assert response.status_code == 409
    assert reason_zh in response.get_json()["reason"]
    english = client.put(
        f"/api/tasks/{task_id}", json={"name": "改名"}, headers={**world.olga.headers, "Accept-Language": "en"}
    )
    assert reason_en in english.get_json()["reason"]
    assert detail(client, world.olga, task_id)["name"] == "周一课程提醒"


def test_a_paused_task_stays_paused_through_an_edit(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    response = client.put(f"/api/tasks/{task_id}", json={"name": "暂停中改名"}, headers=world.olga.headers)
    assert response.status_code == 200
    task = detail(client, world.olga, task_id)
    assert (task["name"], task["status"], task["nextFireAt"]) == ("暂停中改名", "paused", None)


# ---- delete ------------------------------------------------------------------------------------


@pytest.mark.parametrize("paused", [False, True], ids=["draft", "paused"])
def test_drafts_and_paused_tasks_can_be_deleted(client: FlaskClient, world: World, paused: bool) -> None:
    task_id = create_task(client, world.olga, task_body(world, status="scheduled" if paused else "draft"))
    if paused:
        client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    response = client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers)
    assert response.status_code == 200
    MessageOut.model_validate(response.get_json())
    assert response.get_json() == {"message": "Task deleted"}
    assert client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).status_code == 404
    assert client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).status_code == 404
    assert client.get("/api/tasks", headers=world.olga.headers).get_json()["total"] == 0
    assert client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers).status_code == 404


@pytest.mark.parametrize("status", ["scheduled", "running", "completed", "failed"])
def test_active_and_finished_tasks_cannot_be_deleted(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], status: str
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    set_status(sessions, task_id, status)
    response = client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers)
    assert response.status_code == 409
    assert "只能删除草稿或已暂停的任务" in response.get_json()["reason"]
    assert detail(client, world.olga, task_id)["status"] == status


# ---- pause, resume ------------------------------------------------------------------------------


def test_pause_stops_the_task_and_resume_puts_it_back(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    clock.advance(minutes=1)
    response = client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    assert response.status_code == 200
    assert response.get_json() == {"taskId": task_id, "message": "Task paused"}
    paused = detail(client, world.olga, task_id)
    assert (paused["status"], paused["nextFireAt"], paused["pausedUntil"]) == ("paused", None, None)

    clock.advance(minutes=1)
    response = client.post(f"/api/tasks/{task_id}/resume", headers=world.olga.headers)
    assert response.status_code == 200
    assert response.get_json() == {"taskId": task_id, "message": "Task resumed"}
    resumed = detail(client, world.olga, task_id)
    assert (resumed["status"], resumed["nextFireAt"]) == ("scheduled", "2026-03-09T18:00:00+08:00")
    assert [e["action"] for e in logs(client, world.olga, task_id)] == ["resume", "pause", "create"]


def test_pause_until_a_time_shows_it_in_the_tasks_zone(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    clock.advance(seconds=1)  # the log is newest first; equal timestamps have no defined order
    response = client.post(
        f"/api/tasks/{task_id}/pause", json={"resumeAt": "2026-03-20T00:00:00Z"}, headers=world.olga.headers
    )
    assert response.status_code == 200
    assert detail(client, world.olga, task_id)["pausedUntil"] == "2026-03-20T08:00:00+08:00"
    pause_log = logs(client, world.olga, task_id)[0]
    assert pause_log["changes"]["status"] == {"old": "scheduled", "new": "paused"}


def test_resume_after_a_long_pause_skips_the_missed_pushes(
    client: FlaskClient, world: World, clock: FrozenClock, runtime: Runtime
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    clock.advance(days=8)  # 2026-03-10 09:00 in Shanghai: the Monday 03-09 push was missed
    olga = replace(world.olga, token=runtime.signer.issue(world.olga.user_id, world.olga.org_id, clock())[0])
    assert client.post(f"/api/tasks/{task_id}/resume", headers=olga.headers).status_code == 200
    assert detail(client, olga, task_id)["nextFireAt"] == "2026-03-16T18:00:00+08:00"


def test_a_one_off_task_whose_time_passed_while_paused_cannot_resume(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-03-02T10:00:00+08:00"})
    task_id = create_task(client, world.olga, body)
    client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    clock.advance(hours=2)
    response = client.post(f"/api/tasks/{task_id}/resume", headers=world.olga.headers)
    assert response.status_code == 409
    assert "推送时间已过" in response.get_json()["reason"]
    assert detail(client, world.olga, task_id)["status"] == "paused"


@pytest.mark.parametrize("status", ["draft", "paused", "completed"])
def test_only_scheduled_or_running_tasks_can_be_paused(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], status: str
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    set_status(sessions, task_id, status)
    response = client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    assert response.status_code == 409
    assert f"当前：{status}" in response.get_json()["reason"]


def test_a_running_task_can_be_paused(client: FlaskClient, world: World, sessions: sessionmaker[Session]) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    set_status(sessions, task_id, "running")
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200


def test_only_paused_tasks_can_be_resumed(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    response = client.post(f"/api/tasks/{task_id}/resume", headers=world.olga.headers)
    assert response.status_code == 409
    assert "当前：scheduled" in response.get_json()["reason"]


def test_pause_until_a_past_time_is_refused(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    response = client.post(
        f"/api/tasks/{task_id}/pause", json={"resumeAt": "2026-03-01T00:00:00Z"}, headers=world.olga.headers
    )
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "resumeAt"
    assert detail(client, world.olga, task_id)["status"] == "scheduled"


# ---- copy --------------------------------------------------------------------------------------


def test_copy_makes_a_new_draft_named_copy_owned_by_the_copier(client: FlaskClient, world: World) -> None:
    source_id = create_task(client, world.olga, task_body(world))
    response = client.post(f"/api/tasks/{source_id}/copy", headers=world.ada.headers)
    assert response.status_code == 201
    copy_id = response.get_json()["taskId"]
    assert copy_id != source_id

    source, copy = detail(client, world.olga, source_id), detail(client, world.olga, copy_id)
    assert copy["name"] == "周一课程提醒 (副本)"
    assert (copy["status"], copy["nextFireAt"], copy["contentVersion"]) == ("draft", None, 1)
    assert copy["creatorId"] == world.ada.user_id
    for key in ("schedule", "content", "groups", "priority", "previewRecipients"):
        assert copy[key] == source[key], key
    assert source["status"] == "scheduled"
    assert logs(client, world.olga, copy_id)[0]["changes"]["copiedFrom"] == {"old": None, "new": source_id}


def test_copy_of_a_fifty_character_name_stays_within_fifty(client: FlaskClient, world: World) -> None:
    source_id = create_task(client, world.olga, task_body(world, name="通" * 50))
    copy_id = client.post(f"/api/tasks/{source_id}/copy", headers=world.olga.headers).get_json()["taskId"]
    name = detail(client, world.olga, copy_id)["name"]
    assert name == "通" * 45 + " (副本)"
    assert count_chars(name) == 50
