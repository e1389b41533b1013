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
