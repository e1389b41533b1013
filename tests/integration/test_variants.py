"""A/B variants through the API and the real sandbox (issue 19): create, split, push, preview gate, adopt."""

from __future__ import annotations

import asyncio
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Delivery
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle
from pushtask.schemas import AdoptOut, PreviewSent, TaskCreated, TaskDetailOut, TaskListOut, TaskLogListOut
from pushtask.wiring import build_sender
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration.conftest import World, create_task, task_body
from tests.integration.test_previews import approval, sandbox, sandbox_server, served  # noqa: F401 — fixtures
from tests.support import FrozenClock

A = {"text": "版本A：本周六开放日，欢迎报名", "link": "https://school.example.com/open-day?from=a"}
B = {"text": "版本B：名额有限！本周六开放日", "link": "https://school.example.com/open-day?from=b"}


def ab_body(world: World, **overrides: Any) -> dict[str, Any]:
    body = task_body(world, **{"groups": world.groups[:6], **overrides})
    body.pop("content", None)
    body.setdefault("variants", [{"key": "A", "content": A}, {"key": "B", "content": B}])
    return body


def detail(client: FlaskClient, world: World, task_id: str) -> dict[str, Any]:
    response = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    TaskDetailOut.model_validate(body)
    return body


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.get_json()
    return {d["field"]: d["message"] for d in response.get_json()["details"]}


def push_due(sessions: sessionmaker[Session], clock: FrozenClock, url: str, tmp_path: Any, seconds: float) -> None:
    async def run() -> None:
        sender = build_sender(Settings(data_dir=tmp_path), url)
        worker = Worker(sessions, sender, clock, config=WorkerConfig(concurrency=4, high_reserved=1))
        try:
            clock.advance(seconds=seconds)
            for _ in range(20):  # a channel's own rate limit may leave a group for the next step
                await worker.step()
                with sessions() as db:
                    if not db.scalar(select(Delivery.id).where(Delivery.state.in_(("pending", "sending")))):
                        return
                clock.advance(seconds=1)
        finally:
            await sender.close()

    asyncio.run(run())


# ---- create, read, edit ------------------------------------------------------------------------


def test_a_task_with_two_variants_shows_both_and_the_split_of_its_groups(client: FlaskClient, world: World) -> None:
    response = client.post("/api/tasks", json=ab_body(world), headers=world.olga.headers)
    assert response.status_code == 201, response.get_json()
    TaskCreated.model_validate(response.get_json())
    task = detail(client, world, response.get_json()["taskId"])
    assert [v["key"] for v in task["variants"]] == ["A", "B"]
    assert task["variants"][1]["content"]["text"] == B["text"]
    assert task["content"]["text"] == A["text"]  # what the list, exports and search show
    split = task["variantGroups"]
    assert sorted(split["A"] + split["B"]) == sorted(world.groups[:6])
    assert len(split["A"]) == len(split["B"]) == 3
    assert "variantPinned" not in task
    listed = client.get("/api/tasks", headers=world.olga.headers).get_json()
    TaskListOut.model_validate(listed)
    [row] = [t for t in listed["tasks"] if t["taskId"] == task["taskId"]]
    assert [v["key"] for v in row["variants"]] == ["A", "B"]
    # A one-content task has no `variants` at all.
    plain = create_task(client, world.olga, task_body(world))
    assert "variants" not in detail(client, world, plain)


def test_every_variant_passes_the_content_rules_with_its_own_field_names(client: FlaskClient, world: World) -> None:
    bad = {"text": "看这里", "link": "ftp://nope"}
    body = ab_body(world, variants=[{"key": "A", "content": A}, {"key": "B", "content": bad}])
    found = problems(client.post("/api/tasks", json=body, headers=world.olga.headers))
    assert list(found) == ["variants[1].content.link"]
    body = ab_body(world, variants=[{"key": "A", "content": {"text": "a" * 501}}, {"key": "B", "content": B}])
    assert list(problems(client.post("/api/tasks", json=body, headers=world.olga.headers))) == [
        "variants[0].content.text"
    ]
    body = ab_body(world, variants=[{"key": "A", "content": A}, {"key": "A", "content": B}])
    assert problems(client.post("/api/tasks", json=body, headers=world.olga.headers)) == {
        "variants": "每个版本的标识（A–D）只能用一次"
    }
    body = {**ab_body(world), "content": A}
    assert client.post("/api/tasks", json=body, headers=world.olga.headers).status_code == 400


def test_an_ab_test_over_one_group_is_refused_with_a_clear_message(client: FlaskClient, world: World) -> None:
    body = ab_body(world, groups=world.groups[:1])
    found = problems(client.post("/api/tasks", json=body, headers=world.olga.headers))
    assert found["groups"].startswith("A/B 测试至少需要 2 个群")
    task_id = create_task(client, world.olga, ab_body(world))
    edit = client.put(f"/api/tasks/{task_id}", json={"groups": world.groups[:1]}, headers=world.olga.headers)
    assert problems(edit)["groups"].startswith("A/B 测试至少需要 2 个群")


def test_groups_assigned_by_hand_are_kept_and_checked(client: FlaskClient, world: World) -> None:
    g = world.groups[:6]
    body = ab_body(world, variantGroups={"B": [g[0], g[1]]})
    task = detail(client, world, create_task(client, world.olga, body))
    assert task["variantPinned"] == {"B": [g[0], g[1]]}
    assert {g[0], g[1]} <= set(task["variantGroups"]["B"])
    outside = ab_body(world, variantGroups={"A": [world.groups[50]]})
    assert "variantGroups.A" in problems(client.post("/api/tasks", json=outside, headers=world.olga.headers))
    twice = ab_body(world, variantGroups={"A": [g[0]], "B": [g[0]]})
    assert "variantGroups.B" in problems(client.post("/api/tasks", json=twice, headers=world.olga.headers))
    unknown_key = ab_body(world, variantGroups={"C": [g[0]]})
    assert "variantGroups.C" in problems(client.post("/api/tasks", json=unknown_key, headers=world.olga.headers))


def test_editing_a_variant_raises_the_content_version_and_is_logged(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, ab_body(world))
    clock.advance(seconds=60)
    changed = {"text": "版本B：改过"}
    edit = client.put(
        f"/api/tasks/{task_id}",
        json={"variants": [{"key": "A", "content": A}, {"key": "B", "content": changed}]},
        headers=world.olga.headers,
    )
    assert edit.status_code == 200, edit.get_json()
    task = detail(client, world, task_id)
    assert task["contentVersion"] == 2
    assert task["variants"][1]["content"]["text"] == "版本B：改过"
    assert task["variants"][1]["content"]["link"] is None
    log = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    TaskLogListOut.model_validate(log)
    assert log[0]["changes"]["variants"]["new"][1]["content"]["text"] == "版本B：改过"
    # `content` beside variants would be ambiguous: refused, saying where to edit.
    both = client.put(f"/api/tasks/{task_id}", json={"content": {"text": "x"}}, headers=world.olga.headers)
    assert "variants" in problems(both)["content"]
    # null removes them: the task keeps variant A's content.
    gone = client.put(f"/api/tasks/{task_id}", json={"variants": None}, headers=world.olga.headers)
    assert gone.status_code == 200, gone.get_json()
    task = detail(client, world, task_id)
    assert "variants" not in task and task["content"]["text"] == A["text"]


# ---- the push ----------------------------------------------------------------------------------


def test_each_group_receives_its_variant_and_the_delivery_records_which(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,  # noqa: F811
    clock: FrozenClock,
    sessions: sessionmaker[Session],
    tmp_path: Any,
) -> None:
    body = ab_body(world, schedule={"type": "once", "time": "2026-03-02T09:00:05+08:00"})
    task_id = create_task(client, world.olga, body)
    split = detail(client, world, task_id)["variantGroups"]
    push_due(sessions, clock, sandbox.url, tmp_path, 5)
    with sessions() as db:
        recorded = dict(db.execute(select(Delivery.group_id, Delivery.variant)).all())
    assert recorded == {g: k for k, gs in split.items() for g in gs}
    for i, group in enumerate(world.groups[:6]):
        texts = " ".join(str(m["payload"]) for m in sandbox.state.messages(f"ref-{i}"))
        mine, other = (A, B) if recorded[group] == "A" else (B, A)
        assert mine["text"] in texts and other["text"] not in texts


# ---- approval gate -----------------------------------------------------------------------------


def test_every_variant_is_previewed_and_must_be_confirmed_before_submitting(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,  # noqa: F811
    approval: None,  # noqa: F811
) -> None:
    task_id = create_task(client, world.olga, ab_body(world, status="draft"))
    response = client.post("/api/preview", json={"taskId": task_id}, headers=world.olga.headers)
    assert response.status_code == 200, response.get_json()
    sent = response.get_json()
    PreviewSent.model_validate(sent)
    assert [v["key"] for v in sent["variants"]] == ["A", "B"]
    assert sent["previewId"] == sent["variants"][0]["previewId"]
    cards = [m["payload"]["template_card"] for m in sandbox.state.messages("zhang") if m["msgtype"] == "template_card"]
    assert [c["main_title"]["title"] for c in cards] == ["预览（版本 A）：周一课程提醒", "预览（版本 B）：周一课程提醒"]
    texts = [m["payload"]["text"]["content"] for m in sandbox.state.messages("zhang") if m["msgtype"] == "text"]
    assert texts == [A["text"], B["text"]]

    def confirm(preview_id: str) -> None:
        answer = client.post(
            "/api/preview/confirm", json={"previewId": preview_id, "response": "confirm"}, headers=world.ada.headers
        )
        assert answer.status_code == 200, answer.get_json()

    def submit() -> Any:
        return client.put(f"/api/tasks/{task_id}", json={"status": "scheduled"}, headers=world.olga.headers)

    confirm(sent["variants"][0]["previewId"])
    assert detail(client, world, task_id)["previewState"] == "pending"
    assert submit().status_code == 409  # B is not confirmed yet
    confirm(sent["variants"][1]["previewId"])
    assert detail(client, world, task_id)["previewState"] == "confirmed"
    assert submit().status_code == 200
    listed = client.get(f"/api/preview/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert sorted(p["variant"] for p in listed["previews"]) == ["A", "B"]


# ---- adopting the winner -----------------------------------------------------------------------


def test_adopting_the_winner_makes_later_occurrences_send_it_to_every_group(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,  # noqa: F811
    clock: FrozenClock,
    sessions: sessionmaker[Session],
    tmp_path: Any,
    runtime: Runtime,
) -> None:
    body = ab_body(
        world,
        schedule={
            "type": "recurring",
            "time": "2026-03-02T09:00:05+08:00",
            "recurringInterval": "daily",
            "timezone": "Asia/Shanghai",
        },
    )
    task_id = create_task(client, world.olga, body)
    push_due(sessions, clock, sandbox.url, tmp_path, 5)
    with sessions() as db:
        first_push = db.scalar(select(Delivery.push_id))
    adopted = client.post(f"/api/tasks/{task_id}/variants/B/adopt", headers=world.olga.headers)
    assert adopted.status_code == 200, adopted.get_json()
    AdoptOut.model_validate(adopted.get_json())
    task = detail(client, world, task_id)
    assert "variants" not in task and task["content"]["text"] == B["text"]
    log = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    assert log[0]["changes"]["adoptedVariant"] == {"old": None, "new": "B"}
    assert log[0]["userName"] == "Olga 老师"
    # Again: nothing left to adopt; an unknown variant is 404.
    again = client.post(f"/api/tasks/{task_id}/variants/A/adopt", headers=world.olga.headers)
    assert again.status_code == 409 and "没有 A/B 版本" in again.get_json()["reason"]
    other = create_task(client, world.olga, ab_body(world))
    assert client.post(f"/api/tasks/{other}/variants/D/adopt", headers=world.olga.headers).status_code == 404
    # The next day's occurrence sends B to all six groups.
    push_due(sessions, clock, sandbox.url, tmp_path, 24 * 3600)
    with sessions() as db:
        rows = db.execute(
            select(Delivery.group_id, Delivery.variant, Delivery.state).where(Delivery.push_id != first_push)
        ).all()
    assert sorted(g for g, _, _ in rows) == sorted(world.groups[:6])
    assert {(v, s) for _, v, s in rows} == {(None, "sent")}
    for i in range(6):
        assert B["link"] in str(sandbox.state.messages(f"ref-{i}")[-1]["payload"])


def test_creating_an_ab_task_writes_one_log_entry_with_its_variants(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, ab_body(world))
    log = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    assert [entry["action"] for entry in log] == ["create"]
    assert [v["key"] for v in log[0]["changes"]["variants"]["new"]] == ["A", "B"]


def test_a_copy_keeps_the_variants(client: FlaskClient, world: World) -> None:
    task_id = create_task(client, world.olga, ab_body(world, variantGroups={"A": [world.groups[0]]}))
    copied = client.post(f"/api/tasks/{task_id}/copy", headers=world.olga.headers)
    assert copied.status_code == 201
    copy = detail(client, world, copied.get_json()["taskId"])
    assert [v["content"]["text"] for v in copy["variants"]] == [A["text"], B["text"]]
    assert copy["variantPinned"] == {"A": [world.groups[0]]}
