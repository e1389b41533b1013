"""Processes started while the database is down wait for it; an outage is reported with its own length.

A MariaDB of this test's own (tests/acceptance/private_servers.py) is stopped, `pushtask worker` and
`pushtask api` are started against it, and started again later: both wait with a line in Chinese and
English instead of exiting rc=1 from the migration, and run once it is back. Then, with the API
running, the database goes away for a few seconds while nobody calls the API: the "database
available again after N s" line must give the outage's length, not the time until the next request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bench.fleet import Fleet, free_port
from tests.acceptance.private_servers import PrivateMariaDB, missing_binaries

pytestmark = [pytest.mark.acceptance, pytest.mark.slow]

AGAIN = re.compile(r"database available again after ([0-9.]+) s")


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


@pytest.fixture
def stopped_db(tmp_path: Path) -> Iterator[tuple[PrivateMariaDB, Fleet]]:
    reason = missing_binaries()
    if reason:
        pytest.skip(reason)
    (tmp_path / "mariadb").mkdir()
    (tmp_path / "fleet").mkdir()
    db = PrivateMariaDB(tmp_path / "mariadb")
    try:
        db.start()
        fleet = Fleet(server_url=db.url, workdir=tmp_path / "fleet")
        fleet.env["PUSHTASK_LOG_LEVEL"] = "INFO"
        fleet.env["PUSHTASK_API_WORKERS"] = "1"
        try:
            fleet.create_database()
            fleet.start_sandbox()
            db.stop()
            yield db, fleet
        finally:
            if db.process is None or db.process.poll() is not None:
                db.start()  # so that the fleet can drop its database
            fleet.close()
    finally:
        db.stop()


def _log(fleet: Fleet, name: str) -> str:
    path = fleet.workdir / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def _health(url: str) -> int:
    try:
        return requests.get(f"{url}/api/health", timeout=5).status_code
    except requests.RequestException:
        return 0


def test_worker_and_api_started_while_the_database_is_down_wait_and_report_the_outage(
    stopped_db: tuple[PrivateMariaDB, Fleet],
) -> None:
    db, fleet = stopped_db
    started = time.monotonic()
    worker = fleet.start_worker()
    port = free_port()
    fleet.api = fleet._spawn("api", ["api", "--host", "127.0.0.1", "--port", str(port)], fleet.process_env())
    url = f"http://127.0.0.1:{port}"

    # Both say, in both languages, that they wait and what to check; neither exits.
    first_failure: dict[str, float] = {}
    while len(first_failure) < 2 and time.monotonic() - started < 60:
        for name in ("worker-0", "api"):
            if name not in first_failure and "waiting for it" in _log(fleet, name):
                first_failure[name] = time.monotonic()
        time.sleep(0.1)
    assert len(first_failure) == 2, (_log(fleet, "worker-0")[-2000:], _log(fleet, "api")[-2000:])
    for name in ("worker-0", "api"):
        text = _log(fleet, name)
        assert "启动时无法连接数据库" in text and "PUSHTASK_DATABASE_URL" in text, text[-2000:]
    time.sleep(4)  # a few backoff rounds: still waiting, not exited
    assert worker.poll() is None, _log(fleet, "worker-0")[-2000:]
    assert fleet.api.poll() is None, _log(fleet, "api")[-2000:]
    assert "PushTask worker" not in _log(fleet, "worker-0")

    db.start()
    listening = time.monotonic()
    wait_for("the worker running", lambda: "running (channels" in _log(fleet, "worker-0"), timeout=60)
    wait_for("the API answering", lambda: _health(url) == 200, timeout=60)
    for name in ("worker-0", "api"):
        match = AGAIN.search(_log(fleet, name))
        assert match, _log(fleet, name)[-2000:]
        # Measured from the first failed attempt to the first successful one (backoff ≤ 2 s).
        down_for = listening - first_failure[name]
        assert down_for - 1 <= float(match.group(1)) <= down_for + 3, (name, match.group(0), down_for)

    # Now an outage while the API runs and nobody calls it after the first failure.
    before = len(AGAIN.findall(_log(fleet, "api")))
    db.stop()
    assert _health(url) == 503  # the first failure: the outage starts here
    failed_at = time.monotonic()
    time.sleep(5)
    db.start()
    outage = time.monotonic() - failed_at
    time.sleep(8)  # no request in between: the old code only noticed at the next request
    wait_for("the API's outage line", lambda: len(AGAIN.findall(_log(fleet, "api"))) > before, timeout=10)
    reported = float(AGAIN.findall(_log(fleet, "api"))[before])
    assert outage - 2 <= reported <= outage + 2, (reported, outage)
    assert _health(url) == 200
    assert fleet.stop_workers() == [0]
