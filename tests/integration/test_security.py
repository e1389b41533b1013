"""Sign-in throttling, token refresh and the headers every answer carries."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.integration.conftest import PASSWORD, World
from tests.support import FrozenClock


def _login(client: FlaskClient, wechat_id: str, password: str) -> tuple[int, dict[str, str], dict[str, object]]:
    response = client.post("/api/auth/login", json={"wechatId": wechat_id, "password": password})
    return response.status_code, dict(response.headers), response.get_json()


def test_five_wrong_passwords_then_a_growing_wait_with_retry_after(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    for _ in range(5):
        assert _login(client, "olga", "wrong")[0] == 401
    status, headers, body = _login(client, "olga", PASSWORD)  # even the right password waits now
    assert status == 429
    assert headers["Retry-After"] == "2"
    assert "秒后再试" in str(body["reason"])
    clock.advance(seconds=2)
    assert _login(client, "olga", "wrong")[0] == 401
    status, headers, _ = _login(client, "olga", "wrong")
    assert status == 429 and headers["Retry-After"] == "4", "the wait doubles with each further failure"
    clock.advance(seconds=4)
    assert _login(client, "olga", PASSWORD)[0] == 200


def test_unknown_accounts_are_throttled_exactly_like_real_ones(client: FlaskClient, world: World) -> None:
    answers = []
    for account in ("olga", "nobody-here"):
        for _ in range(5):
            _login(client, account, "wrong")
        status, headers, body = _login(client, account, "wrong")
        answers.append((status, headers.get("Retry-After"), body["error"]))
    assert answers[0] == answers[1] == (429, "2", "Too many attempts")


def test_refresh_gives_a_new_token_and_retires_the_old_one(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    clock.advance(hours=7)
    response = client.post("/api/auth/refresh", headers=world.olga.headers)
    assert response.status_code == 200
    fresh = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert client.get("/api/tasks", headers=world.olga.headers).status_code == 401
    clock.advance(hours=2)  # past the old token's expiry, within the new one's
    assert client.get("/api/tasks", headers=fresh).status_code == 200


def test_every_answer_carries_the_security_headers(client: FlaskClient, world: World) -> None:
    for path in ("/api/health", "/api/tasks", "/api/docs", "/api/nope"):
        response = client.get(path, headers=world.olga.headers)
        response.close()
        csp = response.headers["Content-Security-Policy"]
        assert (
            "frame-ancestors 'none'" in csp
            and "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Access-Control-Allow-Origin" not in response.headers, "CORS is off"
