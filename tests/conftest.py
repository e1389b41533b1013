"""Fixtures for every level: databases migrated once per run, a transaction rolled back per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pushtask.db import create_db_engine
from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import KeyRing
from pushtask.migrations import upgrade
from tests.support import FrozenClock, mariadb_url

TEST_KEYS = KeyRing.generate_entry("test")


@pytest.fixture(scope="session", autouse=True)
def encryption_keys() -> str:
    """A key ring for rows written without a runtime (a runtime installs its own)."""
    fieldcrypt.install(KeyRing.parse(TEST_KEYS))
    return TEST_KEYS


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def _mariadb_engine(revision: str = "head") -> Iterator[Engine]:
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    base = make_url(url)
    # Each run gets its own database so parallel runs (and other projects) never collide.
    name = f"{base.database or 'test'}_pt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = create_engine(base.set(database=None) if base.database else base, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except SQLAlchemyError as exc:
        where = base.render_as_string(hide_password=True)
        if os.environ.get("PUSHTASK_TEST_DATABASE_URL"):
            # The URL was given on purpose (CI sets it): not reaching it is a failure, not a skip.
            raise RuntimeError(f"PUSHTASK_TEST_DATABASE_URL={where} is set but unusable: {exc}") from exc
        pytest.skip(f"cannot create a test database on {where}")
    engine = create_db_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "pushtask.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mariadb_engine() -> Iterator[Engine]:
    yield from _mariadb_engine()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated database engine: each test runs once on SQLite and once on MariaDB."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "mariadb_engine"
    result: Engine = request.getfixturevalue(fixture)
    return result


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits only release a SAVEPOINT of the test's transaction."""
    return sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    session = sessions()
    yield session
    session.close()
