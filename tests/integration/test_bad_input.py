"""Bad input is a 400 that names the field and says what to do (zh-CN, or English on request) — never a 500."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from pushtask.schemas import ErrorOut, TaskListOut
from tests.integration.conftest import World, create_task, task_body

REMOVE = object()
NOWHERE = "00000000-0000-4000-8000-000000000000"
Patch = dict[str, Any] | Callable[[World], dict[str, Any]]


def patched(body: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge `patch` into `body` (nested objects merge; REMOVE deletes a key)."""
    out = copy.deepcopy(body)
    for key, value in patch.items():
        if value is REMOVE:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = patched(out[key], value)
        else:
            out[key] = value
    return out


# (case, change to a valid create body, the field the 400 names)
BAD_CREATES: list[tuple[str, Patch, str]] = [
    ("name empty", {"name": ""}, "name"),
    ("name blank", {"name": "   "}, "name"),
    ("name 51 characters", {"name": "名" * 51}, "name"),
    ("name far too long", {"name": "n" * 201}, "name"),
    ("name a number", {"name": 123}, "name"),
    ("name missing", {"name": REMOVE}, "name"),
    ("name with NUL", {"name": "周报\x00"}, "name"),
    ("name with a line break", {"name": "周报\n第二行"}, "name"),
    ("schedule missing", {"schedule": REMOVE}, "schedule"),
    ("schedule a string", {"schedule": "every monday"}, "schedule"),
    ("schedule type unknown", {"schedule": {"type": "sometimes"}}, "schedule.type"),
    ("time not a time", {"schedule": {"time": "next monday"}}, "schedule.time"),
    ("time missing", {"schedule": {"time": REMOVE}}, "schedule.time"),
    ("time in year 9999", {"schedule": {"time": "9999-12-31T23:59:59+00:00"}}, "schedule.time"),
    ("time in year 1", {"schedule": {"time": "0001-01-01T00:00:00"}}, "schedule.time"),
    ("one-off time passed", {"schedule": {"type": "once", "time": "2026-03-01T09:00:00+08:00"}}, "schedule.time"),
    ("zone unknown", {"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone"),
    ("zone a path", {"schedule": {"timezone": "../../etc/passwd"}}, "schedule.timezone"),
    ("recurring without interval", {"schedule": {"recurringInterval": REMOVE}}, "schedule.recurringInterval"),
    ("interval hourly", {"schedule": {"recurringInterval": "hourly"}}, "schedule.recurringInterval"),
    ("every 0 weeks", {"schedule": {"interval": 0}}, "schedule.interval"),
    ("every 'two' weeks", {"schedule": {"interval": "two"}}, "schedule.interval"),
    ("weekday 0", {"schedule": {"weekdays": [0]}}, "schedule.weekdays"),
    ("weekday 8", {"schedule": {"weekdays": [1, 8]}}, "schedule.weekdays"),
    ("month day 32", {"schedule": {"recurringInterval": "monthly", "monthDay": 32}}, "schedule.monthDay"),
    ("end before start", {"schedule": {"recurringEnd": "2026-03-01T00:00:00+08:00"}}, "schedule.recurringEnd"),
    ("end in year 9999", {"schedule": {"recurringEnd": "9999-12-31T23:59:59-12:00"}}, "schedule.recurringEnd"),
    ("end after 0 pushes", {"schedule": {"endAfter": 0}}, "schedule.endAfter"),
    ("unknown schedule field", {"schedule": {"every": "monday"}}, "schedule.every"),
    ("text 501 characters", {"content": {"text": "字" * 501}}, "content.text"),
    ("content a string", {"content": "hello"}, "content"),
    ("scheduled without content", {"content": {"text": REMOVE}}, "content"),
    ("mini program appid too long", {"content": {"miniprogram": {"appid": "a" * 65}}}, "content.miniprogram.appid"),
    ("unknown content kind", {"content": {"video": "v.mp4"}}, "content.video"),
    ("scheduled without groups", {"groups": []}, "groups"),
    ("groups a string", {"groups": "家长群000"}, "groups"),
    ("group id a number", {"groups": [1]}, "groups[0]"),
    ("101 groups", lambda w: {"groups": w.groups[:101]}, "groups"),
    ("a group twice", lambda w: {"groups": [w.groups[0], w.groups[0]]}, "groups"),
    ("a group that does not exist", {"groups": [NOWHERE]}, "groups"),
    ("a reviewer that does not exist", {"previewRecipients": [NOWHERE]}, "previewRecipients"),
    ("priority urgent", {"priority": "urgent"}, "priority"),
    ("created running", {"status": "running"}, "status"),
    ("created completed", {"status": "completed"}, "status"),
    ("unknown field", {"owner": "olga"}, "owner"),
    ("creator chosen by the caller", {"creatorId": NOWHERE}, "creatorId"),
]


@pytest.mark.parametrize(("patch", "field"), [c[1:] for c in BAD_CREATES], ids=[c[0] for c in BAD_CREATES])
def test_bad_task_bodies_are_400_naming_the_field(client: FlaskClient, world: World, patch: Patch, field: str) -> None:
    body = patched(task_body(world), patch(world) if callable(patch) else patch)
    response = client.post("/api/tasks", json=body, headers=world.olga.headers)
    assert response.status_code == 400, response.get_json()
    payload = response.get_json()
    ErrorOut.model_validate(payload)
    assert payload["error"] == "Invalid input"
    assert field in [d["field"] for d in payload["details"]]
    assert all(d["message"] for d in payload["details"])
    assert client.get("/api/tasks", headers=world.olga.headers).get_json()["total"] == 0


BAD_EDITS: list[tuple[str, str, Any, str]] = [
    ("name null", "PUT", {"name": None}, "name"),
    ("groups null", "PUT", {"groups": None}, "groups"),
    ("schedule time null", "PUT", {"schedule": {"time": None}}, "schedule.time"),
    ("schedule zone null", "PUT", {"schedule": {"timezone": None}}, "schedule.timezone"),
    ("status paused by edit", "PUT", {"status": "paused"}, "status"),
    ("task id not editable", "PUT", {"taskId": NOWHERE}, "taskId"),
    ("resume at not a time", "POST pause", {"resumeAt": "soon"}, "resumeAt"),
    ("resume at in year 9999", "POST pause", {"resumeAt": "9999-12-31T23:59:59-12:00"}, "resumeAt"),
    ("resume at in the past", "POST pause", {"resumeAt": "2026-03-01T00:00:00Z"}, "resumeAt"),
]


@pytest.mark.parametrize(("route", "body", "field"), [c[1:] for c in BAD_EDITS], ids=[c[0] for c in BAD_EDITS])
def test_bad_edits_are_400_and_change_nothing(
    client: FlaskClient, world: World, route: str, body: Any, field: str
) -> None:
    task_id = create_task(client, world.olga, task_body(world))
    before = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    if route == "PUT":
        response = client.put(f"/api/tasks/{task_id}", json=body, headers=world.olga.headers)
    else:
        response = client.post(f"/api/tasks/{task_id}/pause", json=body, headers=world.olga.headers)
    assert response.status_code == 400, response.get_json()
    assert [d["field"] for d in response.get_json()["details"]] == [field]
    assert client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json() == before


BAD_QUERIES = [
    ("status=archived", "status"),
    ("status=draft,archived", "status"),
    ("priority=urgent", "priority"),
    ("sort=color", "sort"),
    ("sort=-name,color", "sort"),
    ("startTime=yesterday", "startTime"),
    ("endTime=2026-13-01", "endTime"),
    ("endTime=9999-12-31T23:59:59-12:00", "endTime"),
    ("startTime=0001-01-01T00:00:00%2B14:00", "startTime"),
    ("foo=1", "foo"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_bad_list_queries_are_400_naming_the_parameter(
    client: FlaskClient, world: World, query: str, field: str
) -> None:
    for path in ("/api/tasks", "/api/tasks/export"):
        response = client.get(f"{path}?{query}", headers=world.victor.headers)
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.get_json()["error"] == "Invalid query"
        assert field in [d["field"] for d in response.get_json()["details"]]


# ---- messages ----------------------------------------------------------------------------------


def test_messages_are_chinese_by_default_and_english_on_request(client: FlaskClient, world: World) -> None:
    body = task_body(world, name="名" * 51, schedule={"type": "once", "time": "2026-03-01T09:00:00+08:00"})
    chinese = client.post("/api/tasks", json=body, headers=world.olga.headers).get_json()["details"]
    assert chinese == [
        {"field": "name", "message": "任务名称应为 1–50 个字（当前 51 个）"},
        {"field": "schedule.time", "message": "推送时间已过，请选择将来的时间"},
    ]
    english = client.post(
        "/api/tasks", json=body, headers={**world.olga.headers, "Accept-Language": "en-GB,en;q=0.8,zh;q=0.5"}
    ).get_json()["details"]
    assert english == [
        {"field": "name", "message": "Task name must be 1–50 characters (now 51)"},
        {"field": "schedule.time", "message": "The push time has passed; choose a time in the future"},
    ]


def test_an_unknown_zone_is_reported_on_the_zone_alone(client: FlaskClient, world: World) -> None:
    body = task_body(world, schedule={"type": "once", "time": "2026-04-01T10:00:00", "timezone": "Asia/Beijing"})
    details = client.post("/api/tasks", json=body, headers=world.olga.headers).get_json()["details"]
    assert details == [{"field": "schedule.timezone", "message": "未知时区，请使用 IANA 时区名，例如 Asia/Shanghai"}]


def test_query_messages_follow_the_language_too(client: FlaskClient, world: World) -> None:
    response = client.get("/api/tasks?limit=101", headers={**world.olga.headers, "Accept-Language": "en"})
    assert response.get_json()["details"] == [{"field": "limit", "message": "Must be between 1 and 100"}]


# ---- bodies that are not what they claim -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[]", "请求体应为 JSON 对象"),
        (b'"name"', "请求体应为 JSON 对象"),
        (b"42", "请求体应为 JSON 对象"),
        (b"null", "请求体应为 JSON 对象"),
        (b'{"name": "x",}', "请求体不是有效的 JSON，请检查格式"),
        (b"{'name': 'x'}", "请求体不是有效的 JSON，请检查格式"),
        (b'{"name": "\xff\xfe"}', "请求体不是有效的 JSON，请检查格式"),
        (b"[" * 100_000 + b"]" * 100_000, "请求体不是有效的 JSON，请检查格式"),
        (b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "请求体不是有效的 JSON，请检查格式"),
    ],
    ids=["array", "string", "number", "null", "trailing comma", "single quotes", "invalid utf-8", "deep", "deep field"],
)
def test_bodies_that_are_not_a_json_object_are_400(client: FlaskClient, world: World, raw: bytes, message: str) -> None:
    response = client.post("/api/tasks", data=raw, content_type="application/json", headers=world.olga.headers)
    assert response.status_code == 400
    assert response.get_json()["details"] == [{"field": "body", "message": message}]


def test_a_body_over_the_limit_is_413_with_the_limit_named(client: FlaskClient, world: World) -> None:
    body = json.dumps(task_body(world, content={"text": "字" * 100_000})).encode()
    assert len(body) > 256 * 1024
    response = client.post("/api/tasks", data=body, content_type="application/json", headers=world.olga.headers)
    assert response.status_code == 413
    assert response.get_json() == {"error": "Payload too large", "reason": "请求体过大（上限 262144 字节），请精简内容"}


def test_a_wrong_method_is_405_not_500(client: FlaskClient, world: World) -> None:
    response = client.patch("/api/tasks", json={}, headers=world.olga.headers)
    assert response.status_code == 405


# ---- text that must survive as written ---------------------------------------------------------


def test_an_emoji_counts_as_one_character_in_a_name(client: FlaskClient, world: World) -> None:
    family = "👨‍👩‍👧‍👦"  # one character on screen, seven code points
    name = family + "🎉" * 48 + "🇨🇳"
    task_id = create_task(client, world.olga, task_body(world, name=name))
    assert client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()["name"] == name
    response = client.post("/api/tasks", json=task_body(world, name=name + "!"), headers=world.olga.headers)
    assert response.status_code == 400
    assert response.get_json()["details"] == [{"field": "name", "message": "任务名称应为 1–50 个字（当前 51 个）"}]


def test_sql_looking_text_is_stored_and_searched_verbatim(client: FlaskClient, world: World) -> None:
    name = "'; DROP TABLE t_tasks; -- 周报"
    text = '" OR 1=1 -- \\ %_ 😀'
    task_id = create_task(client, world.olga, task_body(world, name=name, content={"text": text}))
    task = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert (task["name"], task["content"]["text"]) == (name, text)
    found = client.get("/api/tasks", query_string={"q": "'; DROP TABLE"}, headers=world.olga.headers).get_json()
    TaskListOut.model_validate(found)
    assert [t["taskId"] for t in found["tasks"]] == [task_id]
    assert client.get("/api/tasks", query_string={"q": "\\"}, headers=world.olga.headers).get_json()["total"] == 0


def test_emoji_survive_in_every_text_field(client: FlaskClient, world: World) -> None:
    # Four-byte UTF-8 everywhere a person types: MariaDB must store utf8mb4, not cut or refuse it.
    smile = "😀🇨🇳👨‍👩‍👧"
    group = client.post(
        "/api/groups",
        json={"name": f"三年二班{smile}", "channel": "wecom_robot", "channelRef": f"robot-{smile}"},
        headers=world.ada.headers,
    )
    assert group.status_code == 201, group.get_json()
    recipient = client.post(
        "/api/recipients",
        json={"name": f"周老师{smile}", "wechatId": f"zhou{smile}", "channel": "wecom", "channelUserId": f"Z{smile}"},
        headers=world.ada.headers,
    )
    assert recipient.status_code == 201, recipient.get_json()
    content = {
        "text": f"通知{smile}",
        "link": f"https://example.com/a?q={smile}",
        "miniprogram": {
            "appid": "wx1234567890abcdef",
            "pagePath": "pages/a/a",
            "title": f"报名{smile}",
            "thumbnail": "https://example.com/t.png",
        },
    }
    task_id = create_task(
        client, world.olga, task_body(world, name=f"任务{smile}", content=content, status="draft", groups=[])
    )
    task = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert (task["name"], task["content"]["text"]) == (f"任务{smile}", f"通知{smile}")
    assert (task["content"]["link"], task["content"]["miniprogram"]["title"]) == (content["link"], f"报名{smile}")
    groups = client.get("/api/groups", query_string={"q": "三年二班"}, headers=world.ada.headers).get_json()
    assert f"三年二班{smile}" in [g["name"] for g in groups["groups"]]
    people = client.get("/api/recipients", query_string={"q": f"zhou{smile}"}, headers=world.ada.headers).get_json()
    assert [(r["name"], r["wechatId"]) for r in people["recipients"]] == [(f"周老师{smile}", f"zhou{smile}")]
