"""WeCom customer groups through the API: directory sync from the sandbox, owners, removed groups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from pushtask import cli
from pushtask.config import load_settings
from pushtask.db import unit_of_work
from pushtask.infra import fieldcrypt
from pushtask.migrations import upgrade
from pushtask.models import Organization
from pushtask.runtime import Runtime
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.sandbox.customer_group_api import add_msg_template, owner_sends
from pushtask.sandbox.directory import CUSTOMER_GROUPS, DEFAULT_AGENT_ID, DEFAULT_CORP_ID
from pushtask.services.bootstrap import ensure_initial_data
from pushtask.wiring import build_runtime

from .conftest import World, task_body


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=11))
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle, runtime: Runtime) -> Iterator[SandboxHandle]:
    sandbox_server.state.reset()
    runtime.sandbox_url = sandbox_server.url
    yield sandbox_server
    if runtime.wechat_link is not None:
        runtime.wechat_link.close()


def customer_groups(client: FlaskClient, world: World) -> dict[str, dict[str, object]]:
    rows = client.get("/api/groups?limit=500", headers=world.ada.headers).get_json()["groups"]
    return {str(g["name"]): g for g in rows if g["channel"] == "wecom_customer_group"}


def test_admin_syncs_customer_groups_and_a_group_gone_from_wecom_is_marked(
    client: FlaskClient, world: World, sandbox: SandboxHandle
) -> None:
    first = client.post("/api/groups/sync", json={"channel": "wecom_customer_group"}, headers=world.ada.headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"imported": 3, "updated": 0, "removed": 0}
    groups = customer_groups(client, world)
    assert groups["阳光小区业主群"]["ownerUserid"] == "lisi" and groups["阳光小区业主群"]["memberCount"] == 230
    with sandbox.state.lock:
        del sandbox.state.groups[CUSTOMER_GROUPS[0]]
        sandbox.state.groups[CUSTOMER_GROUPS[2]].name = "阳光小区业主群（新）"
    second = client.post("/api/groups/sync", json={"channel": "wecom_customer_group"}, headers=world.ada.headers)
    assert second.get_json() == {"imported": 0, "updated": 1, "removed": 1}
    groups = customer_groups(client, world)
    assert groups["三年级1班家长群"]["removedFromWecom"] is True  # kept, marked
    assert "阳光小区业主群（新）" in groups


def test_only_admins_sync_and_bad_channel_is_400(client: FlaskClient, world: World, sandbox: SandboxHandle) -> None:
    assert (
        client.post(
            "/api/groups/sync", json={"channel": "wecom_customer_group"}, headers=world.olga.headers
        ).status_code
        == 403
    )
    bad = client.post("/api/groups/sync", json={"channel": "wecom_robot"}, headers=world.ada.headers)
    assert bad.status_code == 400 and bad.get_json()["details"][0]["field"] == "channel"


def test_a_wecom_refusal_is_409_with_the_reason_in_chinese(
    client: FlaskClient, world: World, sandbox: SandboxHandle
) -> None:
    sandbox.state.add_fault(endpoint="externalcontact/groupchat/list", errcode=60020)
    answer = client.post("/api/groups/sync", json={"channel": "wecom_customer_group"}, headers=world.ada.headers)
    assert answer.status_code == 409
    assert "60020" in answer.get_json()["reason"] and "可信 IP" in answer.get_json()["reason"]


def test_a_customer_group_needs_its_owner(client: FlaskClient, world: World) -> None:
    body = {"name": "客户群", "channel": "wecom_customer_group", "channelRef": "wrX"}
    missing = client.post("/api/groups", json=body, headers=world.ada.headers)
    assert missing.status_code == 400 and missing.get_json()["details"][0]["field"] == "ownerUserid"
    assert (
        client.post("/api/groups", json={**body, "ownerUserid": "lisi"}, headers=world.ada.headers).status_code == 201
    )


def test_cli_groups_sync_imports_from_a_running_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sandbox_server: SandboxHandle
) -> None:
    monkeypatch.setenv("PUSHTASK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PUSHTASK_DATABASE_URL", raising=False)
    monkeypatch.delenv("PUSHTASK_ENCRYPTION_KEYS", raising=False)
    sandbox_server.state.reset()
    test_ring = fieldcrypt.current()
    try:
        rt = build_runtime(load_settings())
        assert rt.engine is not None
        upgrade(rt.engine)
        with unit_of_work(rt.sessions) as db:
            ensure_initial_data(
                db,
                rt.clock(),
                admin_password="p" * 12,
                demo_data=False,
                timezone="Asia/Shanghai",
                approval_required=True,
            )
        rt.engine.dispose()
        assert cli.main(["groups", "sync", "--sandbox-url", sandbox_server.url]) == 0
        assert json.loads(capsys.readouterr().out) == {"imported": 3, "updated": 0, "removed": 0}
        assert cli.main(["groups", "sync", "--sandbox-url", sandbox_server.url]) == 0
        assert json.loads(capsys.readouterr().out) == {"imported": 0, "updated": 0, "removed": 0}
    finally:
        fieldcrypt.install(test_ring)


def test_with_wechatbot_webhook_two_bridge_groups_cannot_share_a_name(
    client: FlaskClient, world: World, runtime: Runtime
) -> None:
    runtime.settings = runtime.settings.with_overrides(bridge_protocol="wechatbot-webhook")
    body = {"name": "周末读书会", "channel": "bot_bridge", "channelRef": "1@chatroom"}
    assert client.post("/api/groups", json=body, headers=world.ada.headers).status_code == 201
    twin = client.post("/api/groups", json={**body, "channelRef": "2@chatroom"}, headers=world.ada.headers)
    assert twin.status_code == 400
    [problem] = twin.get_json()["details"]
    assert problem["field"] == "name" and "wechatbot-webhook" in problem["message"]


def _sync(client: FlaskClient, world: World) -> dict[str, str]:
    assert (
        client.post("/api/groups/sync", json={"channel": "wecom_customer_group"}, headers=world.ada.headers).status_code
        == 200
    )
    return {str(name): str(g["groupId"]) for name, g in customer_groups(client, world).items()}


def daily(start: str) -> dict[str, object]:
    return {"type": "recurring", "time": start, "recurringInterval": "daily", "timezone": "Asia/Shanghai"}


def test_quota_warning_names_the_group_and_the_date_over_the_monthly_cap(
    client: FlaskClient, world: World, sandbox: SandboxHandle
) -> None:
    ids = _sync(client, world)
    resident, parents = ids["阳光小区业主群"], ids["三年级1班家长群"]
    # Another task already pushes to the residents' group every morning from 3 March.
    other = task_body(world, groups=[resident], schedule=daily("2026-03-03T08:00:00+08:00"), previewRecipients=[])
    first = client.post("/api/tasks", json=other, headers=world.olga.headers)
    assert first.status_code == 201 and "quotaWarnings" not in first.get_json()
    # A second daily push from today: March has 31 days, so WeCom's cap is 31 mass sends a group.
    body = {
        "content": {"text": "晚间提醒"},
        "groups": [parents, resident],
        "schedule": daily("2026-03-02T18:00:00+08:00"),
    }
    answer = client.post("/api/preview/validate", json=body, headers=world.olga.headers)
    assert answer.status_code == 200, answer.get_json()
    [warning] = answer.get_json()["quotaWarnings"]
    assert (warning["groupName"], warning["date"], warning["limit"]) == ("阳光小区业主群", "2026-03-18", 31)
    assert "阳光小区业主群" in warning["message"] and "2026-03-18" in warning["message"]
    created = client.post("/api/tasks", json=task_body(world, **body, previewRecipients=[]), headers=world.olga.headers)
    assert created.status_code == 201
    assert [w["groupName"] for w in created.get_json()["quotaWarnings"]] == ["阳光小区业主群"]


def test_quota_counts_what_wecom_reports_and_the_org_cap(
    client: FlaskClient, world: World, sandbox: SandboxHandle, runtime: Runtime, sessions: sessionmaker[Session]
) -> None:
    ids = _sync(client, world)
    with sessions() as db:
        db.execute(
            update(Organization).where(Organization.id == world.ada.org_id).values(customer_group_cap="1_per_day")
        )
        db.commit()
    state = sandbox.state
    original = state.clock
    state.clock = lambda: runtime.clock().timestamp()  # the sandbox's WeCom lives at the same instant
    try:
        # Someone mass-sent to the residents' group from the WeCom console this morning.
        with state.lock:
            add_msg_template(
                state,
                state.tokens.wecom(f"{DEFAULT_CORP_ID}:{DEFAULT_AGENT_ID}", state.clock())[0],
                {
                    "chat_type": "group",
                    "sender": "lisi",
                    "chat_id_list": [CUSTOMER_GROUPS[2]],
                    "text": {"content": "x"},
                },
            )
            owner_sends(state, "lisi")
        body = {
            "content": {"text": "今晚停水通知"},
            "groups": [ids["三年级1班家长群"], ids["阳光小区业主群"]],
            "schedule": {"type": "once", "time": "2026-03-02T20:00:00+08:00"},
        }
        answer = client.post("/api/preview/validate", json=body, headers=world.olga.headers).get_json()
    finally:
        state.clock = original
    [warning] = answer["quotaWarnings"]
    assert (warning["groupName"], warning["date"], warning["count"], warning["cap"]) == (
        "阳光小区业主群",
        "2026-03-02",
        2,
        "1_per_day",
    )
