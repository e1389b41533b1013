"""Create the database engine and session factory for SQLite or MariaDB/MySQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from pushtask.infra.outage import Outage

log = logging.getLogger("pushtask.db")
OUTAGE_MEANWHILE = (
    "reconnecting by itself: API requests are answered 503 with Retry-After, and workers keep their sends "
    "in flight and record them when it is back; check the database server"
)


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine tuned for the backend the URL names.

    `hide_parameters`: bound values (names, WeChat IDs, feedback text) stay out of the error messages
    that end up in logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    if parsed.drivername in {"mysql", "mariadb"}:
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    query = dict(parsed.query)
    query.setdefault("charset", "utf8mb4")
    parsed = parsed.set(query=query)
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
        hide_parameters=True,
    )
    # One line when the server goes away and one when it is back, instead of one per failed call.
    watch_availability(engine, Outage("database", log, meanwhile=OUTAGE_MEANWHILE))
    return engine


# MySQL/MariaDB codes that mean "the server is not there or not answering", as opposed to an error
# in the statement: too many connections, shutdown in progress, connection killed, can't connect
# (socket, TCP, unknown host), server gone away, lost connection, and their relatives.
_UNREACHABLE_CODES = frozenset({1040, 1053, 1927, 2002, 2003, 2005, 2006, 2013, 2014, 2045, 2055, 4031})


def is_unavailable(exc: BaseException) -> bool:
    """Say whether `exc` means the database cannot be reached (retry later), not that a statement failed."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    args: tuple[Any, ...] = getattr(exc.orig, "args", ())
    return bool(args) and args[0] in _UNREACHABLE_CODES


def watch_availability(engine: Engine, outage: Outage) -> None:
    """Report to `outage` when the engine cannot reach the database, and when it connects again.

    A failed pre-ping is not an outage: the pool replaces the stale connection and carries on.
    """

    def on_error(context: ExceptionContext) -> None:
        if context.is_pre_ping or context.sqlalchemy_exception is None:
            return
        if context.is_disconnect or is_unavailable(context.sqlalchemy_exception):
            outage.failed(context.sqlalchemy_exception)

    def on_connect(_dbapi_connection: Any, _record: Any) -> None:
        outage.succeeded()

    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "connect", on_connect)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN so two writers wait for each other instead of failing mid-way.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(bind: Any) -> sessionmaker[Session]:
    """Return the session factory every request and worker unit of work uses."""
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
