"""Property-based fuzzing of every documented operation against a live `pushtask serve`.

Schemathesis generates requests from /api/openapi.json (valid and invalid ones); the server must
never answer 5xx, and every answer must match the documented status codes and schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from pushtask.api.openapi import build_openapi
from pushtask.app import create_app  # noqa: F401 — importing the app registers every route
from tests.acceptance.conftest import ADMIN_PASSWORD, Server, start_serve

pytestmark = pytest.mark.acceptance

schema = schemathesis.openapi.from_dict(build_openapi())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    server = start_serve(Path(tmp_path_factory.mktemp("fuzz")), env={"PUSHTASK_APPROVAL_REQUIRED": "0"})
    token = requests.post(
        f"{server.url}/api/auth/login", json={"wechatId": "admin", "password": ADMIN_PASSWORD}, timeout=10
    ).json()["token"]
    yield server, {"Authorization": f"Bearer {token}"}
    server.stop()


@schema.parametrize()
# Derandomized: the same examples every run, so CI is reproducible; run with a seed locally to explore.
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_schema(
    case: schemathesis.Case, live: tuple[Server, dict[str, str]]
) -> None:
    server, headers = live
    if case.path in ("/api/auth/logout", "/api/auth/refresh") or (case.method == "DELETE" and "users" in case.path):
        # Signing the fuzzer's own admin out (or deleting users) would turn every later case into a 401.
        pytest.skip("would end the fuzzing session")
    # Schema-valid data may still break a business rule (a time in the past, an unknown group id, a WeChat
    # ID in use): those are 400 with a field message by design, so "valid data must be accepted" is off.
    excluded: list[Any] = []
    if case.path == "/api/feedback":
        # The public feedback route refuses oversized bodies (413) before reading them, by design.
        excluded.append(schemathesis.checks.negative_data_rejection)
    case.call_and_validate(base_url=server.url, headers=headers, excluded_checks=excluded)
