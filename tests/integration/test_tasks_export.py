"""CSV export: every matching task, UTF-8 with a BOM so Excel shows Chinese correctly."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from pushtask.api.tasks import EXPORT_COLUMNS
from pushtask.models import Task, TaskGroup, new_id
from tests.integration.conftest import Persona, World, create_task, task_body
from tests.support import FrozenClock

MANY = 10_000


def export(client: FlaskClient, persona: Persona, query: str = "") -> tuple[bytes, list[list[str]]]:
    response = client.get(f"/api/tasks/export?{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return raw, rows


@pytest.fixture
def ten_thousand(world: World, clock: FrozenClock, sessions: sessionmaker[Session]) -> list[str]:
    """Insert 10,000 school tasks straight into the database; every tenth is paused."""
    now = clock()
    ids = [new_id() for _ in range(MANY)]
    tasks = [
        {
            "id": task_id,
            "org_id": world.olga.org_id,
            "creator_id": world.olga.user_id,
            "name": f"期末通知{i:05d}，请查收",
            "schedule_type": "once",
            "schedule_time": now + timedelta(days=1, minutes=i),
            "display_time": now + timedelta(days=1, minutes=i),
            "timezone": "Asia/Shanghai",
            "content_text": '第一行，含逗号\n第二行 "引号" 😀',
            "status": "paused" if i % 10 == 0 else "scheduled",
            "created_at": now,
            "updated_at": now,
        }
        for i, task_id in enumerate(ids)
    ]
    links = [{"task_id": task_id, "group_id": world.groups[i % 7], "position": 0} for i, task_id in enumerate(ids)]
    with sessions() as db:
        db.execute(insert(Task), tasks)
        db.execute(insert(TaskGroup), links)
        db.commit()
    return ids


def test_export_of_ten_thousand_tasks_has_every_row_intact(
    client: FlaskClient, world: World, ten_thousand: list[str]
) -> None:
    raw, rows = export(client, world.victor, "sort=scheduleTime")
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *data = rows
    assert header == EXPORT_COLUMNS
    assert len(data) == MANY
    assert [r[0] for r in data] == ten_thousand  # in the requested order, none repeated or skipped
    first = dict(zip(header, data[0], strict=True))
    assert first["name"] == "期末通知00000，请查收"
    assert first["contentText"] == '第一行，含逗号\n第二行 "引号" 😀'
    assert first["status"] == "paused"
    assert first["groupNames"] == "家长群000"
    assert first["creatorName"] == "Olga 老师"
    assert first["nextFireAt"] == ""
    assert dict(zip(header, data[1], strict=True))["nextFireAt"] == ""  # inserted without a plan


def test_export_honours_the_list_filters(client: FlaskClient, world: World, ten_thousand: list[str]) -> None:
    _, rows = export(client, world.olga, "status=paused")
    assert len(rows) - 1 == MANY // 10
    assert {r[2] for r in rows[1:]} == {"paused"}
    _, rows = export(client, world.olga, "q=通知00042")
    assert [r[1] for r in rows[1:]] == ["期末通知00042，请查收"]
    _, rows = export(client, world.olga, f"groupId={world.groups[3]}&status=scheduled")
    assert len(rows) - 1 == sum(1 for i in range(MANY) if i % 7 == 3 and i % 10 != 0)


def test_another_organisation_exports_none_of_the_schools_tasks(client: FlaskClient, world: World) -> None:
    create_task(client, world.olga, task_body(world, name="学校的任务"))
    raw, rows = export(client, world.otto)
    assert rows == [EXPORT_COLUMNS]
    assert "学校的任务".encode() not in raw


def test_export_names_the_file_and_shows_schedule_and_groups_in_words(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, task_body(world, name="周报"))
    response = client.get("/api/tasks/export", headers=world.olga.headers)
    # Named in the organisation's zone (Asia/Shanghai): 01:00 UTC is 09:00 there.
    assert response.headers["Content-Disposition"] == 'attachment; filename="tasks-20260302-090000.csv"'
    _, rows = export(client, world.olga)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["taskId"] == task_id
    assert row["scheduleText"] == "每周一 18:00"
    assert row["nextFireAt"] == "2026-03-09T18:00:00+08:00"
    assert row["groupCount"] == "3"
    assert row["groupNames"] == "家长群000、家长群001、家长群002"
    assert row["previewRecipientNames"] == "张老师"
    assert (row["status"], row["statusLabel"], row["priority"], row["priorityLabel"]) == (
        "scheduled",
        "已计划",
        "medium",
        "中",
    )
    assert (row["previewState"], row["previewStateLabel"]) == ("none", "未发送预览")
    assert row["createdAt"] == "2026-03-02T09:00:00+08:00"  # the task's zone, with its offset


def test_export_labels_follow_the_readers_language(client: FlaskClient, world: World) -> None:
    create_task(client, world.olga, task_body(world, priority="high"))
    response = client.get("/api/tasks/export", headers={**world.olga.headers, "Accept-Language": "en"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["statusLabel"], row["priorityLabel"], row["previewStateLabel"]) == ("Scheduled", "High", "No preview")


def test_export_with_a_bad_filter_is_400_not_a_broken_file(client: FlaskClient, world: World) -> None:
    response = client.get("/api/tasks/export?status=archived", headers=world.olga.headers)
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "status"
