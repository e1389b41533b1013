"""Purge a million old task-log rows on MariaDB while measuring how the API answers meanwhile.

Creates a private database, fills t_task_logs with N rows older than the retention (MariaDB's
sequence engine makes that one INSERT … SELECT), then runs the worker's purge in a thread while
this thread keeps calling the API in-process: a task list, a task's change log (same table), and
a task creation (which writes a change-log row into the table being purged). Prints latency
percentiles before and during the purge, the purge's duration and rate, and checks that recent
rows survived. Usage:

    .venv/bin/python bench/retention_purge.py [--rows 1000000] [--url mysql+pymysql://root@127.0.0.1:3306/test]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pushtask.app import create_app
from pushtask.config import Settings
from pushtask.db import create_db_engine, create_session_factory, unit_of_work
from pushtask.migrations import upgrade
from pushtask.notify import retention
from pushtask.services.bootstrap import ensure_initial_data
from pushtask.wiring import build_runtime
from tests.support import FrozenClock

# MariaDB's sequence engine: seq_1_to_N is a table of N numbers.
FILL = (
    "INSERT INTO t_task_logs (id, task_id, org_id, action, user_id, changes, created_at) "
    "SELECT UUID(), t.id, t.org_id, 'update', t.creator_id, '{}', :old - INTERVAL seq SECOND "
    "FROM seq_1_to_ROWS JOIN t_tasks t ON t.id = :task"
)
PASSWORD = "bench-password-123"  # noqa: S105 — a throwaway database's admin


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def p(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    top = ordered[-1] * 1000
    return f"n={len(ordered)} p50={p(0.5):.1f} ms p95={p(0.95):.1f} ms p99={p(0.99):.1f} ms max={top:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default="mysql+pymysql://root@127.0.0.1:3306/test")
    args = parser.parse_args()
    base = make_url(args.url)
    name = f"pt_bench_purge_{uuid.uuid4().hex[:8]}"
    server = create_engine(base.set(database=None), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        engine = create_db_engine(url, pool_size=8)
        upgrade(engine)
        clock = FrozenClock()
        sessions = create_session_factory(engine)
        settings = Settings(database_url=url, secret_key="b" * 40, max_body_bytes=1024 * 1024)
        rt = build_runtime(settings, clock=clock, sessions=sessions)
        with unit_of_work(sessions) as db:
            ensure_initial_data(db, clock(), admin_password=PASSWORD, demo_data=True, timezone="Asia/Shanghai")
        client = create_app(rt).test_client()
        token = client.post("/api/auth/login", json={"wechatId": "admin", "password": PASSWORD}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        groups = [g["groupId"] for g in client.get("/api/groups", headers=headers).get_json()["groups"]][:3]

        def create(i: int) -> str:
            body = {
                "name": f"基准任务{i}",
                "schedule": {"type": "once", "time": "2026-03-09T18:00:00+08:00"},
                "content": {"text": "基准"},
                "groups": groups,
                "status": "draft",
            }
            answer = client.post("/api/tasks", json=body, headers=headers)
            assert answer.status_code == 201, answer.get_json()
            task_id: str = answer.get_json()["taskId"]
            return task_id

        old_task, live_task = create(0), create(1)
        old = clock() - timedelta(days=45)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                text(FILL.replace("ROWS", str(int(args.rows)))),
                {"old": old.replace(tzinfo=None), "task": old_task},
            )
        print(f"inserted {args.rows:,} old rows in {time.perf_counter() - started:.1f} s")
        with engine.connect() as conn:
            recent_before = conn.execute(
                text("SELECT COUNT(*) FROM t_task_logs WHERE created_at >= :c"),
                {"c": (clock() - timedelta(days=30)).replace(tzinfo=None)},
            ).scalar_one()

        calls = [
            lambda: client.get("/api/tasks?limit=20", headers=headers),
            lambda: client.get(f"/api/tasks/{live_task}/logs", headers=headers),
        ]

        def sample(seconds: float, out: dict[str, list[float]], stop: threading.Event | None = None) -> None:
            end = time.perf_counter() + seconds
            counter = iter(range(100, 10**9))
            while time.perf_counter() < end and not (stop and stop.is_set()):
                for label, call in (("list", calls[0]), ("logs", calls[1]), ("create", lambda: create(next(counter)))):
                    t0 = time.perf_counter()
                    response = call()
                    out.setdefault(label, []).append(time.perf_counter() - t0)
                    assert getattr(response, "status_code", 201) in (200, 201)

        before: dict[str, list[float]] = {}
        sample(5.0, before)
        done = threading.Event()
        purge_stats: dict[str, float] = {}

        def purge() -> None:
            t0 = time.perf_counter()
            total = 0
            while True:
                counts, finished = retention.purge_step(sessions, clock(), 30, max_batches=10, budget_s=1.0)
                total += sum(counts.values())
                if finished:
                    break
            purge_stats.update(seconds=time.perf_counter() - t0, rows=total)
            done.set()

        during: dict[str, list[float]] = {}
        worker = threading.Thread(target=purge)
        worker.start()
        sample(3600.0, during, done)
        worker.join()
        with engine.connect() as conn:
            left_old = conn.execute(
                text("SELECT COUNT(*) FROM t_task_logs WHERE created_at < :c"),
                {"c": (clock() - timedelta(days=30)).replace(tzinfo=None)},
            ).scalar_one()
            recent_after = conn.execute(
                text("SELECT COUNT(*) FROM t_task_logs WHERE created_at >= :c"),
                {"c": (clock() - timedelta(days=30)).replace(tzinfo=None)},
            ).scalar_one()
        print(
            f"purged {purge_stats['rows']:,.0f} rows in {purge_stats['seconds']:.1f} s "
            f"({purge_stats['rows'] / purge_stats['seconds']:,.0f} rows/s, batches of {retention.BATCH})"
        )
        print(
            f"old rows left: {left_old}; recent rows before/after: {recent_before} -> {recent_after} "
            f"(+ rows written by the creates during the run)"
        )
        for label in ("list", "logs", "create"):
            print(f"{label:7s} before: {percentiles(before[label])}")
            print(f"{label:7s} during: {percentiles(during[label])}")
        assert left_old == 0 and recent_after >= recent_before
        all_before = [x for xs in before.values() for x in xs]
        all_during = [x for xs in during.values() for x in xs]
        print(
            f"median of all calls before {statistics.median(all_before) * 1000:.1f} ms, "
            f"during {statistics.median(all_during) * 1000:.1f} ms"
        )
        engine.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


if __name__ == "__main__":
    main()
