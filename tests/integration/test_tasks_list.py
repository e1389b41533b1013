"""The task list: every filter, every sort key both ways, and pages that never repeat or skip a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, update
from sqlalchemy.orm import Session, sessionmaker

from pushtask.domain.actor import Actor
from pushtask.infra.counts import CountCache
from pushtask.models import Task, new_id
from pushtask.schemas import TaskListOut
from pushtask.services import tasks as task_service
from pushtask.services.task_list import read_page
from tests.integration.conftest import Persona, World, create_task, task_body
from tests.support import FrozenClock


@dataclass
class Row:
    name: str
    priority: str
    status: str
    time: str  # the push time lists filter and sort by (Asia/Shanghai)
    groups: tuple[int, ...]
    recipients: tuple[int, ...]
    creator: str
    updated_rank: int  # order of the last edit, 0 = oldest
    task_id: str = ""


# Created in this order, one minute apart; every sort key orders them differently.
ROWS = [
    Row("alpha 周报", "high", "scheduled", "2026-03-05T10:00:00+08:00", (0, 1), (0,), "olga", 3),
    Row("bravo 50% off", "low", "draft", "2026-03-03T10:00:00+08:00", (1,), (), "olga", 5),
    Row("charlie", "medium", "paused", "2026-03-09T18:00:00+08:00", (2,), (1,), "ada", 0),
    Row("delta", "high", "running", "2026-03-04T10:00:00+08:00", (0,), (0, 1), "olga", 4),
    Row("echo", "low", "completed", "2026-03-07T10:00:00+08:00", (3,), (), "ada", 1),
    Row("foxtrot_500 off", "medium", "failed", "2026-03-06T10:00:00+08:00", (0,), (), "olga", 2),
]
STATUS_ORDER = ["draft", "scheduled", "running", "paused", "failed", "completed"]
PRIORITY_RANK = {"low": 1, "medium": 2, "high": 3}


@pytest.fixture
def rows(client: FlaskClient, world: World, clock: FrozenClock, sessions: sessionmaker[Session]) -> list[Row]:
    created = []
    for row in ROWS:
        body = task_body(
            world,
            name=row.name,
            priority=row.priority,
            status="draft" if row.status == "draft" else "scheduled",
            schedule={"type": "once", "time": row.time},
            groups=[world.groups[i] for i in row.groups],
            previewRecipients=[world.recipients[i] for i in row.recipients],
        )
        persona: Persona = getattr(world, row.creator)
        row = Row(**{**row.__dict__, "task_id": create_task(client, persona, body)})
        if row.status == "paused":
            assert client.post(f"/api/tasks/{row.task_id}/pause", json={}, headers=persona.headers).status_code == 200
        created.append(row)
        clock.advance(minutes=1)
    base = clock()
    with sessions() as db:
        for row in created:
            values: dict[str, Any] = {"updated_at": base + timedelta(minutes=row.updated_rank)}
            if row.status in ("running", "completed", "failed"):
                values["status"] = row.status
            db.execute(update(Task).where(Task.id == row.task_id).values(**values))
        db.commit()
    return created


def listing(client: FlaskClient, persona: Persona, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/tasks?{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    TaskListOut.model_validate(body)
    return body


def names(client: FlaskClient, persona: Persona, query: str = "") -> list[str]:
    return [t["name"] for t in listing(client, persona, query)["tasks"]]


def test_list_is_newest_first_by_default_with_the_prd_shape(client: FlaskClient, world: World, rows: list[Row]) -> None:
    body = listing(client, world.victor)
    assert (body["total"], body["page"], body["limit"]) == (6, 1, 20)
    assert [t["name"] for t in body["tasks"]] == [r.name for r in reversed(rows)]
    alpha = body["tasks"][-1]
    assert alpha["groupNames"] == ["家长群000", "家长群001"]
    assert alpha["previewRecipientNames"] == ["张老师"]
    assert alpha["creatorName"] == "Olga 老师"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=paused", {"charlie"}),
        ("status=running,completed", {"delta", "echo"}),
        ("priority=high", {"alpha 周报", "delta"}),
        ("priority=low,medium", {"bravo 50% off", "charlie", "echo", "foxtrot_500 off"}),
        # Both ends are inclusive; offsets are honoured.
        (
            "startTime=2026-03-05T10:00:00%2B08:00&endTime=2026-03-07T02:00:00Z",
            {"alpha 周报", "foxtrot_500 off", "echo"},
        ),
        ("startTime=2026-03-07T02:00:00", {"echo", "charlie"}),  # without an offset: UTC
        ("endTime=2026-03-03T10:00:00%2B08:00", {"bravo 50% off"}),
        ("q=周报", {"alpha 周报"}),
        ("q=ALPHA", {"alpha 周报"}),
        ("q=50%25", {"bravo 50% off"}),  # % is a character, not a wildcard
        ("q=_", {"foxtrot_500 off"}),  # so is _
        ("q=nothing-like-this", set()),
        ("status=scheduled,running&priority=high", {"alpha 周报", "delta"}),
    ],
)
def test_each_filter_narrows_the_list(
    client: FlaskClient, world: World, rows: list[Row], query: str, expected: set[str]
) -> None:
    body = listing(client, world.olga, query)
    assert {t["name"] for t in body["tasks"]} == expected
    assert body["total"] == len(expected)


def test_filter_by_group_creator_and_recipient(client: FlaskClient, world: World, rows: list[Row]) -> None:
    assert set(names(client, world.olga, f"groupId={world.groups[0]}")) == {"alpha 周报", "delta", "foxtrot_500 off"}
    assert set(names(client, world.olga, f"creatorId={world.ada.user_id}")) == {"charlie", "echo"}
    assert set(names(client, world.olga, f"recipientId={world.recipients[1]}")) == {"charlie", "delta"}
    both = f"groupId={world.groups[0]}&recipientId={world.recipients[1]}"
    assert names(client, world.olga, both) == ["delta"]
    assert names(client, world.olga, f"groupId={world.groups[99]}") == []


def _expected(rows: list[Row], key: str, descending: bool) -> list[str]:
    def value(row: Row) -> Any:
        if key == "scheduleTime":
            return datetime.fromisoformat(row.time).astimezone(UTC)
        if key == "status":
            return STATUS_ORDER.index(row.status)
        if key == "priority":
            return PRIORITY_RANK[row.priority]
        if key == "createdAt":
            return rows.index(row)
        if key == "updatedAt":
            return row.updated_rank
        return row.name

    # Ties break by id in the same direction (so the (…, created_at) index reads rows in order).
    return [r.name for r in sorted(rows, key=lambda r: (value(r), r.task_id), reverse=descending)]


@pytest.mark.parametrize("key", ["scheduleTime", "status", "priority", "createdAt", "updatedAt", "name"])
def test_every_sort_key_orders_both_ways(client: FlaskClient, world: World, rows: list[Row], key: str) -> None:
    assert names(client, world.olga, f"sort={key}") == _expected(rows, key, descending=False)
    assert names(client, world.olga, f"sort=-{key}") == _expected(rows, key, descending=True)


def test_status_sorts_in_lifecycle_order_not_alphabetically(client: FlaskClient, world: World, rows: list[Row]) -> None:
    statuses = [t["status"] for t in listing(client, world.olga, "sort=status")["tasks"]]
    assert statuses == STATUS_ORDER


def test_several_sort_keys_apply_in_turn(client: FlaskClient, world: World, rows: list[Row]) -> None:
    assert names(client, world.olga, "sort=-priority,scheduleTime") == [
        "delta",  # high, 03-04
        "alpha 周报",  # high, 03-05
        "foxtrot_500 off",  # medium, 03-06
        "charlie",  # medium, 03-09
        "bravo 50% off",  # low, 03-03
        "echo",  # low, 03-07
    ]


# ---- pages -------------------------------------------------------------------------------------


@pytest.fixture
def twenty_five(world: World, clock: FrozenClock, sessions: sessionmaker[Session]) -> list[str]:
    # All created at the same instant, so the default sort (newest first) ties on every row.
    now = clock()
    ids = [new_id() for _ in range(25)]
    with sessions() as db:
        db.execute(
            insert(Task),
            [
                {
                    "id": task_id,
                    "org_id": world.olga.org_id,
                    "creator_id": world.olga.user_id,
                    "name": f"任务{i:02d}",
                    "schedule_type": "once",
                    "schedule_time": now + timedelta(days=1),
                    "display_time": now + timedelta(days=1),
                    "timezone": "Asia/Shanghai",
                    "status": "draft",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, task_id in enumerate(ids)
            ],
        )
        db.commit()
    return ids


def test_pages_cover_every_task_once_even_when_the_sort_key_ties(
    client: FlaskClient, world: World, twenty_five: list[str]
) -> None:
    seen: list[str] = []
    sizes = []
    for page in range(1, 5):
        body = listing(client, world.olga, f"page={page}&limit=7")
        assert (body["total"], body["page"], body["limit"]) == (25, page, 7)
        sizes.append(len(body["tasks"]))
        seen += [t["taskId"] for t in body["tasks"]]
    assert sizes == [7, 7, 7, 4]
    assert sorted(seen) == sorted(twenty_five)


def test_a_page_beyond_the_end_is_empty_and_still_counts(
    client: FlaskClient, world: World, twenty_five: list[str]
) -> None:
    body = listing(client, world.olga, "page=5&limit=7")
    assert (body["tasks"], body["total"], body["page"]) == ([], 25, 5)


@pytest.mark.parametrize(("limit", "size"), [("1", 1), ("100", 25)])
def test_limit_between_1_and_100_sets_the_page_size(
    client: FlaskClient, world: World, twenty_five: list[str], limit: str, size: int
) -> None:
    body = listing(client, world.olga, f"limit={limit}")
    assert len(body["tasks"]) == size
    assert body["total"] == 25


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
    ],
)
def test_page_and_limit_outside_their_range_are_400(client: FlaskClient, world: World, query: str, field: str) -> None:
    response = client.get(f"/api/tasks?{query}", headers=world.olga.headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Invalid query"
    assert [d["field"] for d in body["details"]] == [field]


def test_deleted_tasks_leave_the_list_and_the_total(client: FlaskClient, world: World, rows: list[Row]) -> None:
    bravo = next(r for r in rows if r.status == "draft")
    assert client.delete(f"/api/tasks/{bravo.task_id}", headers=world.olga.headers).status_code == 200
    body = listing(client, world.olga)
    assert body["total"] == 5
    assert bravo.name not in [t["name"] for t in body["tasks"]]


def test_an_empty_page_size_is_refused_rather_than_guessed(client: FlaskClient, world: World) -> None:
    response = client.get("/api/tasks?limit=", headers=world.olga.headers)
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "limit"


# ---- large totals ------------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_large_total_is_reused_for_a_few_seconds_then_counted_again(
    world: World, twenty_five: list[str], sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    ticks = Ticks()
    totals = CountCache(ttl=3.0, exact_below=10, timer=ticks)
    olga = Actor(user_id=world.olga.user_id, org_id=world.olga.org_id, role="operator", name="olga")
    query = task_service.TaskQuery(limit=5)
    with sessions() as db:
        assert read_page(db, olga, query, totals=totals).total == 25
        db.execute(update(Task).where(Task.id == twenty_five[0]).values(deleted_at=clock()))
        db.commit()
        # Within the time-to-live the large total is the one counted a moment ago …
        assert read_page(db, olga, query, totals=totals).total == 25
        # … for this organisation and these filters only …
        assert read_page(db, olga, task_service.TaskQuery(limit=5, status=("draft",)), totals=totals).total == 24
        ticks.now += 3.0
        # … and counted again once it has expired.
        assert read_page(db, olga, query, totals=totals).total == 24


def test_a_small_total_is_always_exact(
    world: World, twenty_five: list[str], sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    totals = CountCache(ttl=60.0, exact_below=1_000, timer=Ticks())
    olga = Actor(user_id=world.olga.user_id, org_id=world.olga.org_id, role="operator", name="olga")
    with sessions() as db:
        assert read_page(db, olga, task_service.TaskQuery(limit=5), totals=totals).total == 25
        db.execute(update(Task).where(Task.id == twenty_five[0]).values(deleted_at=clock()))
        db.commit()
        assert read_page(db, olga, task_service.TaskQuery(limit=5), totals=totals).total == 24


def test_the_total_cache_stays_bounded() -> None:
    ticks = Ticks()
    totals = CountCache(ttl=3.0, exact_below=0, size=4, timer=ticks)
    for i in range(10):
        totals.put(("org", i), 100 + i)
    assert len(totals._entries) <= 4
    assert totals.get(("org", 9)) == 109
    ticks.now += 3.0
    assert totals.get(("org", 9)) is None
