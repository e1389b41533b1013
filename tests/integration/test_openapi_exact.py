"""The OpenAPI document says exactly what the API accepts (the fuzz run checks it broadly; these pin the findings)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from pushtask.api.openapi import build_openapi
from tests.integration.conftest import World

DOC = build_openapi()


def _op(path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = DOC["paths"][path][method]
    return op


def _param(path: str, method: str, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = next(p for p in _op(path, method)["parameters"] if p["name"] == name)["schema"]
    return schema


def _props(model: str) -> dict[str, Any]:
    props: dict[str, Any] = DOC["components"]["schemas"][model]["properties"]
    return props


def test_integer_valued_floats_are_integers(client: FlaskClient, world: World) -> None:
    body = {"name": "四年级", "channel": "wecom_robot", "channelRef": "robot-130", "memberCount": 130.0}
    answer = client.post("/api/groups", json=body, headers=world.ada.headers)
    assert answer.status_code == 201, answer.get_json()
    refused = client.post(
        "/api/groups", json={**body, "channelRef": "r2", "memberCount": 130.5}, headers=world.ada.headers
    )
    assert refused.status_code == 400


def test_every_page_parameter_declares_the_maximum_it_enforces() -> None:
    pages = [
        p["schema"]
        for item in DOC["paths"].values()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["name"] == "page"
    ]
    assert pages and all(s.get("maximum") == 1_000_000 for s in pages)


def test_put_task_fields_that_refuse_null_are_not_declared_nullable() -> None:
    props = _props("TaskUpdate")
    for name in ("name", "schedule", "groups"):
        assert "anyOf" not in props[name] and props[name].get("type") != "null", (name, props[name])


def test_list_filters_declare_their_choices_and_the_date_range() -> None:
    status = re.compile(_param("/api/tasks", "get", "status")["pattern"])
    assert status.match("draft,scheduled") and not status.match("drafted")
    priority = re.compile(_param("/api/tasks", "get", "priority")["pattern"])
    assert priority.match("high") and not priority.match("urgent")
    start = re.compile(_param("/api/tasks", "get", "startTime")["pattern"])
    assert start.match("1970-01-01T00:00:00Z") and start.match("2199-12-31T00:00:00Z")
    assert not start.match("1969-12-31T00:00:00Z") and not start.match("2200-01-01T00:00:00Z")


def test_names_lists_uploads_and_conflicts_are_declared() -> None:
    assert "pattern" in _props("TaskCreate")["name"]  # not empty, not only spaces, no control characters
    assert _props("TaskCreate")["groups"]["uniqueItems"] is True
    assert _props("NotificationSettingsIn")["channels"]["uniqueItems"] is True
    upload = _op("/api/media", "post")["requestBody"]
    assert upload["required"] is True and "file" in upload["content"]["multipart/form-data"]["schema"]["required"]
    for path in ("/api/groups", "/api/recipients"):
        assert "409" in _op(path, "post")["responses"], path


def test_a_recurring_schedule_declares_its_frequency_and_where_weekdays_and_month_days_belong() -> None:
    import jsonschema_rs  # schemathesis's own validator

    schedule = jsonschema_rs.Draft202012Validator(DOC["components"]["schemas"]["ScheduleIn"])
    at = "2026-03-02T09:00:00+08:00"
    assert schedule.is_valid({"type": "once", "time": at})
    assert schedule.is_valid({"type": "once", "time": at, "weekdays": [9]})  # ignored on a one-off
    assert not schedule.is_valid({"type": "recurring", "time": at})
    assert not schedule.is_valid({"type": "recurring", "time": at, "recurringInterval": None})
    assert schedule.is_valid({"type": "recurring", "time": at, "recurringInterval": "weekly", "weekdays": [1, 7]})
    assert not schedule.is_valid({"type": "recurring", "time": at, "recurringInterval": "daily", "weekdays": [1]})
    assert not schedule.is_valid({"type": "recurring", "time": at, "recurringInterval": "weekly", "weekdays": [8]})
    assert not schedule.is_valid({"type": "recurring", "time": at, "recurringInterval": "daily", "monthDay": 3})


def test_content_rules_sit_where_tools_read_them_and_validate_reports_a_bad_link_instead_of_refusing_it(
    client: FlaskClient, world: World
) -> None:
    template = DOC["components"]["schemas"]["TemplateIn"]
    assert set(template["properties"]["content"]) == {"$ref"}  # no keywords beside a $ref
    [rule] = template["allOf"]
    assert rule["properties"]["content"]["anyOf"][2]["properties"]["link"]["minLength"] == 1
    assert "pattern" in _props("ContentIn")["link"] and "pattern" not in _props("ContentToCheck")["link"]
    answer = client.post("/api/preview/validate", json={"content": {"link": "ftp://x"}}, headers=world.olga.headers)
    assert answer.status_code == 200 and answer.get_json()["validation"]["isValid"] is False
    url = re.compile(DOC["components"]["schemas"]["MiniProgramIn"]["properties"]["thumbnail"]["pattern"])
    assert url.match("https://a.example.com:8443/x.png") and not url.match("https://a..b/x.png")
    assert not url.match("https://[x/y.png")
