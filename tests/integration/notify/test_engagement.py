"""Tracked links and the engagement report: each group's short link, what a click counts, exact figures."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from pushtask.models import Group, LinkClick, TrackedLink
from tests.integration.conftest import World, create_task, task_body
from tests.integration.notify.conftest import Harness

AT_11 = "2026-03-02T11:00:00+08:00"
ORIGINAL = "https://school.example/notice?id=7"
SHORT = re.compile(r"https?://[^/\s'\"]+/l/([0-9A-Za-z]{12})")
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
    " MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


def _push(client: FlaskClient, world: World, harness: Harness, db: Session, **extra: Any) -> tuple[str, dict[str, str]]:
    """Push a task with a link to three groups; return the task id and each group's code as received."""
    extra.setdefault("schedule", {"type": "once", "time": AT_11})
    body = task_body(world, content={"text": "本周六开放日", "link": ORIGINAL}, **extra)
    task_id = create_task(client, world.olga, body)
    harness.run(7200)
    codes = {}
    for gid in body["groups"]:
        group = db.get(Group, gid)
        assert group is not None
        found = {m for text in harness.texts(group.channel_ref) for m in SHORT.findall(text)}
        assert len(found) <= 1, harness.texts(group.channel_ref)
        if found:
            codes[gid] = found.pop()
    return task_id, codes


def _click(client: FlaskClient, code: str, ua: str = PHONE, addr: str = "10.1.2.3", **kw: Any) -> Any:
    return client.get(
        f"/l/{code}", headers={"User-Agent": ua, **kw.pop("headers", {})}, environ_base={"REMOTE_ADDR": addr}, **kw
    )


def test_each_group_receives_its_own_short_link_that_leads_only_to_the_stored_url(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    _task, codes = _push(client, world, harness, db)
    assert len(codes) == 3 and len(set(codes.values())) == 3
    code = codes[world.groups[0]]
    attempts = [
        {},
        {"headers": {"Host": "evil.example"}},
        {"headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-For": "1.2.3.4"}},
        {"headers": {"Referer": "https://evil.example/"}},
        {"query_string": {"url": "https://evil.example", "next": "//evil.example", "redirect": "https://evil.example"}},
    ]
    for extra in attempts:
        answer = _click(client, code, **extra)
        assert answer.status_code == 302, extra
        assert answer.headers["Location"] == ORIGINAL, extra
    for path in (
        f"/l/{code}/https://evil.example",
        f"/l/{code}%2F%2Fevil.example",
        f"/l/{code}/..%2F..%2Fevil",
        f"/l//{code}",
    ):
        answer = client.get(path, headers={"User-Agent": PHONE})
        # Not a short link (the admin's page, or not found): never a redirect elsewhere.
        assert answer.status_code != 302 and "evil" not in answer.headers.get("Location", ""), path
        answer.close()  # the admin's page is a file response


def test_unknown_codes_are_404(client: FlaskClient, world: World, harness: Harness, db: Session) -> None:
    _push(client, world, harness, db)
    for code in ("AAAAAAAAAAAA", "short", "0" * 40, "AAAAAAAA%00AA", "%00%00"):
        assert _click(client, code).status_code == 404, code
    assert client.post("/api/links/AAAAAAAAAAAA/open", json={}).status_code == 404
    assert db.scalar(select(func.count()).select_from(LinkClick)) == 0


def test_turning_tracking_off_sends_the_original_links(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    off = client.put("/api/settings/links", json={"tracking": False}, headers=world.ada.headers)
    assert off.status_code == 200 and off.get_json() == {"tracking": False}
    assert client.get("/api/settings/links", headers=world.victor.headers).get_json() == {"tracking": False}
    assert client.put("/api/settings/links", json={"tracking": True}, headers=world.olga.headers).status_code == 403
    _task, codes = _push(client, world, harness, db)
    assert codes == {}
    group = db.get(Group, world.groups[0])
    assert group is not None and any(ORIGINAL in t for t in harness.texts(group.channel_ref))
    assert db.scalar(select(func.count()).select_from(TrackedLink)) == 0


def test_bots_and_link_previews_are_redirected_but_not_counted(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    _task, codes = _push(client, world, harness, db)
    code = codes[world.groups[0]]
    for ua in (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "TelegramBot (like TwitterBot)",
        "python-requests/2.32.3",
        "",
    ):
        answer = _click(client, code, ua=ua)
        assert answer.status_code == 302 and answer.headers["Location"] == ORIGINAL
    head = client.head(f"/l/{code}", headers={"User-Agent": PHONE})
    assert head.status_code == 302 and head.headers["Location"] == ORIGINAL
    assert db.scalar(select(func.count()).select_from(LinkClick)) == 0
    assert _click(client, code).status_code == 302
    assert db.scalar(select(func.count()).select_from(LinkClick)) == 1


def test_short_links_are_rate_limited_per_address(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    _task, codes = _push(client, world, harness, db)
    code = codes[world.groups[0]]
    for _ in range(120):
        assert _click(client, code, addr="10.9.9.9").status_code == 302
    refused = _click(client, code, addr="10.9.9.9")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert _click(client, code, addr="10.9.9.10").status_code == 302


def _answer(client: FlaskClient, db: Session, task_id: str, group_id: str, member: str, rating: int, text: str) -> None:
    from pushtask.notify import feedback_token

    link = db.scalars(
        select(TrackedLink).where(
            TrackedLink.task_id == task_id, TrackedLink.group_id == group_id, TrackedLink.kind == "link"
        )
    ).one()
    location = _click(client, link.code, addr="10.200.0.1", ua="python-requests/2").headers["Location"]
    token = dict(re.findall(r"([a-z]+)=([^&]+)", location.split("?", 1)[1]))[feedback_token.PARAM]
    answer = client.post(
        "/api/feedback",
        json={"token": token, "memberId": member, "rating": rating, "content": text},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert answer.status_code == 200, answer.get_json()


def test_report_counts_scripted_clicks_and_answers_exactly_and_survives_deleting_the_task(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    daily = {"type": "recurring", "time": AT_11, "recurringInterval": "daily", "timezone": "Asia/Shanghai"}
    task_id, codes = _push(client, world, harness, db, feedbackEnabled=True, schedule=daily)
    g0, g1, g2 = world.groups[:3]
    # Group 0: one phone clicks three times, another once; a bot once (not counted).
    for _ in range(3):
        _click(client, codes[g0], addr="10.0.0.1")
    _click(client, codes[g0], addr="10.0.0.2")
    _click(client, codes[g0], ua="Googlebot/2.1")
    # Group 1: one click. Group 2: nothing clicked; two members answer.
    _click(client, codes[g1], addr="10.0.0.3")
    _answer(client, db, task_id, g2, "wx_amy", 5, "开放日安排很好")
    _answer(client, db, task_id, g2, "wx_bob", 3, "开放日时间太早")
    db.expire_all()
    report = client.get("/api/reports/engagement", query_string={"taskId": task_id}, headers=world.victor.headers)
    assert report.status_code == 200, report.get_json()
    data = report.get_json()
    members = {g: 40 + world.groups.index(g) for g in (g0, g1, g2)}
    by_group = {r["groupId"]: r for r in data["rows"]}
    assert {g: (r["clicks"], r["uniqueClickers"], r["answers"], r["interactors"]) for g, r in by_group.items()} == {
        g0: (4, 2, 0, 2),
        g1: (1, 1, 0, 1),
        g2: (0, 0, 2, 2),
    }
    assert by_group[g0]["interactionRate"] == round(2 / members[g0], 4)
    assert by_group[g2]["averageRating"] == 4.0 and by_group[g0]["averageRating"] is None
    assert {
        k: data["totals"][k] for k in ("pushes", "groups", "clicks", "uniqueClickers", "answers", "interactors")
    } == {
        "pushes": 1,
        "groups": 3,
        "clicks": 5,
        "uniqueClickers": 3,
        "answers": 2,
        "interactors": 5,
    }
    assert data["totals"]["membersReached"] == sum(members.values())
    assert data["totals"]["interactionRate"] == round(5 / sum(members.values()), 4)
    assert "互动率" in data["definition"]["interactionRate"]
    assert [v["variant"] for v in data["variants"]] == [None]
    assert data["comparison"]["test"] is None and data["comparison"]["enoughData"] is False
    assert sum(d["clicks"] for d in data["overTime"]) == 5 and sum(d["answers"] for d in data["overTime"]) == 2
    assert data["ratings"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert any(w["text"] == "开放日" and w["count"] == 2 for w in data["opinions"]["words"])

    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    deleted = client.delete(f"/api/tasks/{task_id}", headers=world.olga.headers)
    assert deleted.status_code in (200, 204), deleted.get_json()
    after = client.get("/api/reports/engagement", query_string={"taskId": task_id}, headers=world.victor.headers)
    kept = after.get_json()
    assert kept["totals"] == data["totals"] and kept["pushes"][0]["taskDeleted"] is True
    csv_text = client.get(
        "/api/reports/engagement", query_string={"taskId": task_id, "format": "csv"}, headers=world.victor.headers
    ).get_data(as_text=True)
    assert csv_text.count("\n") == 5 and "合计" in csv_text
    # Another organisation sees none of it.
    other = client.get("/api/reports/engagement", headers=world.otto.headers).get_json()
    assert other["totals"]["pushes"] == 0 and other["rows"] == [] and other["overTime"] == []


@pytest.mark.parametrize("query", [{"from": "2026-13-01"}, {"to": "yesterday"}, {"format": "xml"}, {"colour": "red"}])
def test_report_refuses_bad_queries_with_a_field_message(
    client: FlaskClient, world: World, query: dict[str, str]
) -> None:
    answer = client.get("/api/reports/engagement", query_string=query, headers=world.victor.headers)
    assert answer.status_code == 400 and answer.get_json()["details"][0]["field"] in query


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real port, so the sandbox's members can open its short links over HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _sandbox_click(harness: Harness, **body: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 — the local sandbox
        f"{harness.sandbox.url}/_sandbox/click",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 — the local sandbox
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_sandbox_members_open_the_link_they_received_and_the_report_counts_them(
    client: FlaskClient, world: World, harness: Harness, db: Session, served: str
) -> None:
    harness.settings = dataclasses.replace(harness.settings, public_url=served)
    task_id, codes = _push(client, world, harness, db)
    group = db.get(Group, world.groups[0])
    assert group is not None
    link = f"{served}/l/{codes[group.id]}"
    for member in ("m-amy", "m-amy", "m-bob"):
        status, answer = _sandbox_click(harness, group=group.name, member=member, url=link)
        assert (status, answer["status"], answer["location"]) == (200, 302, ORIGINAL), answer
    other = f"{served}/l/{codes[world.groups[1]]}"
    status, answer = _sandbox_click(harness, group=group.channel_ref, member="m-amy", url=other)
    assert status == 400 and "没有收到过这个链接" in answer["error"]
    status, answer = _sandbox_click(harness, group=group.name, member="m-amy")
    assert status == 400 and "group" in answer["error"]
    db.expire_all()
    report = client.get("/api/reports/engagement", query_string={"taskId": task_id}, headers=world.victor.headers)
    row = next(r for r in report.get_json()["rows"] if r["groupId"] == group.id)
    assert (row["clicks"], row["uniqueClickers"], row["interactors"]) == (3, 2, 2)


def test_a_mini_program_open_and_the_same_members_answer_count_as_one_person(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    daily = {"type": "recurring", "time": AT_11, "recurringInterval": "daily", "timezone": "Asia/Shanghai"}
    task_id, _codes = _push(client, world, harness, db, feedbackEnabled=True, schedule=daily)
    g2 = world.groups[2]
    link = db.scalars(select(TrackedLink).where(TrackedLink.task_id == task_id, TrackedLink.group_id == g2)).one()
    mini = TrackedLink(**{**{c: getattr(link, c) for c in ("org_id", "task_id", "push_id", "group_id", "variant")}})
    mini.code, mini.kind, mini.url, mini.created_at = "MiniCode0001", "mini", "pages/feedback/feedback", link.created_at
    db.add(mini)
    db.commit()
    bot = client.post("/api/links/MiniCode0001/open", json={}, headers={"User-Agent": "Googlebot/2.1"})
    assert bot.status_code == 200 and bot.get_json() == {"counted": False}
    opened = client.post("/api/links/MiniCode0001/open", json={"memberId": "wx_amy"}, headers={"User-Agent": PHONE})
    assert opened.status_code == 200 and opened.get_json() == {"counted": True}
    assert client.get(f"/l/{mini.code}", headers={"User-Agent": PHONE}).status_code == 404  # not a web link
    assert client.post(f"/api/links/{link.code}/open", json={}).status_code == 404  # not a mini-program code
    bad = client.post("/api/links/MiniCode0001/open", json={"memberId": ""})
    assert bad.status_code == 400 and bad.get_json()["details"][0]["field"] == "memberId"
    _answer(client, db, task_id, g2, "wx_amy", 4, "好")
    db.expire_all()
    data = client.get("/api/reports/engagement", query_string={"groupId": g2}, headers=world.victor.headers).get_json()
    (row,) = data["rows"]
    assert (row["clicks"], row["uniqueClickers"], row["answers"], row["interactors"]) == (1, 1, 1, 1)
