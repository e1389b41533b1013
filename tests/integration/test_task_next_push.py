"""A task's "下次推送" (nextFireAt) and "接下来的推送时间" (upcoming) tell one story, and its log names
every author: a user, or a reviewer who answered a preview in WeChat."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.models import Task, TaskLog, new_id
from pushtask.runtime import Runtime
from pushtask.schemas import TaskDetailOut, TaskLogListOut
from tests.integration.conftest import Persona, World, create_task, task_body
from tests.support import FrozenClock


def signed_in_again(runtime: Runtime, persona: Persona, clock: FrozenClock) -> Persona:
    """The persona with a token issued at the clock's time (sessions last hours; tests move days)."""
    token, _ = runtime.signer.issue(persona.user_id, persona.org_id, clock())
    return replace(persona, token=token)


def detail(client: FlaskClient, persona: Persona, task_id: str) -> dict[str, Any]:
    response = client.get(f"/api/tasks/{task_id}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    TaskDetailOut.model_validate(body)
    return body


def test_a_task_paused_until_a_date_lists_only_times_after_it_resumes(client: FlaskClient, world: World) -> None:
    # Weekly on Mondays 18:00 Shanghai from 2026-03-09; paused until Friday 2026-03-20 08:00 local.
    task_id = create_task(client, world.olga, task_body(world))
    paused = client.post(
        f"/api/tasks/{task_id}/pause", json={"resumeAt": "2026-03-20T00:00:00Z"}, headers=world.olga.headers
    )
    assert paused.status_code == 200, paused.get_json()
    task = detail(client, world.olga, task_id)
    assert (task["status"], task["nextFireAt"]) == ("paused", None)
    # Not 03-09 or 03-16: nothing is pushed while paused.
    assert task["upcoming"][:2] == ["2026-03-23T18:00:00+08:00", "2026-03-30T18:00:00+08:00"]


def test_a_task_paused_by_hand_lists_what_it_would_push_once_resumed(
    client: FlaskClient, world: World, clock: FrozenClock, runtime: Runtime
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers)
    clock.advance(days=10)  # 2026-03-12: the 03-09 push was paused away
    task = detail(client, signed_in_again(runtime, world.olga, clock), task_id)
    assert task["nextFireAt"] is None
    assert task["upcoming"][0] == "2026-03-16T18:00:00+08:00"


def test_a_due_push_not_yet_sent_is_still_the_next_and_the_first_upcoming(
    client: FlaskClient, world: World, clock: FrozenClock, runtime: Runtime
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    clock.now = datetime(2026, 3, 9, 10, 0, 40, tzinfo=UTC)  # 40 s after 18:00 local; the worker has not fired
    task = detail(client, signed_in_again(runtime, world.olga, clock), task_id)
    assert task["nextFireAt"] == "2026-03-09T18:00:00+08:00"
    assert task["upcoming"][:2] == ["2026-03-09T18:00:00+08:00", "2026-03-16T18:00:00+08:00"]


def test_a_finished_task_lists_no_upcoming_push(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    with sessions() as db:
        db.execute(update(Task).where(Task.id == task_id).values(status="completed", next_fire_at=None))
        db.commit()
    task = detail(client, world.olga, task_id)
    assert (task["nextFireAt"], task["upcoming"]) == (None, [])


def test_the_log_names_a_reviewer_who_asked_for_changes_in_wechat(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    with sessions() as db:
        # What a reviewer's 修改 in WeChat records (services/previews.py): the author is the recipient.
        db.add(
            TaskLog(
                id=new_id(),
                task_id=task_id,
                org_id=world.olga.org_id,
                action="update",
                user_id=world.recipients[0],
                changes={"previewComment": {"old": None, "new": "换一张图"}},
                created_at=clock.advance(minutes=1),
            )
        )
        db.commit()
    response = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers)
    body = response.get_json()
    TaskLogListOut.model_validate(body)
    assert [(e["action"], e["userName"]) for e in body] == [("update", "张老师"), ("create", "Olga 老师")]
