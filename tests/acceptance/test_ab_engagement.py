"""Issue 19's acceptance test: an A/B task to six groups, pushed now, clicked and answered, then reported.

Everything over real HTTP against `pushtask serve` and its WeChat sandbox: the sandbox shows each group
one variant with its own short link; members open it through `POST /_sandbox/click` (a phone's user
agent, repeats included), a bot fetches it too, members answer the feedback; the engagement report's
figures equal the counts this script expects, per group and per variant.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.acceptance.conftest import ADMIN_PASSWORD, Server, free_port, start_serve

pytestmark = pytest.mark.acceptance

A = {"text": "版本A：周六开放日，欢迎报名", "link": "https://school.example.com/open-day?from=a"}
B = {"text": "版本B：名额有限！周六开放日", "link": "https://school.example.com/open-day?from=b"}
LINKS = {"A": A["link"], "B": B["link"]}
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

# Per group (by position): members' clicks (member → how many times), bot fetches, and answers
# (member, rating or None, text). A member answering twice is stored once.
CLICKS: list[dict[str, int]] = [
    {"m1": 2, "m2": 1},
    {"m1": 1},
    {},
    {"m1": 3, "m2": 1, "m3": 1},
    {"m1": 1, "m2": 2},
    {"m1": 1},
]
BOTS = [1, 0, 2, 0, 1, 0]
ANSWERS: list[list[tuple[str, int | None, str]]] = [
    [("a1", 5, "时间合适"), ("a2", 4, "希望多开一场"), ("a1", 1, "重复提交不算")],
    [],
    [("a1", 3, "还行")],
    [("a1", 5, "很好")],
    [],
    [("a1", 2, "太早了"), ("a2", None, "没有评分")],
]
SHORT = re.compile(r"https?://[^\s'\"/]+/l/[0-9A-Za-z]{8,}")


@pytest.fixture
def live(tmp_path: Path) -> Any:
    port = free_port()
    server = start_serve(tmp_path / "data", env={"PUSHTASK_PUBLIC_URL": f"http://127.0.0.1:{port}"}, port=port)
    yield server
    server.stop()


def _login(url: str) -> dict[str, str]:
    answer = requests.post(f"{url}/api/auth/login", json={"wechatId": "admin", "password": ADMIN_PASSWORD}, timeout=10)
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _wait(condition: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)  # a real server's worker: poll its answer
    raise AssertionError(f"not in {timeout} s: {what}")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def test_two_variants_to_six_groups_are_reported_exactly_per_group_and_per_variant(live: Server) -> None:
    url = live.url
    headers = _login(url)
    sandbox = requests.get(f"{url}/api/health", timeout=10).json()["sandbox"]["url"]
    listed = requests.get(f"{url}/api/groups", params={"limit": 50}, headers=headers, timeout=10).json()["groups"]
    groups = [g for g in listed if g["channel"] != "wecom_customer_group"][:6]
    assert len(groups) == 6
    members = {g["groupId"]: g["memberCount"] for g in groups}

    body = {
        "name": "开放日 A/B",
        "schedule": {"type": "once", "time": "2031-03-01T10:00:00+08:00"},
        "variants": [{"key": "A", "content": A}, {"key": "B", "content": B}],
        "groups": [g["groupId"] for g in groups],
        "status": "scheduled",
        "feedbackEnabled": True,
    }
    created = requests.post(f"{url}/api/tasks", json=body, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    task_id = created.json()["taskId"]
    split = requests.get(f"{url}/api/tasks/{task_id}", headers=headers, timeout=10).json()["variantGroups"]
    variant_of = {gid: key for key, gids in split.items() for gid in gids}
    assert sorted(variant_of) == sorted(members) and len(split["A"]) == len(split["B"]) == 3

    pushed = requests.post(f"{url}/api/push", json={"taskId": task_id}, headers=headers, timeout=10)
    assert pushed.status_code in (200, 201, 202), pushed.text
    push_id = pushed.json()["pushId"]
    _wait(
        lambda: requests.get(f"{url}/api/push/{push_id}", headers=headers, timeout=10).json()["status"] == "completed",
        "the push completes",
    )

    # The sandbox: each group received its own variant, with its own short link.
    short: dict[str, str] = {}
    for group in groups:
        received = requests.get(f"{sandbox}/_sandbox/messages", params={"target": group["name"]}, timeout=10)
        text = str(received.json()["messages"])
        mine, other = (A, B) if variant_of[group["groupId"]] == "A" else (B, A)
        assert mine["text"] in text and other["text"] not in text, group["name"]
        assert A["link"] not in text and B["link"] not in text  # only the short link is sent
        links = set(SHORT.findall(text))
        assert len(links) == 1, (group["name"], text)
        short[group["groupId"]] = links.pop()
    assert len(set(short.values())) == 6

    # Members open their group's link as a phone does; a bot fetches it too; members answer.
    expected: dict[str, dict[str, Any]] = {}
    for i, group in enumerate(groups):
        gid = group["groupId"]
        token = ""
        for member, times in CLICKS[i].items():
            for _ in range(times):
                opened = requests.post(
                    f"{sandbox}/_sandbox/click",
                    json={"group": group["name"], "member": f"{gid[:6]}-{member}", "url": short[gid]},
                    timeout=10,
                )
                assert opened.status_code == 200, opened.text
                answer = opened.json()
                assert answer["status"] == 302
                # The short link leads to the group's own variant (and carries its feedback token).
                assert answer["location"].startswith(LINKS[variant_of[gid]]), answer
                token = parse_qs(urlsplit(answer["location"]).query)["ptfb"][0]
        for _ in range(BOTS[i]):
            fetched = requests.get(short[gid], headers={"User-Agent": BOT}, allow_redirects=False, timeout=10)
            assert fetched.status_code == 302 and fetched.headers["Location"].startswith(LINKS[variant_of[gid]])
            token = token or parse_qs(urlsplit(fetched.headers["Location"]).query)["ptfb"][0]
        if ANSWERS[i] and not token:
            fetched = requests.get(short[gid], headers={"User-Agent": BOT}, allow_redirects=False, timeout=10)
            token = parse_qs(urlsplit(fetched.headers["Location"]).query)["ptfb"][0]
        seen: set[str] = set()
        ratings: list[int] = []
        for member, rating, text in ANSWERS[i]:
            sent = requests.post(
                f"{url}/api/feedback",
                json={"token": token, "memberId": f"{gid[:6]}-{member}", "content": text}
                | ({"rating": rating} if rating is not None else {}),
                timeout=10,
            )
            assert sent.status_code in (200, 201), sent.text
            assert sent.json()["duplicate"] is (member in seen)
            if member not in seen and rating is not None:
                ratings.append(rating)
            seen.add(member)
        unique = len(CLICKS[i])
        expected[gid] = {
            "variant": variant_of[gid],
            "membersReached": members[gid],
            "clicks": sum(CLICKS[i].values()),
            "uniqueClickers": unique,
            "answers": len(seen),
            "averageRating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "interactors": unique + len(seen),  # web-link clickers and answerers are not known to be the same
            "interactionRate": _rate(unique + len(seen), members[gid]),
            "_rated": ratings,
        }

    report = requests.get(f"{url}/api/reports/engagement", params={"taskId": task_id}, headers=headers, timeout=10)
    assert report.status_code == 200, report.text
    data = report.json()
    figures = ("variant", "membersReached", "clicks", "uniqueClickers", "answers", "averageRating", "interactors")
    rows = {r["groupId"]: r for r in data["rows"]}
    assert sorted(rows) == sorted(expected)
    for gid, want in expected.items():
        got = rows[gid]
        assert {k: got[k] for k in figures} == {k: want[k] for k in figures}, gid
        assert got["interactionRate"] == want["interactionRate"]
        assert got["pushId"] == push_id

    by_variant: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    rated: dict[str, list[int]] = defaultdict(list)
    for want in expected.values():
        v = by_variant[want["variant"]]
        for key in ("membersReached", "clicks", "uniqueClickers", "answers", "interactors"):
            v[key] += want[key]
        v["groups"] += 1
        rated[want["variant"]] += want["_rated"]
    variants = {v["variant"]: v for v in data["variants"]}
    assert sorted(variants) == ["A", "B"]
    for key, want in by_variant.items():
        got = variants[key]
        for name in ("groups", "membersReached", "clicks", "uniqueClickers", "answers", "interactors"):
            assert got[name] == want[name], (key, name)
        ratings = rated[key]
        assert got["averageRating"] == (round(sum(ratings) / len(ratings), 2) if ratings else None)
        assert got["interactionRate"] == _rate(want["interactors"], want["membersReached"])
        assert got["interval"] is None or got["interval"]["low"] <= got["interactionRate"] <= got["interval"]["high"]
    assert data["totals"]["clicks"] == sum(sum(c.values()) for c in CLICKS)
    assert data["totals"]["groups"] == 6 and data["totals"]["pushes"] == 1
    # Six groups of a few dozen members: the comparison says plainly whether there is enough data.
    assert isinstance(data["comparison"]["enoughData"], bool) and data["comparison"]["verdict"]

    # 采用胜出版本: the better variant becomes the task's one content.
    best = max(variants.values(), key=lambda v: v["interactionRate"])["variant"]
    adopted = requests.post(f"{url}/api/tasks/{task_id}/variants/{best}/adopt", headers=headers, timeout=10)
    assert adopted.status_code == 200, adopted.text
    detail = requests.get(f"{url}/api/tasks/{task_id}", headers=headers, timeout=10).json()
    assert "variants" not in detail and detail["content"]["link"] == LINKS[best]
