"""The lighter list path (issue 16): cached pages that are never stale after a write, short-lived sign-ins.

"Two processes" are two apps, each with its own runtime and its own session factory on the same
database, as two gunicorn workers have: what one writes, the other only learns through the data
versions (Redis) or the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.app import create_app
from pushtask.config import Settings
from pushtask.models import Delivery, Task
from pushtask.runtime import AUTH_CACHE_SECONDS, Runtime
from pushtask.wiring import build_runtime
from pushtask.worker import deliveries
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock, redis_url

LIST = "/api/tasks?limit=20"


class Statements:
    """Counts the SQL statements sent on the test's connection."""

    def __init__(self, connection: Connection) -> None:
        self.count = 0

        def count(*_args: Any) -> None:
            self.count += 1

        event.listen(connection, "before_cursor_execute", count)


@pytest.fixture
def statements(connection: Connection) -> Statements:
    return Statements(connection)


def _names(client: FlaskClient, headers: dict[str, str], url: str = LIST) -> list[str]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [t["name"] for t in response.get_json()["tasks"]]


def _process(connection: Connection, clock: FrozenClock, tmp_path: Path, redis: str | None) -> tuple[Runtime, Any]:
    """Another API process: its own session factory on the same database, its own runtime."""
    sessions = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", secret_key="k" * 40, redis_url=redis)
    rt = build_runtime(settings, clock=clock, sessions=sessions, sole_writer=redis is None)
    return rt, create_app(rt).test_client()


# ---- one process, no Redis (the embedded default) ------------------------------------------------


def test_a_repeated_list_call_is_answered_without_the_database(
    client: FlaskClient, world: World, statements: Statements
) -> None:
    create_task(client, world.olga, task_body(world, name="周报"))
    first = client.get(LIST, headers=world.victor.headers)
    statements.count = 0
    again = client.get(LIST, headers=world.victor.headers)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert statements.count == 0  # neither the page, nor the total, nor who holds the token
    # Another organisation has its own pages.
    assert _names(client, world.otto.headers) == []


def test_every_kind_of_write_shows_in_the_next_list(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world, name="周报"))
    assert _names(client, world.victor.headers) == ["周报"]
    # An edit through the API.
    assert client.put(f"/api/tasks/{task_id}", json={"name": "月报"}, headers=world.olga.headers).status_code == 200
    assert _names(client, world.victor.headers) == ["月报"]
    # A pause through the API.
    assert client.post(f"/api/tasks/{task_id}/pause", json={}, headers=world.olga.headers).status_code == 200
    assert client.get(LIST, headers=world.victor.headers).get_json()["tasks"][0]["status"] == "paused"
    # A group renamed: the list shows group names.
    group = world.groups[0]
    renamed = client.put(f"/api/groups/{group}", json={"name": "改名的家长群"}, headers=world.ada.headers)
    assert renamed.status_code == 200, renamed.get_json()
    assert client.get(LIST, headers=world.victor.headers).get_json()["tasks"][0]["groupNames"][0] == "改名的家长群"
    # A bulk write without an organisation, as the worker finishing a push does.
    with sessions() as db:
        db.execute(update(Task).where(Task.id == task_id).values(status="completed", updated_at=clock()))
        db.commit()
    assert client.get(LIST, headers=world.victor.headers).get_json()["tasks"][0]["status"] == "completed"
    # An ORM write from outside the API (the worker's planner).
    with sessions() as db:
        task = db.get(Task, task_id)
        assert task is not None
        task.name = "季报"
        db.commit()
    assert _names(client, world.victor.headers) == ["季报"]


def test_a_rolled_back_write_does_not_empty_the_cache(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], statements: Statements
) -> None:
    create_task(client, world.olga, task_body(world, name="周报"))
    _names(client, world.victor.headers)
    with sessions() as db:
        db.execute(update(Task).values(name="never"))
        db.rollback()
    statements.count = 0
    assert _names(client, world.victor.headers) == ["周报"]
    assert statements.count == 0


def test_a_signed_out_token_stops_at_once_in_its_process(client: FlaskClient, world: World) -> None:
    assert client.get(LIST, headers=world.olga.headers).status_code == 200
    assert client.post("/api/auth/logout", headers=world.olga.headers).status_code == 200
    assert client.get(LIST, headers=world.olga.headers).status_code == 401


# ---- two processes ------------------------------------------------------------------------------


def test_a_token_signed_out_in_one_process_stops_within_a_second_in_another(
    connection: Connection, world: World, clock: FrozenClock, tmp_path: Path, statements: Statements
) -> None:
    _, first = _process(connection, clock, tmp_path, None)
    _, second = _process(connection, clock, tmp_path, None)
    for client in (first, second):
        assert client.get(LIST, headers=world.olga.headers).status_code == 200
    statements.count = 0
    assert second.get(LIST, headers=world.olga.headers).status_code == 200
    assert statements.count == 0  # who holds the token was not looked up again
    assert first.post("/api/auth/logout", headers=world.olga.headers).status_code == 200
    assert first.get(LIST, headers=world.olga.headers).status_code == 401
    assert AUTH_CACHE_SECONDS < 1
    clock.advance(seconds=AUTH_CACHE_SECONDS)
    assert second.get(LIST, headers=world.olga.headers).status_code == 401
    assert second.get("/api/auth/me", headers=world.olga.headers).status_code == 401


@pytest.fixture
def shared_redis() -> Iterator[str]:
    url, reason = redis_url()
    if url is None:
        pytest.skip(reason)
    yield url


@pytest.mark.redis
def test_two_processes_sharing_redis_never_serve_a_page_older_than_a_write(
    connection: Connection, world: World, clock: FrozenClock, tmp_path: Path, shared_redis: str, statements: Statements
) -> None:
    a_rt, a = _process(connection, clock, tmp_path, shared_redis)
    b_rt, b = _process(connection, clock, tmp_path, shared_redis)
    assert a_rt.list_cache is not None and b_rt.list_cache is not None
    task_id = create_task(a, world.olga, task_body(world, name="周报"))
    assert _names(b, world.victor.headers) == ["周报"]
    statements.count = 0
    assert _names(b, world.victor.headers) == ["周报"]
    assert statements.count == 0  # served from b's cache
    # Written through a, read through b (whose cached page predates the write).
    assert a.put(f"/api/tasks/{task_id}", json={"name": "月报"}, headers=world.olga.headers).status_code == 200
    assert _names(b, world.victor.headers) == ["月报"]
    create_task(b, world.olga, task_body(world, name="新任务"))
    assert sorted(_names(a, world.victor.headers)) == ["新任务", "月报"]
    assert sorted(_names(b, world.victor.headers)) == ["新任务", "月报"]


def test_without_redis_two_processes_would_disagree_so_the_api_runs_without_the_cache(
    connection: Connection, world: World, clock: FrozenClock, tmp_path: Path
) -> None:
    sessions = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", secret_key="k" * 40)
    rt = build_runtime(settings, clock=clock, sessions=sessions, sole_writer=False)  # as `pushtask api` does
    assert rt.list_cache is None
    _, a = _process(connection, clock, tmp_path, None)
    b = create_app(rt).test_client()
    task_id = create_task(a, world.olga, task_body(world, name="周报"))
    assert _names(b, world.victor.headers) == ["周报"]
    assert a.put(f"/api/tasks/{task_id}", json={"name": "月报"}, headers=world.olga.headers).status_code == 200
    assert _names(b, world.victor.headers) == ["月报"]


def test_with_redis_unreachable_lists_are_read_from_the_database(
    connection: Connection, world: World, clock: FrozenClock, tmp_path: Path
) -> None:
    rt, client = _process(connection, clock, tmp_path, "redis://127.0.0.1:9/0")  # nothing listens on port 9
    task_id = create_task(client, world.olga, task_body(world, name="周报"))
    assert _names(client, world.victor.headers) == ["周报"]
    assert client.put(f"/api/tasks/{task_id}", json={"name": "月报"}, headers=world.olga.headers).status_code == 200
    assert _names(client, world.victor.headers) == ["月报"]
    assert rt.list_cache is not None and rt.list_cache.hits == 0


def test_a_push_the_worker_finishes_shows_in_the_next_list(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    task_id = create_task(client, world.olga, task_body(world, name="周报"))
    push_id = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()["pushId"]
    with sessions() as db:  # as the fire leaves them: the task running this push, its groups sent
        db.execute(
            update(Task).where(Task.id == task_id).values(status="running", last_push_id=push_id, next_fire_at=None)
        )
        db.execute(update(Delivery).where(Delivery.push_id == push_id).values(state="sent", sent_at=clock()))
        db.commit()
    assert client.get(LIST, headers=world.victor.headers).get_json()["tasks"][0]["status"] == "running"
    with sessions() as db:  # the worker finishes the push (Core statements, not the ORM)
        assert deliveries.finalize(db, clock(), [push_id]) == 1
        db.commit()
    assert client.get(LIST, headers=world.victor.headers).get_json()["tasks"][0]["status"] == "completed"
