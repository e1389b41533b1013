"""Feedback links on pushes, the public answer endpoint, and the report on known answers."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pushtask.models import Feedback, Group
from pushtask.notify import feedback_token
from tests.integration.conftest import World, create_task, task_body
from tests.integration.notify.conftest import Harness
from tests.support import FrozenClock

AT_11 = "2026-03-02T11:00:00+08:00"
TOKEN = re.compile(r"ptfb=([A-Za-z0-9_\-.]+)")
SHORT = re.compile(r"/l/([0-9A-Za-z]{12})")


def _push_with_feedback(client: FlaskClient, world: World, harness: Harness, db: Session) -> dict[str, str]:
    """Push a task with feedback on to three groups; return each group's token as the group received it."""
    body = task_body(
        world,
        schedule={"type": "once", "time": AT_11},
        content={"text": "本周六开放日", "link": "https://school.example/notice?id=7"},
        feedbackEnabled=True,
    )
    task_id = create_task(client, world.olga, body)
    assert client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()["feedbackEnabled"] is True
    harness.run(7200)
    tokens = {}
    for gid in body["groups"]:
        group = db.get(Group, gid)
        assert group is not None
        received = harness.texts(group.channel_ref)
        # The link is the group's short link (issue 19): it leads to the page with the group's token.
        for code in {c for text in received for c in SHORT.findall(text)}:
            received.append(client.get(f"/l/{code}", headers={"User-Agent": "pytest"}).headers["Location"])
        found = {m for text in received for m in TOKEN.findall(text)}
        assert len(found) == 1, (group.channel, harness.texts(group.channel_ref))
        tokens[gid] = found.pop()
    assert len(set(tokens.values())) == 3  # one token per group
    return tokens


def _answer(client: FlaskClient, token: str, member: str, rating: int | None = None, content: str = "") -> object:
    return client.post(
        "/api/feedback",
        json={"token": token, "memberId": member, "rating": rating, "content": content},
        environ_base={"REMOTE_ADDR": f"10.0.{len(member)}.{sum(map(ord, member)) % 250}"},
    )


def test_each_group_gets_its_own_signed_link_and_an_answer_is_stored_once(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    tokens = _push_with_feedback(client, world, harness, db)
    token = tokens[world.groups[0]]
    first = client.post("/api/feedback", json={"token": token, "memberId": "wx_amy", "rating": 5, "content": "很好"})
    assert first.status_code == 200 and first.get_json()["duplicate"] is False
    again = client.post("/api/feedback", json={"token": token, "memberId": "wx_amy", "rating": 1, "content": "再来"})
    assert again.status_code == 200
    assert again.get_json() == {**first.get_json(), "duplicate": True}
    assert db.scalar(select(func.count()).select_from(Feedback)) == 1
    listing = client.get(
        "/api/feedback", query_string={"taskId": db.scalar(select(Feedback.task_id))}, headers=world.victor.headers
    ).get_json()
    assert listing["total"] == 1
    (item,) = listing["feedback"]
    assert item["userId"] == "wx_amy" and item["content"] == "很好" and item["timestamp"].endswith("Z")
    assert client.get("/api/feedback", headers=world.otto.headers).get_json()["total"] == 0


def test_bad_forged_or_expired_tokens_are_refused_with_401(
    client: FlaskClient, world: World, harness: Harness, db: Session, clock: FrozenClock
) -> None:
    token = _push_with_feedback(client, world, harness, db)[world.groups[0]]
    body, _, mac = token.partition(".")
    other = feedback_token.sign("x" * 40, "t", world.groups[0], "p", clock() + timedelta(days=1))
    for bad in ("not-a-token-at-all", f"{body}.{mac[::-1]}", other):
        answer = client.post("/api/feedback", json={"token": bad, "memberId": "wx_amy", "content": "hi"})
        assert answer.status_code == 401, bad
        assert "反馈链接无效" in answer.get_json()["reason"]
    clock.advance(days=8)  # links live 7 days after the push
    expired = client.post("/api/feedback", json={"token": token, "memberId": "wx_amy", "content": "hi"})
    assert expired.status_code == 401
    assert db.scalar(select(func.count()).select_from(Feedback)) == 0


def test_oversized_answers_get_413_and_floods_get_429(client: FlaskClient, world: World) -> None:
    huge = client.post(
        "/api/feedback", json={"token": "t" * 20, "memberId": "m", "content": "长" * 3000}
    )  # 9,000 bytes: over the 8 KB cap
    assert huge.status_code == 413
    codes = [
        client.post("/api/feedback", json={"token": "t" * 20, "memberId": "m", "content": "x"}).status_code
        for _ in range(21)
    ]
    assert codes[:20] == [401] * 20  # admitted (and refused for the token) up to the limit
    assert codes[20] == 429
    flood = client.post("/api/feedback", json={"token": "t" * 20, "memberId": "m"})
    assert flood.status_code == 429 and int(flood.headers["Retry-After"]) >= 1
    assert flood.get_json()["error"] == "Rate limit exceeded"


def test_report_counts_reach_ratings_and_common_opinions(
    client: FlaskClient, world: World, harness: Harness, db: Session
) -> None:
    tokens = _push_with_feedback(client, world, harness, db)
    g0, g1, g2 = world.groups[:3]
    answers = [
        (g0, "m1", 5, "课程安排很好，希望增加课后辅导"),
        (g0, "m2", 4, "希望增加课后辅导时间"),
        (g0, "m3", 5, "活动时间太早了"),
        (g1, "m4", 2, "活动时间太早了，希望推迟"),
        (g1, "m5", None, ""),
    ]
    for gid, member, rating, text in answers:
        assert _answer(client, tokens[gid], member, rating, text).status_code == 200  # type: ignore[attr-defined]
    report = client.get("/api/reports/feedback", headers=world.victor.headers).get_json()
    members = {gid: db.get(Group, gid).member_count for gid in (g0, g1, g2)}  # type: ignore[union-attr]
    reached = sum(members.values())  # 40 + 41 + 42
    assert report["pushes"] == 1 and report["deliveries"] == 3 and report["membersReached"] == reached == 123
    assert report["responses"] == 5 and report["responsesPerPush"] == 5.0
    assert report["interactionRate"] == round(5 / 123, 4)
    assert report["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}
    assert report["averageRating"] == 4.0
    by_group = {g["groupId"]: g for g in report["byGroup"]}
    assert by_group[g0]["responses"] == 3 and by_group[g0]["interactionRate"] == round(3 / members[g0], 4)
    assert by_group[g2]["responses"] == 0
    assert report["overTime"] == [{"date": "2026-03-02", "deliveries": 3, "responses": 5}]
    words = {w["text"]: w for w in report["opinions"]["words"]}
    assert words["增加"]["count"] == 2 and words["辅导"]["count"] == 2 and words["太早"]["count"] == 2
    assert "希望" not in words and "了" not in words  # stop words
    phrases = {p["text"]: p["count"] for p in report["opinions"]["phrases"]}
    assert phrases["增加课后"] == 2 and phrases["活动时间"] == 2
    assert words["太早"]["examples"] == ["活动时间太早了", "活动时间太早了，希望推迟"]
    exported = client.get("/api/reports/feedback?format=csv", headers=world.victor.headers)
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["groupId", "groupName", "deliveries"]
    assert rows[-1][:5] == ["ALL", "合计", "3", "123", "5"]
    only_g1 = client.get("/api/reports/feedback", query_string={"groupId": g1}, headers=world.victor.headers)
    assert only_g1.get_json()["responses"] == 2
    bad = client.get("/api/reports/feedback?startTime=yesterday", headers=world.victor.headers)
    assert bad.status_code == 400 and bad.get_json()["details"][0]["field"] == "startTime"
