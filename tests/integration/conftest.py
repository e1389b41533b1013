"""API fixtures: the real Flask app on a rolled-back database, with named personas.

Personas: in the school's organisation, Ada (admin), Olga (operator) and Victor (viewer);
in another organisation, Otto (operator) — who must never see or touch the school's tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from pushtask.app import create_app
from pushtask.config import Settings
from pushtask.models import Group, Organization, Recipient, User, new_id
from pushtask.runtime import Runtime
from pushtask.security import hash_password
from pushtask.wiring import build_runtime
from tests.support import FrozenClock

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def password_hash() -> str:
    # argon2 is slow on purpose; hash the personas' password once per run.
    return hash_password(PASSWORD)


@pytest.fixture
def runtime(sessions: sessionmaker[Session], clock: FrozenClock, tmp_path: Any) -> Runtime:
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", secret_key="k" * 40, max_body_bytes=256 * 1024)
    return build_runtime(settings, clock=clock, sessions=sessions)


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Persona:
    user_id: str
    org_id: str
    name: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """Two organisations with users, groups and recipients."""

    ada: Persona
    olga: Persona
    victor: Persona
    otto: Persona
    groups: list[str]
    group_names: dict[str, str]
    other_groups: list[str]
    recipients: list[str]
    other_recipients: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


def _org(db: Session, name: str, now: Any) -> Organization:
    # Approval is off here so task tests can schedule directly; tests/integration/test_previews.py turns it on.
    org = Organization(id=new_id(), name=name, timezone="Asia/Shanghai", approval_required=False, created_at=now)
    db.add(org)
    return org


def _user(
    db: Session, runtime: Runtime, org: Organization, wechat_id: str, name: str, role: str, password_hash: str
) -> Persona:
    now = runtime.clock()
    user = User(
        id=new_id(),
        org_id=org.id,
        wechat_id=wechat_id,
        name=name,
        role=role,
        password_hash=password_hash,
        tokens_valid_after=now - timedelta(seconds=1),
        created_at=now,
        updated_at=now,
    )
    db.add(user)
    token, _ = runtime.signer.issue(user.id, org.id, now)
    return Persona(user.id, org.id, name, role, token)


@pytest.fixture
def world(sessions: sessionmaker[Session], runtime: Runtime, password_hash: str) -> Iterator[World]:
    now = runtime.clock()
    db = sessions()
    school, shop = _org(db, "阳光小学", now), _org(db, "鲜果铺", now)
    db.flush()
    ada = _user(db, runtime, school, "ada", "Ada 管理员", "admin", password_hash)
    olga = _user(db, runtime, school, "olga", "Olga 老师", "operator", password_hash)
    victor = _user(db, runtime, school, "victor", "Victor 观察员", "viewer", password_hash)
    otto = _user(db, runtime, shop, "otto", "Otto 店长", "operator", password_hash)
    groups, names = [], {}
    for i in range(120):
        channel = ("wecom_appchat", "wecom_robot", "bot_bridge")[i % 3]
        group = Group(
            id=new_id(),
            org_id=school.id,
            name=f"家长群{i:03d}",
            channel=channel,
            channel_ref=f"ref-{i}",
            member_count=40 + i,
            created_at=now,
            updated_at=now,
        )
        db.add(group)
        groups.append(group.id)
        names[group.id] = group.name
    other_groups = []
    for i in range(3):
        group = Group(
            id=new_id(),
            org_id=shop.id,
            name=f"会员群{i}",
            channel="wecom_robot",
            channel_ref=f"shop-{i}",
            member_count=100,
            created_at=now,
            updated_at=now,
        )
        db.add(group)
        other_groups.append(group.id)
    recipients = []
    for name, wechat_id, channel in (("张老师", "zhang", "wecom"), ("李老师", "li", "miniprogram")):
        recipient = Recipient(
            id=new_id(),
            org_id=school.id,
            name=name,
            wechat_id=wechat_id,
            channel=channel,
            channel_user_id=wechat_id,
            created_at=now,
            updated_at=now,
        )
        db.add(recipient)
        recipients.append(recipient.id)
    other = Recipient(
        id=new_id(),
        org_id=shop.id,
        name="王经理",
        wechat_id="wang",
        channel="wecom",
        channel_user_id="wang",
        created_at=now,
        updated_at=now,
    )
    db.add(other)
    db.commit()
    db.close()
    yield World(ada, olga, victor, otto, groups, names, other_groups, recipients, [other.id])


def task_body(world: World, **overrides: Any) -> dict[str, Any]:
    """Return a valid create-task body (a scheduled weekly push to three groups), with overrides."""
    body: dict[str, Any] = {
        "name": "周一课程提醒",
        "schedule": {
            "type": "recurring",
            "time": "2026-03-09T18:00:00+08:00",
            "recurringInterval": "weekly",
            "weekdays": [1],
            "timezone": "Asia/Shanghai",
        },
        "content": {"text": "家长您好，明天 8:00 上课，请准时到校 😀"},
        "groups": world.groups[:3],
        "priority": "medium",
        "status": "scheduled",
        "previewRecipients": world.recipients[:1],
    }
    body.update(overrides)
    return body


def create_task(client: FlaskClient, persona: Persona, body: dict[str, Any]) -> str:
    response = client.post("/api/tasks", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    task_id: str = response.get_json()["taskId"]
    return task_id
