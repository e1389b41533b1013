"""Planned ahead, fired from memory (worker/ahead.py): a frozen clock, the real sandbox over HTTP.

A worker steps a little before a task's fire time (so it plans the occurrence and holds it), then
something happens, then it steps at the fire time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Delivery, Group, Push, TrackedLink, WorkerBeat
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.wiring import build_sender
from pushtask.worker import ahead
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration.conftest import World, create_task, task_body
from tests.integration.test_scheduler import _refs
from tests.support import FrozenClock

FIRE = "2026-03-02T09:00:30+08:00"  # 30 s after the clock starts


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=5))
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle, world: World, sessions: sessionmaker[Session]) -> SandboxHandle:
    sandbox_server.state.reset()
    with sessions() as db:
        for group in db.scalars(select(Group)):
            sandbox_server.state.register_group(group.channel, group.channel_ref, group.name, group.member_count)
    return sandbox_server


def _states(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return dict(s.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).tuples().all())


def _steps(sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp: Any, *plan: Any) -> None:
    """Run workers by id: ("w1", seconds) advances the clock and steps w1; a callable runs in between."""

    async def scenario() -> None:
        sender = build_sender(Settings(data_dir=tmp), sandbox.url)
        workers: dict[str, Worker] = {}
        try:
            for step in plan:
                if callable(step):
                    step()
                    continue
                name, seconds = step
                clock.advance(seconds=seconds)
                if name not in workers:
                    config = WorkerConfig(concurrency=16, high_reserved=4, housekeeping_s=0, plan_lease_s=10)
                    workers[name] = Worker(sessions, sender, clock, config=config, worker_id=name)
                await workers[name].step()
        finally:
            await sender.close()

    asyncio.run(scenario())


def _received(sandbox: SandboxHandle, db: Session, group_ids: list[str]) -> list[str]:
    refs = _refs(db, group_ids)
    return [str(m["payload"]) for g in group_ids for m in sandbox.state.messages(refs[g])]


def test_planned_ahead_then_fired_at_its_time_from_memory(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    db: Session,
    clock: FrozenClock,
    sessions: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = task_body(world, schedule={"type": "once", "time": FIRE})
    task_id = create_task(client, world.olga, body)
    seen: dict[str, Any] = {}
    one_by_one: list[str] = []
    fallback = ahead.fire_one
    monkeypatch.setattr(
        ahead, "fire_one", lambda session, entry, *a: one_by_one.append(entry.push_id) or fallback(session, entry, *a)
    )

    def look() -> None:
        seen["states"] = _states(sessions)
        seen["history"] = client.get(f"/api/tasks/{task_id}/pushes", headers=world.olga.headers).get_json()
        seen["detail"] = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()

    _steps(sessions, clock, sandbox, tmp_path, ("w1", 5), look, ("w1", 24), ("w1", 1))
    assert seen["states"] == {"planned": len(body["groups"])}, "planned 25 s ahead, nothing sent"
    assert seen["history"]["pushes"] == [], "a planned occurrence is not shown as a push before it fires"
    assert seen["detail"]["status"] == "scheduled" and seen["detail"]["nextFireAt"] == FIRE
    assert len(_received(sandbox, db, body["groups"])) == len(body["groups"])
    assert _states(sessions) == {"sent": len(body["groups"])}
    detail = client.get(f"/api/tasks/{task_id}", headers=world.olga.headers).get_json()
    assert detail["status"] == "completed" and detail["lastResult"]["status"] == "completed"
    assert one_by_one == [], "a push fired as planned takes the one-statement fire, not the re-checking fallback"


def test_a_task_fired_from_its_plan_shows_running_in_the_next_list_call(
    client: FlaskClient, world: World, sandbox: SandboxHandle, clock: FrozenClock, sessions: Any, tmp_path: Any
) -> None:
    """The fire sets the task running on the bare connection; the list's cached page must not keep "scheduled"."""
    task_id = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": FIRE}))
    listed: list[str] = []

    def look() -> None:
        response = client.get("/api/tasks?limit=20", headers=world.olga.headers)
        assert response.status_code == 200, response.get_json()
        tasks = response.get_json()["tasks"]
        listed.append(next(t["status"] for t in tasks if t["taskId"] == task_id))

    def busy() -> None:  # WeChat busy for the app-chat group: retried later, so the push stays running
        sandbox.state.add_fault(endpoint="appchat/send", errcode=-1, times=10)

    _steps(sessions, clock, sandbox, tmp_path, ("w1", 5), look, look, busy, ("w1", 25), look)
    assert listed == ["scheduled", "scheduled", "running"], "the second call is the cached page; the fire makes it old"


def test_pause_after_the_plan_and_before_the_fire_time_wins(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    db: Session,
    clock: FrozenClock,
    sessions: Any,
    tmp_path: Any,
) -> None:
    body = task_body(
        world, schedule={"type": "recurring", "time": FIRE, "recurringInterval": "daily"}, groups=world.groups[:2]
    )
    task_id = create_task(client, world.olga, body)

    def pause() -> None:
        assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200

    _steps(sessions, clock, sandbox, tmp_path, ("w1", 25), pause, ("w1", 5), ("w1", 60))
    assert _received(sandbox, db, world.groups[:2]) == [], "paused a moment before: nothing sent"
    assert _states(sessions) == {}, "the plan was dropped"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Push)) == 0


def test_content_edited_after_the_plan_sends_the_new_content_once(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    db: Session,
    clock: FrozenClock,
    sessions: Any,
    tmp_path: Any,
) -> None:
    body = task_body(world, schedule={"type": "once", "time": FIRE}, groups=world.groups[:2])
    task_id = create_task(client, world.olga, body)

    def edit() -> None:
        answer = client.put(
            f"/api/tasks/{task_id}", json={"content": {"text": "最后一刻改好的通知"}}, headers=world.olga.headers
        )
        assert answer.status_code == 200

    _steps(sessions, clock, sandbox, tmp_path, ("w1", 25), edit, ("w1", 5), ("w1", 5))
    received = _received(sandbox, db, world.groups[:2])
    assert len(received) == 2 and all("最后一刻改好的通知" in r for r in received)


def test_groups_changed_after_the_plan_go_to_the_new_groups(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    db: Session,
    clock: FrozenClock,
    sessions: Any,
    tmp_path: Any,
) -> None:
    body = task_body(world, schedule={"type": "once", "time": FIRE}, groups=world.groups[:1])
    task_id = create_task(client, world.olga, body)

    def regroup() -> None:
        answer = client.put(f"/api/tasks/{task_id}", json={"groups": world.groups[1:2]}, headers=world.olga.headers)
        assert answer.status_code == 200

    _steps(sessions, clock, sandbox, tmp_path, ("w1", 25), regroup, ("w1", 5))
    assert _received(sandbox, db, world.groups[:1]) == []
    assert len(_received(sandbox, db, world.groups[1:2])) == 1


def test_another_worker_never_fires_a_live_workers_plan_and_takes_over_a_silent_one(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    db: Session,
    clock: FrozenClock,
    sessions: Any,
    tmp_path: Any,
) -> None:
    body = task_body(world, schedule={"type": "once", "time": FIRE}, groups=world.groups[:2])
    create_task(client, world.olga, body)
    seen: dict[str, Any] = {}

    def beat_of_w1() -> None:
        with sessions() as s:
            seen["beat"] = s.scalar(select(WorkerBeat.last_tick_at).where(WorkerBeat.id == "w1"))
        seen["at_fire"] = _received(sandbox, db, world.groups[:2])

    # w1 plans 5 s ahead and then goes silent (no heartbeat); w2 steps at the fire time: w1's lease
    # (10 s from its last heartbeat) still holds, so w2 leaves it alone; at the lease's end w2 takes
    # it over and fires it, once.
    _steps(sessions, clock, sandbox, tmp_path, ("w2", 1), ("w1", 24), ("w2", 5), beat_of_w1, ("w2", 2), ("w2", 4))
    assert seen["at_fire"] == [], "not while the holder's lease runs"
    assert len(_received(sandbox, db, world.groups[:2])) == 2, "taken over after the lease: each group once"
    assert _states(sessions) == {"sent": 2}
    # The silent worker comes back and steps: its plan is gone, it sends nothing again.
    _steps(sessions, clock, sandbox, tmp_path, ("w1", 1), ("w1", 1))
    assert len(_received(sandbox, db, world.groups[:2])) == 2


def test_a_task_with_variants_planned_ahead_sends_each_group_its_variant_with_its_own_short_link(
    client: FlaskClient,
    world: World,
    sandbox: SandboxHandle,
    db: Session,
    clock: FrozenClock,
    sessions: Any,
    tmp_path: Any,
) -> None:
    """Issue 19 on the planned-ahead path: the same variant split and short links as a push planned at once."""
    variants = [
        {"key": "A", "content": {"text": "版本A 周一上课", "link": "https://example.com/a"}},
        {"key": "B", "content": {"text": "版本B 周一上课", "link": "https://example.com/b"}},
    ]
    body = task_body(world, schedule={"type": "once", "time": FIRE}, variants=variants)
    del body["content"]
    create_task(client, world.olga, body)
    _steps(sessions, clock, sandbox, tmp_path, ("w1", 5), ("w1", 24), ("w1", 1))
    with sessions() as s:
        chosen = dict(s.execute(select(Delivery.group_id, Delivery.variant)).tuples().all())
        links = {
            g: (v, url) for g, v, url in s.execute(select(TrackedLink.group_id, TrackedLink.variant, TrackedLink.url))
        }
    assert set(chosen) == set(body["groups"]) and set(chosen.values()) == {"A", "B"}, chosen
    assert links == {g: (v, f"https://example.com/{v.lower()}") for g, v in chosen.items()}, "one link per group"
    refs = _refs(db, body["groups"])
    for group_id, variant in chosen.items():
        texts = [str(m["payload"]) for m in sandbox.state.messages(refs[group_id])]
        # The text and the link card of the group's own variant (the short link replaces the URL where the
        # worker has a notifier to decorate messages: tests/integration/notify/test_engagement.py).
        assert f"版本{variant}" in texts[0] and f"example.com/{variant.lower()}" in texts[1], (variant, texts)
