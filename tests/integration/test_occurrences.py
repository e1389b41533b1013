"""Single occurrences and the calendar through the API: skip, restore, move, 409s, the task log."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient

from tests.integration.conftest import World, create_task, task_body

# The clock starts Monday 2026-03-02 09:00 Shanghai; the task fires daily at 10:00.
DAILY = {
    "type": "recurring",
    "time": "2026-03-02T10:00:00+08:00",
    "recurringInterval": "daily",
    "timezone": "Asia/Shanghai",
}


def _daily(client: FlaskClient, world: World, **schedule: Any) -> str:
    return create_task(client, world.olga, task_body(world, schedule={**DAILY, **schedule}))


def _url(task_id: str, when: str, action: str) -> str:
    return f"/api/tasks/{task_id}/occurrences/{quote(when)}/{action}"


def _upcoming(client: FlaskClient, world: World, task_id: str) -> list[str]:
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    return list(detail["upcoming"])


def test_skip_restore_and_move_show_in_upcoming_and_the_log(client: FlaskClient, world: World) -> None:
    task_id = _daily(client, world)
    skipped = client.post(_url(task_id, "2026-03-03T10:00:00+08:00", "skip"), headers=world.olga.headers)
    assert skipped.status_code == 200, skipped.get_json()
    assert _upcoming(client, world, task_id)[:2] == ["2026-03-02T10:00:00+08:00", "2026-03-04T10:00:00+08:00"]
    plan = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()["upcomingPlan"]
    assert plan[1] == {
        "fireAt": "2026-03-03T10:00:00+08:00",
        "fires": False,
        "reason": "skipped",
        "reasonText": "已跳过",
        "movedFrom": None,
        "movedTo": None,
        "unverified": False,
    }

    moved = client.post(
        _url(task_id, "2026-03-04T10:00:00+08:00", "move"),
        json={"time": "2026-03-04T15:30:00+08:00"},
        headers=world.olga.headers,
    )
    assert moved.status_code == 200, moved.get_json()
    assert _upcoming(client, world, task_id)[:3] == [
        "2026-03-02T10:00:00+08:00",
        "2026-03-04T15:30:00+08:00",
        "2026-03-05T10:00:00+08:00",
    ]

    restored = client.delete(_url(task_id, "2026-03-03T10:00:00+08:00", "skip"), headers=world.olga.headers)
    assert restored.status_code == 200
    assert "2026-03-03T10:00:00+08:00" in _upcoming(client, world, task_id)

    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    by_action = {entry["action"]: entry for entry in logs}  # one clock instant: the order among them is open
    assert {"skip", "move", "restore"} <= set(by_action)
    assert by_action["move"]["changes"]["occurrence"] == {
        "old": "2026-03-04T10:00:00+08:00",
        "new": "2026-03-04T15:30:00+08:00",
    }
    assert by_action["skip"]["userName"] == world.olga.name


def test_a_move_onto_a_time_the_task_already_fires_is_refused_with_409(client: FlaskClient, world: World) -> None:
    task_id = _daily(client, world)
    clash = client.post(
        _url(task_id, "2026-03-04T10:00:00+08:00", "move"),
        json={"time": "2026-03-05T10:00:00+08:00"},
        headers=world.olga.headers,
    )
    assert clash.status_code == 409
    assert "2026-03-05" in clash.get_json()["reason"]
    # Two occurrences moved onto the same new time: the second is refused too.
    first = client.post(
        _url(task_id, "2026-03-04T10:00:00+08:00", "move"),
        json={"time": "2026-03-04T20:00"},
        headers=world.olga.headers,
    )
    assert first.status_code == 200
    second = client.post(
        _url(task_id, "2026-03-05T10:00:00+08:00", "move"),
        json={"time": "2026-03-04T20:00"},
        headers=world.olga.headers,
    )
    assert second.status_code == 409


def test_occurrence_mistakes_are_400_404_or_409_with_a_reason(client: FlaskClient, world: World) -> None:
    task_id = _daily(client, world)
    not_a_slot = client.post(_url(task_id, "2026-03-03T11:00:00+08:00", "skip"), headers=world.olga.headers)
    assert not_a_slot.status_code == 400
    assert not_a_slot.get_json()["details"][0]["field"] == "fireAt"
    garbage = client.post(_url(task_id, "tomorrow", "skip"), headers=world.olga.headers)
    assert garbage.status_code == 400
    past = client.post(
        _url(task_id, "2026-03-03T10:00:00+08:00", "move"),
        json={"time": "2026-03-01T10:00:00+08:00"},
        headers=world.olga.headers,
    )
    assert past.status_code == 400
    once = create_task(
        client, world.olga, task_body(world, schedule={"type": "once", "time": "2026-03-05T10:00:00+08:00"})
    )
    assert client.post(_url(once, "2026-03-05T10:00:00+08:00", "skip"), headers=world.olga.headers).status_code == 409
    other = client.post(_url(task_id, "2026-03-03T10:00:00+08:00", "skip"), headers=world.otto.headers)
    assert other.status_code == 404
    viewer = client.post(_url(task_id, "2026-03-03T10:00:00+08:00", "skip"), headers=world.victor.headers)
    assert viewer.status_code == 403


def test_calendar_lists_planned_skipped_and_holiday_occurrences(client: FlaskClient, world: World) -> None:
    # Daily at 10:00 on China's working days from late September: National Day is skipped and named.
    task_id = _daily(client, world, time="2026-09-28T10:00:00+08:00", calendar="cn_workdays")
    client.post(_url(task_id, "2026-09-29T10:00:00+08:00", "skip"), headers=world.olga.headers)
    answer = client.get(
        "/api/calendar?from=2026-09-28T00:00:00%2B08:00&to=2026-10-12T00:00:00%2B08:00", headers=world.victor.headers
    )
    assert answer.status_code == 200, answer.get_json()
    mine = [o for o in answer.get_json()["occurrences"] if o["taskId"] == task_id]
    by_day = {o["fireAt"][:10]: o for o in mine}
    assert by_day["2026-09-28"]["outcome"] == "planned"
    assert by_day["2026-09-28"]["fireAt"] == "2026-09-28T10:00:00+08:00"
    assert by_day["2026-09-29"]["outcome"] == "skipped" and by_day["2026-09-29"]["reason"] == "skipped"
    assert by_day["2026-10-01"]["reason"] == "holiday" and by_day["2026-10-01"]["reasonText"] == "国庆节"
    assert by_day["2026-10-10"]["outcome"] == "planned"  # a 调休 Saturday
    assert "2026-10-11" not in by_day  # an ordinary Sunday
    assert set(mine[0]) == {
        "taskId",
        "name",
        "fireAt",
        "status",
        "priority",
        "pushId",
        "outcome",
        "recurring",
        "reason",
        "reasonText",
        "movedFrom",
        "movedTo",
        "unverified",
    }


def test_calendar_window_over_62_days_is_400(client: FlaskClient, world: World) -> None:
    too_long = client.get("/api/calendar?from=2026-03-01&to=2026-05-03", headers=world.olga.headers)
    assert too_long.status_code == 400
    assert too_long.get_json()["details"][0]["field"] == "to"
    assert client.get("/api/calendar?from=2026-03-01&to=2026-05-02", headers=world.olga.headers).status_code == 200
    assert client.get("/api/calendar?from=2026-03-01", headers=world.olga.headers).status_code == 400


def test_an_unknown_year_is_warned_about_when_the_task_is_saved(client: FlaskClient, world: World) -> None:
    body = task_body(world, schedule={**DAILY, "time": "2027-12-20T10:00:00+08:00", "calendar": "skip_cn_holidays"})
    answer = client.post("/api/tasks", json=body, headers=world.olga.headers)
    assert answer.status_code == 201
    assert any(w.startswith("2028 年节假日安排尚未公布") for w in answer.get_json()["warnings"])
