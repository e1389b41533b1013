"""Signing in and out, and what a token lets a person do."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.integration.conftest import PASSWORD, World
from tests.support import FrozenClock


def test_login_returns_a_token_that_opens_the_api(client: FlaskClient, world: World) -> None:
    response = client.post("/api/auth/login", json={"wechatId": "olga", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == world.olga.user_id
    assert body["user"]["role"] == "operator"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["user"]["wechatId"] == "olga"


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient, world: World) -> None:
    wrong = client.post("/api/auth/login", json={"wechatId": "olga", "password": "nope"})
    unknown = client.post("/api/auth/login", json={"wechatId": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() == {"error": "Invalid credentials"}


def test_logout_revokes_the_token_at_once(client: FlaskClient, world: World) -> None:
    assert client.post("/api/auth/logout", headers=world.olga.headers).status_code == 200
    assert client.get("/api/tasks", headers=world.olga.headers).status_code == 401


def test_expired_token_is_refused(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    clock.advance(hours=9)
    response = client.get("/api/tasks", headers=world.olga.headers)
    assert response.status_code == 401
    assert "重新登录" in response.get_json()["reason"]


def test_password_change_ends_existing_sessions(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    clock.advance(seconds=5)
    response = client.put(
        f"/api/users/{world.olga.user_id}", json={"password": "a-new-password"}, headers=world.ada.headers
    )
    assert response.status_code == 200
    assert client.get("/api/tasks", headers=world.olga.headers).status_code == 401
    again = client.post("/api/auth/login", json={"wechatId": "olga", "password": "a-new-password"})
    assert again.status_code == 200


def test_requests_without_a_token_are_refused(client: FlaskClient, world: World) -> None:
    for path in ("/api/tasks", "/api/groups", "/api/recipients", "/api/users", "/api/auth/me"):
        response = client.get(path)
        assert response.status_code == 401, path
    forged = client.get("/api/tasks", headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401
