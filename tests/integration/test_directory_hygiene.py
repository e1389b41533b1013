"""Directory hygiene: no duplicate groups or recipients, no control characters; 0008 resolves old duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from pushtask.db import create_db_engine
from pushtask.infra import fieldcrypt
from pushtask.migrations import upgrade
from tests.conftest import _mariadb_engine
from tests.integration.conftest import World

RECIPIENT = {"name": "张老师", "wechatId": "zhang_laoshi", "channel": "wecom", "channelUserId": "ZhangLaoShi"}
GROUP = {"name": "三年级1班", "channel": "wecom_robot", "channelRef": "robot-key-3-1", "memberCount": 40}


def test_the_same_recipient_twice_is_a_409_with_a_reason(client: FlaskClient, world: World) -> None:
    first = client.post("/api/recipients", json=RECIPIENT, headers=world.ada.headers)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/recipients", json={**RECIPIENT, "name": "张老师2"}, headers=world.ada.headers)
    assert again.status_code == 409
    assert "张老师" in again.get_json()["reason"]
    # Another channel user id is another recipient; a deleted one may be added again.
    other = client.post("/api/recipients", json={**RECIPIENT, "channelUserId": "Zhang2"}, headers=world.ada.headers)
    assert other.status_code == 201
    moved = client.put(
        f"/api/recipients/{other.get_json()['id']}", json={"channelUserId": "ZhangLaoShi"}, headers=world.ada.headers
    )
    assert moved.status_code == 409
    client.delete(f"/api/recipients/{first.get_json()['id']}", headers=world.ada.headers)
    assert client.post("/api/recipients", json=RECIPIENT, headers=world.ada.headers).status_code == 201


def test_the_same_group_twice_is_a_409_with_a_reason(client: FlaskClient, world: World) -> None:
    first = client.post("/api/groups", json=GROUP, headers=world.ada.headers)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/groups", json={**GROUP, "name": "别名"}, headers=world.ada.headers)
    assert again.status_code == 409
    assert "三年级1班" in again.get_json()["reason"]
    assert (
        client.post("/api/groups", json={**GROUP, "channel": "bot_bridge"}, headers=world.ada.headers).status_code
        == 201
    )
    client.delete(f"/api/groups/{first.get_json()['id']}", headers=world.ada.headers)
    assert client.post("/api/groups", json=GROUP, headers=world.ada.headers).status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/recipients", {**RECIPIENT, "name": "张\x0c老师"}, "name"),
        ("/api/recipients", {**RECIPIENT, "wechatId": "zhang\x1a"}, "wechatId"),
        ("/api/groups", {**GROUP, "name": "三年级\x1a1班"}, "name"),
    ],
)
def test_control_characters_are_refused_with_a_field_message(
    client: FlaskClient, world: World, path: str, body: dict[str, object], field: str
) -> None:
    answer = client.post(path, json=body, headers=world.ada.headers)
    assert answer.status_code == 400
    details = answer.get_json()["details"]
    assert [d["field"] for d in details] == [field]
    assert "控制字符" in details[0]["message"]


# ---- migration 0008 ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "mariadb":
        yield from _mariadb_engine(revision="0006")
        return
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0006")
    yield engine
    engine.dispose()


def test_0008_merges_identical_duplicates_and_keeps_differing_ones(at_0006: Engine) -> None:
    ring = fieldcrypt.current()
    now = datetime(2026, 3, 1, 9, 0)

    def recipient(rid: str, name: str, minute: int) -> dict[str, object]:
        return {
            "id": rid,
            "name": name,
            "w": ring.encrypt("zhang_laoshi", "t_recipients.wechat_id"),
            "wh": ring.lookup_hash("zhang_laoshi", "t_recipients.wechat_id"),
            "u": ring.encrypt("ZhangLaoShi", "t_recipients.channel_user_id"),
            "uh": ring.lookup_hash("ZhangLaoShi", "t_recipients.channel_user_id"),
            "t": now.replace(minute=minute),
        }

    with at_0006.begin() as conn:
        conn.execute(
            text("INSERT INTO t_orgs (id, name, timezone, approval_required, created_at) VALUES ('o1','S','UTC',1,:t)"),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO t_users (id, org_id, wechat_id, name, role, password_hash, tokens_valid_after,"
                " created_at, updated_at) VALUES ('u1', 'o1', 'admin', 'A', 'admin', 'x', :t, :t, :t)"
            ),
            {"t": now},
        )
        for task_id in ("t1", "t2"):
            conn.execute(
                text(
                    "INSERT INTO t_tasks (id, org_id, name, schedule_type, schedule_time, timezone, `interval`,"
                    " content_version, priority, status, preview_state, creator_id, display_time, created_at,"
                    " updated_at)"
                    " VALUES (:id, 'o1', 'T', 'once', :t, 'UTC', 0, 1, 2, 'draft', 'none', 'u1', :t, :t, :t)"
                ),
                {"id": task_id, "t": now},
            )
        for gid, name, minute in (("g1", "一班", 1), ("g2", "一班", 2), ("g3", "一班（旧）", 3)):
            conn.execute(
                text(
                    "INSERT INTO t_groups (id, org_id, name, channel, channel_ref, member_count, created_at,"
                    " updated_at) VALUES (:id, 'o1', :n, 'wecom_robot', :r, 40, :t, :t)"
                ),
                {
                    "id": gid,
                    "n": name,
                    "r": ring.encrypt("robot-1", "t_groups.channel_ref"),
                    "t": now.replace(minute=minute),
                },
            )
        for row in (recipient("r1", "张老师", 1), recipient("r2", "张老师", 2), recipient("r3", "张老师（家长）", 3)):
            conn.execute(
                text(
                    "INSERT INTO t_recipients (id, org_id, name, wechat_id, wechat_id_hash, channel, channel_user_id,"
                    " channel_user_id_hash, created_at, updated_at)"
                    " VALUES (:id, 'o1', :name, :w, :wh, 'wecom', :u, :uh, :t, :t)"
                ),
                row,
            )
        conn.execute(text("INSERT INTO t_task_groups (task_id, group_id, position) VALUES ('t1', 'g2', 0)"))
        conn.execute(text("INSERT INTO t_task_groups (task_id, group_id, position) VALUES ('t2', 'g1', 0)"))
        conn.execute(text("INSERT INTO t_task_groups (task_id, group_id, position) VALUES ('t2', 'g2', 1)"))
        conn.execute(text("INSERT INTO t_task_recipients (task_id, recipient_id, position) VALUES ('t1', 'r2', 0)"))

    upgrade(at_0006)

    with at_0006.connect() as conn:
        groups = dict(conn.execute(text("SELECT id, deleted_at IS NULL FROM t_groups")).tuples().all())
        recipients = dict(conn.execute(text("SELECT id, deleted_at IS NULL FROM t_recipients")).tuples().all())
        links = sorted(conn.execute(text("SELECT task_id, group_id FROM t_task_groups")).tuples().all())
        reviewers = conn.execute(text("SELECT recipient_id FROM t_task_recipients")).scalars().all()
    # Identical rows merged into the oldest, references repointed (a link it already had dropped) …
    assert {k: bool(v) for k, v in groups.items()} == {"g1": True, "g2": False, "g3": True}
    assert {k: bool(v) for k, v in recipients.items()} == {"r1": True, "r2": False, "r3": True}
    assert links == [("t1", "g1"), ("t2", "g1")]
    assert reviewers == ["r1"]
    # … rows that differ are both kept and usable, and a new duplicate is refused by the index.
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), at_0006.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO t_groups (id, org_id, name, channel, channel_ref, channel_ref_hash, member_count,"
                " created_at, updated_at, live) VALUES ('g4', 'o1', 'x', 'wecom_robot', 'x', :h, 1, :t, :t, 1)"
            ),
            {"h": ring.lookup_hash("robot-1", "t_groups.channel_ref"), "t": now},
        )
