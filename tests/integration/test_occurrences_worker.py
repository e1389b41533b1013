"""Two workers on MariaDB: moved and skipped occurrences fire once; a push both finish at once closes once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Delivery, Group, Notification, Push
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.wiring import build_sender
from pushtask.worker import deliveries
from pushtask.worker.runner import Worker, WorkerConfig
from tests.conftest import _mariadb_engine
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

pytestmark = pytest.mark.mariadb
AT_11 = "2026-03-02T11:00:00+08:00"


@pytest.fixture
def private_engine() -> Iterator[Engine]:
    """A database of this test's own: two workers need real, separate connections (SKIP LOCKED)."""
    yield from _mariadb_engine()


@pytest.fixture
def sessions(private_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=private_engine, expire_on_commit=False)


@pytest.fixture
def sandbox(world: World, sessions: sessionmaker[Session]) -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=5))
    with sessions() as db:
        for group in db.scalars(select(Group)):
            handle.state.register_group(group.channel, group.channel_ref, group.name, group.member_count)
    yield handle
    handle.stop()


def _run_two_workers(
    sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp: Any, until: datetime
) -> None:
    """Step two workers side by side each hour (every fire time here is on the hour), until `until`."""

    async def scenario() -> None:
        senders = [build_sender(Settings(data_dir=tmp), sandbox.url) for _ in range(2)]
        # Plan on every step: a worker otherwise re-reads the next due task only on its housekeeping
        # round (each real second), and this test moves the frozen clock hours in a real second.
        config = WorkerConfig(concurrency=8, high_reserved=2, housekeeping_s=0.0)
        workers = [
            Worker(sessions, sender, clock, config=config, worker_id=f"w{i}") for i, sender in enumerate(senders)
        ]
        try:
            hour = clock.now
            while hour < until:
                hour += timedelta(hours=1)
                # On the hour, then a few more cycles so retries finish and the task is free for the next one.
                for seconds in (0, 20, 40, 60, 120):
                    clock.now = hour + timedelta(seconds=seconds)
                    await asyncio.gather(*(worker.step() for worker in workers))
        finally:
            for sender in senders:
                await sender.close()

    asyncio.run(scenario())


def test_two_workers_honour_skips_and_moves(
    client: FlaskClient,
    world: World,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    sandbox: SandboxHandle,
    tmp_path: Any,
) -> None:
    # Daily at 10:00 Shanghai from Monday 2026-03-02; the clock starts at 09:00 that day.
    body = task_body(
        world,
        schedule={"type": "recurring", "time": "2026-03-02T10:00:00+08:00", "recurringInterval": "daily"},
        groups=world.groups[:2],
    )
    task_id = create_task(client, world.olga, body)
    headers = world.olga.headers

    def url(when: str, action: str) -> str:
        return f"/api/tasks/{task_id}/occurrences/{quote(when)}/{action}"

    assert client.post(url("2026-03-03T10:00:00+08:00", "skip"), headers=headers).status_code == 200
    # Wednesday's push moves to the afternoon, Thursday's to Tuesday noon (the day that was skipped).
    moves = {"2026-03-04T10:00:00+08:00": "2026-03-04T15:00:00+08:00", "2026-03-05T10:00:00+08:00": "2026-03-03T12:00"}
    for source, target in moves.items():
        answer = client.post(url(source, "move"), json={"time": target}, headers=headers)
        assert answer.status_code == 200, answer.get_json()

    _run_two_workers(sessions, clock, sandbox, tmp_path, until=datetime(2026, 3, 6, 3, 0, tzinfo=UTC))

    with sessions() as db:
        pushes = list(db.scalars(select(Push).where(Push.task_id == task_id).order_by(Push.fire_at)))
        fired = [p.fire_at for p in pushes]
        assert [p.status for p in pushes] == ["completed"] * len(pushes), [(p.fire_at, p.status) for p in pushes]
        refs = [g.channel_ref for g in db.scalars(select(Group).where(Group.id.in_(body["groups"])))]
    shanghai = [f.astimezone(UTC).strftime("%m-%d %H:%M") for f in fired]
    # UTC: 10:00 Shanghai = 02:00Z; 12:00 = 04:00Z; 15:00 = 07:00Z.
    assert shanghai == ["03-02 02:00", "03-03 04:00", "03-04 07:00", "03-06 02:00"]
    for ref in refs:
        assert len(sandbox.state.messages(ref)) == 4, "each occurrence reached each group exactly once"


def test_two_workers_finishing_the_same_push_at_once_close_it_and_tell_its_creator_once(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], private_engine: Engine, clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world, schedule={"type": "once", "time": AT_11}))
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    with sessions.begin() as db:
        groups = db.execute(update(Delivery).where(Delivery.push_id == push_id).values(state="sent", sent_at=clock()))
        assert groups.rowcount >= 1

    first = sessions()
    closed: list[int] = []

    def second_worker() -> None:
        with sessions() as db:
            # It still reads the push as running (the first has not committed) and waits on its row.
            closed.append(deliveries.finalize(db, clock(), [push_id]))
            db.commit()

    thread = threading.Thread(target=second_worker, daemon=True)
    try:
        assert deliveries.finalize(first, clock(), [push_id]) == 1  # closed, not yet committed
        thread.start()
        with private_engine.connect() as watch:  # until the second worker's UPDATE waits for the first's row
            waiting = 0
            for _ in range(500):
                waiting = watch.scalar(
                    text("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'UPDATE t_pushes SET%'")
                )
                if waiting:
                    break
                threading.Event().wait(0.01)
        assert waiting, f"the second worker never waited for the first one's lock: {closed}"
        first.commit()
    finally:
        first.close()
        thread.join(30)

    assert closed == [0]  # the push was no longer running once it could look: it told no one
    with sessions() as db:
        push = db.get(Push, push_id)
        assert push is not None and (push.status, push.sent_count) == ("completed", groups.rowcount)
        notices = db.scalars(select(Notification).where(Notification.push_id == push_id)).all()
        assert notices and all(n.type == "result" for n in notices)
        assert len({n.dedupe_key for n in notices}) == len(notices)
