"""Create the database engine and session factory for SQLite or MariaDB/MySQL."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from pushtask.i18n import translate
from pushtask.infra.outage import Outage, describe

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
        # No pre-ping and no ROLLBACK on every checkout/return: two round trips per transaction on the
        # worker's hot path. A Session ends its own transaction (commit, or rollback on close), and a
        # connection that sat idle is pinged on checkout (`_ping_if_idle`), which is what a restarted
        # server needs.
        pool_pre_ping=False,
        pool_reset_on_return=None,
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
        hide_parameters=True,
    )
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_idle)
    # One line when the server goes away and one when it is back, instead of one per failed call.
    watch_availability(engine, Outage("database", log, meanwhile=OUTAGE_MEANWHILE))
    return engine


IDLE_PING_S = 1.0


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a pooled connection that sat idle for a second or more; a dead one is replaced, not used.

    A busy connection (the worker's claims and result writes, back to back) is not pinged: if its
    server went away since, the statement fails as a disconnect, the pool is invalidated, and the
    worker's cycle retries with a back-off, like any other database error.
    """
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_S:
        return
    try:
        dbapi_connection.ping(reconnect=False)
    except Exception as exc:
        raise DisconnectionError(str(exc)) from exc


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


_OUTAGES: weakref.WeakKeyDictionary[Engine, Outage] = weakref.WeakKeyDictionary()
# Set in a thread whose connection attempts only find out whether the database is back: their
# failures are not failed calls of the application.
_probing = threading.local()
PROBE_EVERY_S = 0.5


def watch_availability(engine: Engine, outage: Outage, *, probe_every: float = PROBE_EVERY_S) -> None:
    """Report to `outage` when the engine cannot reach the database, and when it connects again.

    A failed pre-ping is not an outage: the pool replaces the stale connection and carries on.
    While the database is down a background thread tries to connect every `probe_every` seconds, so
    "available again after N s" measures the outage itself, not the time until the next request.
    """
    _OUTAGES[engine] = outage

    def on_error(context: ExceptionContext) -> None:
        if context.is_pre_ping or context.sqlalchemy_exception is None or getattr(_probing, "active", False):
            return
        unavailable = context.is_disconnect or is_unavailable(context.sqlalchemy_exception)
        if unavailable and outage.failed(context.sqlalchemy_exception):
            threading.Thread(
                target=_probe_until_back,
                args=(outage, probe_every),
                kwargs={"connect": lambda: _try_connect(engine)},
                name="pushtask-db-probe",
                daemon=True,
            ).start()

    def on_connect(_dbapi_connection: Any, _record: Any) -> None:
        outage.succeeded()

    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "connect", on_connect)


def outage_of(engine: Engine) -> Outage | None:
    """The outage tracker `create_db_engine` attached to this engine (None for SQLite)."""
    return _OUTAGES.get(engine)


def _try_connect(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


def _probe_until_back(
    outage: Outage, every: float, *, connect: Callable[[], None], sleep: Callable[[float], None] = time.sleep
) -> None:
    _probing.active = True
    while outage.down:
        sleep(every)
        try:
            connect()  # success: the pool's connect event ends the outage, with its length
        except Exception:  # noqa: BLE001, S112 — still down (or failing otherwise): try again later
            continue


def wait_for_database(
    engine: Engine,
    *,
    first_delay: float = 0.25,
    max_delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    connect: Callable[[], None] | None = None,
) -> int:
    """Return once the database answers; while it cannot be reached, log it (zh-CN, en) and retry with backoff.

    For processes starting while the database is down (`pushtask worker`, `api`, `serve`): they wait
    instead of exiting. A database that answers with an error (a wrong password, a missing database)
    raises at once: waiting would not help. Returns the number of failed attempts.
    """
    outage = outage_of(engine)
    attempt = connect or (lambda: _try_connect(engine))
    delay, tries, waited = first_delay, 0, 0.0
    while True:
        _probing.active = True  # the first failure is reported here, in the start-up words
        try:
            attempt()
            if outage is not None:
                outage.succeeded()  # "available again after N s", N from the first failed attempt
            return tries
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise
            tries += 1
            if outage is not None:
                outage.failed(exc, announce=False)
            words = {"error": describe(exc), "delay": f"{delay:g}", "cap": f"{max_delay:g}"}
            if tries == 1:
                log.warning(
                    "%s / %s", translate("db_wait_start", "zh-CN", **words), translate("db_wait_start", "en", **words)
                )
            elif tries % 20 == 0:
                words |= {"waited": f"{waited:.0f}", "tries": str(tries)}
                log.warning(
                    "%s / %s", translate("db_wait_still", "zh-CN", **words), translate("db_wait_still", "en", **words)
                )
        finally:
            _probing.active = False
        sleep(delay)
        waited += delay
        delay = min(max_delay, delay * 2)


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
