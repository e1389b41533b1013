"""EXPLAIN the worker's reads of t_deliveries on MariaDB, 20,000 deliveries in mixed states (bench/README.md).

Creates a private database, migrates it to `--revision` (0016: the three state-led indexes; head: the
claim index alone), writes 200 pushes of 100 groups each (most sent; some failed, uncertain, awaiting
confirmation, planned; a few hundred pending retries of every rank and sending rows, some leases run
out), runs ANALYZE, then calls the worker's own functions (claim, earliest retry, recovery, takeover,
the queue-depth gauge) inside a transaction it rolls back, and prints MariaDB's EXPLAIN of each SELECT
they sent. `--timings` then times a row's state change and the idle sleep's two reads (run it for 0016
and head in turn, a few times: a shared machine is noisy). Usage:

    PYTHONPATH=. .venv/bin/python bench/delivery_plans.py [--revision head] [--pending 600] [--timings]
        [--url mysql+pymysql://root@127.0.0.1:3306/test]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pushtask.db import create_db_engine
from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import KeyRing
from pushtask.migrations import upgrade
from pushtask.models import Delivery, Group, Push, WorkerBeat
from pushtask.obs.metrics import DatabaseGauges
from pushtask.worker import ahead, deliveries

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
PUSHES = 200
GROUPS = 100


def seed(engine: Engine, pending: int, rng: random.Random) -> None:
    """200 pushes × 100 groups; `pending` of them pending (retries), 300 sending, the rest settled or planned."""
    rows: list[dict[str, Any]] = []
    for p in range(PUSHES):
        fire_at = NOW - timedelta(minutes=5 * (PUSHES - p))
        rank = 1 + p % 3
        for g in range(GROUPS):
            state = rng.choices(
                ["sent", "failed", "uncertain", "awaiting_confirmation", "cancelled"], [85, 5, 3, 2, 1]
            )[0]
            rows.append(
                {
                    "push_id": f"p{p:04d}",
                    "group_id": f"g{g:03d}",
                    "org_id": "o1",
                    "channel": "wecom",
                    "state": state,
                    "claim_rank": rank,
                    "fire_at": fire_at,
                    "next_attempt_at": fire_at,
                    "attempts": 1,
                    "lease_token": None,
                    "lease_expires_at": None,
                    "updated_at": fire_at,
                }
            )
    picked = rng.sample(range(len(rows)), pending + 300 + 400)
    for i in picked[:pending]:  # retries: due now or within the next hour
        rows[i].update(state="pending", next_attempt_at=NOW + timedelta(seconds=rng.randint(-60, 3600)))
    for i in picked[pending : pending + 300]:  # in flight; one in ten leases ran out
        lease = NOW + timedelta(seconds=rng.choice([-30] + [60] * 9))
        rows[i].update({"state": "sending", "lease_token": "w1-x", "lease_expires_at": lease})
    for i in picked[pending + 300 :]:  # planned ahead by a worker that died
        rows[i].update({"state": "planned", "lease_token": "dead-worker"})
    pushes = [
        {
            "id": f"p{p:04d}",
            "task_id": f"t{p:04d}",
            "org_id": "o1",
            "fire_at": NOW - timedelta(minutes=5 * (PUSHES - p)),
            "trigger": "schedule",
            "status": "running",
            "priority": 3 - p % 3,
            "content": {"type": "text", "text": "hello"},
            "content_version": 1,
            "created_at": NOW - timedelta(minutes=5 * (PUSHES - p)),
        }
        for p in range(PUSHES)
    ]
    groups = [
        {
            "id": f"g{g:03d}",
            "org_id": "o1",
            "name": f"group {g}",
            "channel": "wecom",
            "channel_ref": f"chat{g}",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for g in range(GROUPS)
    ]
    with engine.begin() as conn:
        conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))  # no tasks or organisation: only these three tables
        conn.execute(insert(Push), pushes)
        conn.execute(insert(Group), groups)
        for start in range(0, len(rows), 2000):
            conn.execute(insert(Delivery), rows[start : start + 2000])
        conn.execute(
            insert(WorkerBeat),
            [
                {
                    "id": "dead-worker",
                    "hostname": "h",
                    "pid": 1,
                    "started_at": NOW - timedelta(hours=1),
                    "last_tick_at": NOW - timedelta(seconds=90),
                    "stopped": False,
                }
            ],
        )
        conn.execute(text("ANALYZE TABLE t_deliveries, t_pushes, t_groups"))


def explain(engine: Engine, name: str, call: Callable[[Session], object]) -> None:
    """Run `call` in a transaction rolled back afterwards; EXPLAIN each SELECT on t_deliveries it sent."""
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "t_deliveries" in statement:
            sent.append(cursor.mogrify(statement, params))

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", capture)
        transaction = conn.begin()
        try:
            with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                call(session)
        finally:
            event.remove(conn, "before_cursor_execute", capture)
            transaction.rollback()
        for statement in sent:
            plan = conn.execute(text("EXPLAIN " + statement.replace("%", "%%"))).mappings().all()
            print(f"\n## {name}\n{statement}")
            for row in plan:
                print(
                    f"  {row['table']}: type={row['type']} key={row['key']} key_len={row['key_len']}"
                    f" rows={row['rows']} extra={row['Extra']}"
                )


def timings(engine: Engine, rounds: int = 3) -> None:
    """Rough costs on this revision: a row's state change (sent → pending → sending → sent, 100 rows per
    UPDATE by primary key, as the claim and the record path write them) and the idle sleep's two reads."""
    changes = [
        text(statement).bindparams(bindparam("ids", expanding=True))
        for statement in (
            "UPDATE t_deliveries SET state = 'pending', next_attempt_at = next_attempt_at + INTERVAL 1 SECOND"
            " WHERE id IN :ids",
            "UPDATE t_deliveries SET state = 'sending', lease_token = 'w',"
            " lease_expires_at = next_attempt_at + INTERVAL 1 MINUTE WHERE id IN :ids",
            "UPDATE t_deliveries SET state = 'sent', lease_token = NULL, lease_expires_at = NULL WHERE id IN :ids",
        )
    ]
    per_row = []
    for _ in range(rounds):
        with engine.connect() as conn:
            sent = text("SELECT id FROM t_deliveries WHERE state = 'sent' ORDER BY RAND() LIMIT 3000")
            ids = list(conn.scalars(sent))
        started = time.perf_counter()
        for start in range(0, len(ids), 100):
            for change in changes:
                with engine.begin() as conn:
                    conn.execute(change, {"ids": ids[start : start + 100]})
        per_row.append((time.perf_counter() - started) / (len(changes) * len(ids)) * 1e6)
    print(f"\nstate change: {statistics.median(per_row):.1f} µs per row (median of {[round(v) for v in per_row]})")
    for label, read in (("idle sleep before 0017", old_next_due), ("earliest_retry", deliveries.earliest_retry)):
        with Session(engine) as session:
            read(session)
            started = time.perf_counter()
            for _ in range(50):
                read(session)
            print(f"{label}: {(time.perf_counter() - started) / 50 * 1000:.2f} ms per call")


def old_next_due(session: Session) -> object:
    """The idle sleep's read before 0017 (runner._next_due)."""
    return session.scalar(select(func.min(Delivery.next_attempt_at)).where(Delivery.state == "pending"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revision", default="head")
    parser.add_argument("--pending", type=int, default=600)
    parser.add_argument("--timings", action="store_true", help="then time state changes and the idle sleep's reads")
    parser.add_argument(
        "--url", default=os.environ.get("PUSHTASK_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
    )
    args = parser.parse_args()
    fieldcrypt.install(KeyRing.parse(KeyRing.generate_entry("bench")))
    base = make_url(args.url)
    name = f"{base.database or 'test'}_plans_{uuid.uuid4().hex[:6]}"
    server = create_engine(base.set(database=None), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    engine = create_db_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine, args.revision)
        seed(engine, args.pending, random.Random(16))
        with engine.connect() as conn:
            version = conn.execute(text("SELECT VERSION()")).scalar_one()
            counts = conn.execute(text("SELECT state, COUNT(*) FROM t_deliveries GROUP BY state")).all()
            indexes = conn.execute(text("SHOW INDEX FROM t_deliveries")).mappings().all()
            due = conn.scalar(select(func.count()).where(Delivery.state == "pending", Delivery.next_attempt_at <= NOW))
            expired = conn.scalar(
                select(func.count()).where(Delivery.state == "sending", Delivery.lease_expires_at < NOW)
            )
        print(f"MariaDB {version}, revision {args.revision}: {dict(counts)}; {due} due, {expired} leases ran out")
        print("indexes:", sorted({row["Key_name"] for row in indexes}))
        explain(
            engine,
            "claim (deliveries.claim)",
            lambda s: deliveries.claim(s, "w2-y", NOW, 100, timedelta(seconds=60)),
        )
        explain(engine, "idle sleep before 0017 (runner._next_due)", old_next_due)
        explain(engine, "idle sleep: earliest retry (deliveries.earliest_retry)", deliveries.earliest_retry)
        explain(engine, "recovery (deliveries.recover_expired)", lambda s: deliveries.recover_expired(s, NOW, set()))
        explain(
            engine,
            "takeover (ahead.take_over)",
            lambda s: ahead.take_over(s, "w2", NOW, lease_s=30, horizon_s=60, swept=set()),
        )
        explain(
            engine,
            "queue depth (metrics.DatabaseGauges)",
            lambda s: list(DatabaseGauges(lambda: s, lambda: NOW).collect()),  # type: ignore[arg-type]
        )
        if args.timings:
            timings(engine)
    finally:
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


if __name__ == "__main__":
    main()
