"""A process started while the database is down waits with backoff, says so in both languages, and
reports how long the outage lasted from its first failed attempt (tests/acceptance/test_start_while_db_down.py
does the same with real processes and a real MariaDB)."""

from __future__ import annotations

import logging

import pymysql
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from pushtask.db import _OUTAGES, _probe_until_back, wait_for_database
from pushtask.infra.outage import Outage
from pushtask.wechat.clock import FakeClock

LOG = logging.getLogger("pushtask.db")


def _down() -> OperationalError:
    return OperationalError("SELECT 1", {}, pymysql.err.OperationalError(2003, "Can't connect to MySQL server"))


def test_start_waits_with_backoff_and_reports_the_outage_from_the_first_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    engine = create_engine("sqlite://")
    _OUTAGES[engine] = Outage("database", LOG, meanwhile="…", clock=clock)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    def connect() -> None:
        if len(waits) < 6:
            raise _down()

    caplog.set_level(logging.WARNING, logger="pushtask.db")
    assert wait_for_database(engine, connect=connect, sleep=sleep) == 6
    assert waits == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "启动时无法连接数据库" in lines[0] and "The database is not reachable at start" in lines[0]
    assert "PUSHTASK_DATABASE_URL" in lines[0] and "OperationalError" in lines[0]
    assert lines[1] == "database available again after 7.8 s (6 failed call(s) meanwhile)"


def test_a_database_that_answers_with_an_error_is_not_waited_for() -> None:
    engine = create_engine("sqlite://")
    denied = OperationalError("SELECT 1", {}, pymysql.err.OperationalError(1045, "Access denied"))

    def connect() -> None:
        raise denied

    with pytest.raises(OperationalError):
        wait_for_database(engine, connect=connect, sleep=lambda _s: None)


def test_while_down_a_probe_notices_the_return_without_any_request(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    outage = Outage("database", LOG, meanwhile="…", clock=clock)
    caplog.set_level(logging.WARNING, logger="pushtask.db")
    outage.failed(_down())
    back_at = clock() + 15

    def sleep(seconds: float) -> None:
        clock.advance(seconds)

    def connect() -> None:
        if clock() < back_at:
            raise _down()
        outage.succeeded()  # what the pool's connect event does

    _probe_until_back(outage, 0.5, sleep=sleep, connect=connect)
    assert caplog.records[-1].getMessage().startswith("database available again after 15.0 s")
