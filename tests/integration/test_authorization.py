"""Access rules generated from the route table: every route × every kind of caller.

A route added without a deliberate rule fails here: public routes must be listed in PUBLIC, and
every path parameter must be known, so the route can be called on a real object of the school.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from pushtask.api.base import ROUTES, RouteSpec
from pushtask.domain.actor import ROLE_RANK
from pushtask.models import User, new_id
from pushtask.runtime import Runtime
from tests.integration.conftest import World, create_task, task_body
from tests.support import FrozenClock

PUBLIC = {
    ("POST", "/api/auth/login"),
    ("GET", "/api/health"),
    # Authenticated by a signed, expiring per-group token instead of a sign-in (group members answer).
    ("POST", "/api/feedback"),
    # Authenticated by WeChat's signature and encryption (WXBizMsgCrypt), checked before anything else.
    ("GET", "/wechat/callback/<channel>"),
    ("POST", "/wechat/callback/<channel>"),
    # Authenticated by a single-use wx.login() code that WeChat vouches for (jscode2session).
    ("POST", "/api/auth/wechat"),
    # A signed, expiring, organisation-scoped link (for <img>), or else a bearer token checked in the view.
    ("GET", "/api/media/<media_id>"),
    # A group member's phone reports a card's open: the unguessable short-link code is the key, the call
    # only counts an open (never reads anything back), and it is rate-limited per address (issue 19).
    ("POST", "/api/links/<code>/open"),
}
ROUTE_IDS = [f"{spec.method} {spec.path}" for spec in ROUTES]


def _path(spec: RouteSpec, ids: dict[str, str]) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"<{m.group(1)}>", spec.path)
    for name in ("task_id", "push_id", "group_id", "recipient_id", "user_id", "template_id", "preview_id"):
        path = path.replace(f"<{name}>", ids.get(name, "00000000-0000-0000-0000-000000000000"))
    # An occurrence of task_body's weekly task (Mondays 18:00 Shanghai from 2026-03-09).
    path = path.replace("<fire_at>", "2026-03-16T18:00:00%2B08:00")
    path = path.replace("<key>", "A")  # an A/B variant key
    assert "<" not in path, f"unknown path parameter in {spec.path}: teach this test what to call it with"
    return path


def _call(client: FlaskClient, spec: RouteSpec, path: str, headers: dict[str, str]) -> int:
    response = client.open(path, method=spec.method, headers=headers, json={} if spec.method != "GET" else None)
    response.close()
    return response.status_code


@pytest.fixture
def other_admin(sessions: sessionmaker[Session], runtime: Runtime, world: World, password_hash: str) -> dict[str, str]:
    now = runtime.clock()
    with sessions() as db:
        user = User(
            id=new_id(),
            org_id=world.otto.org_id,
            wechat_id="otto-admin",
            name="Otto's admin",
            role="admin",
            password_hash=password_hash,
            tokens_valid_after=now - timedelta(seconds=1),
            created_at=now,
            updated_at=now,
        )
        db.add(user)
        db.commit()
    token, _ = runtime.signer.issue(user.id, world.otto.org_id, now)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("spec", ROUTES, ids=ROUTE_IDS)
def test_route_allows_exactly_its_role_in_its_own_organisation(
    spec: RouteSpec,
    client: FlaskClient,
    world: World,
    runtime: Runtime,
    clock: FrozenClock,
    other_admin: dict[str, str],
    db: Session,
) -> None:
    if spec.role is None:
        assert (spec.method, spec.path) in PUBLIC, f"{spec.method} {spec.path} is public: add it to PUBLIC on purpose"
        return
    task_id = create_task(client, world.olga, task_body(world))
    push = client.post("/api/push", json={"taskId": task_id}, headers=world.olga.headers).get_json()
    ids = {
        "task_id": task_id,
        "push_id": push["pushId"],
        "group_id": world.groups[-1],
        "recipient_id": world.recipients[-1],
        "user_id": world.victor.user_id,
    }
    path = _path(spec, ids)
    expired, _ = runtime.signer.issue(world.ada.user_id, world.ada.org_id, clock() - timedelta(days=1))
    forged = runtime.signer.issue(world.ada.user_id, world.ada.org_id, clock())[0][:-4] + "AAAA"
    for headers in (
        {},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ):
        assert _call(client, spec, path, headers) == 401, (spec.path, headers)
    if "operator" not in spec.scopes:
        # The reviewer's own routes: no operator's token, whatever its role, and the reviewer's does.
        for persona in (world.victor, world.olga, world.ada, world.otto):
            assert _call(client, spec, path, persona.headers) == 403, (spec.path, persona.role)
        reviewer, _ = runtime.signer.issue(world.recipients[1], world.olga.org_id, clock(), scope="reviewer")
        status = _call(client, spec, path, {"Authorization": f"Bearer {reviewer}"})
        assert status not in (401, 403) and status < 500, (spec.path, status)
        return
    outsider = other_admin if spec.role == "admin" else world.otto.headers
    outsider_status = _call(client, spec, path, outsider)
    if "<" in spec.path:
        # A body missing a required field is refused before the path is looked at, alike for every caller.
        body_refused = outsider_status == 400 and bool(spec.body and spec.body.model_json_schema().get("required"))
        assert outsider_status == 404 or body_refused, f"another organisation must not even see {spec.path}"
    else:
        assert outsider_status not in (401, 403, 500)
    personas = [world.victor, world.olga, world.ada]
    for persona in personas:
        status = _call(client, spec, path, persona.headers)
        if ROLE_RANK[persona.role] < ROLE_RANK[spec.role]:
            assert status == 403, (spec.path, persona.role, status)
        else:
            assert status not in (401, 403) and status < 500, (spec.path, persona.role, status)
            return  # the first allowed role proved access; stronger roles would only repeat destructive calls


def test_every_documented_operation_is_in_the_route_table(client: FlaskClient) -> None:
    spec: dict[str, Any] = client.get("/api/openapi.json").get_json()
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    declared = {(s.method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", s.path)) for s in ROUTES}
    assert documented == declared
    assert len(declared) == len(ROUTES), "no route declared twice"


@pytest.mark.parametrize("scope", ["reviewer", "member"])
@pytest.mark.parametrize("spec", [s for s in ROUTES if s.role is not None], ids=lambda s: f"{s.method} {s.path}")
def test_a_wechat_token_reaches_only_the_routes_that_admit_its_scope(
    spec: RouteSpec, scope: str, client: FlaskClient, world: World, runtime: Runtime, clock: FrozenClock
) -> None:
    subject = world.recipients[1] if scope == "reviewer" else "m_parent"
    org = world.olga.org_id if scope == "reviewer" else ""
    token, _ = runtime.signer.issue(subject, org, clock(), scope=scope)
    path = _path(spec, {"preview_id": new_id()})
    status = _call(client, spec, path, {"Authorization": f"Bearer {token}"})
    if scope in spec.scopes:
        assert status not in (401, 403) and status < 500, (spec.path, status)
    else:
        assert status == 403, (spec.path, scope, status)
