"""Time `GET /api/calendar` for a 31-day window over an organisation of 100,000 tasks on MariaDB.

Creates a private database, migrates it, seeds the demo directory, then writes (Core inserts) a
year of an organisation's tasks around "now" (2026-06-15 10:00 Shanghai):

* 70 % one-offs that fired in the past year, completed, each with its push;
* 25 % one-offs planned over the next year;
* 4 % weekly tasks (one weekday each; a third on China's work calendar, a third skipping holidays);
* 1 % daily tasks (half paused, half drafts);

each pushing to one of the 30 demo groups. Then it calls the calendar in-process (the Flask test
client, so the numbers are the server's work without HTTP) for the window now − 15 days … now + 16
days: the whole organisation, one status, one group, one creator. Prints the latency percentiles,
how many occurrences each answer holds and whether it was cut at 5,000. Usage:

    PYTHONPATH=. .venv/bin/python bench/calendar_window.py [--tasks 100000] [--runs 15]
        [--url mysql+pymysql://root@127.0.0.1:3306/test]
"""

from __future__ import annotations

import argparse
import base64
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Connection, Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from pushtask.app import create_app
from pushtask.config import Settings
from pushtask.db import create_db_engine, create_session_factory, unit_of_work
from pushtask.migrations import upgrade
from pushtask.models import Group, Organization, Push, Task, TaskGroup, User
from pushtask.runtime import build_runtime
from pushtask.services.bootstrap import ensure_initial_data
from tests.support import FrozenClock

PASSWORD = "bench-password-123"  # noqa: S105 — a throwaway database's admin
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
BATCH = 5000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def p(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return f"n={len(ordered)} p50={p(0.5):.0f} ms p95={p(0.95):.0f} ms max={ordered[-1] * 1000:.0f} ms"


def seed(engine: Engine, tasks: int, org_id: str, creators: list[str], groups: list[str]) -> dict[str, int]:
    """Write `tasks` tasks (and the pushes of the fired ones); return how many of each kind."""
    rng = random.Random(18)
    kinds = {"past": int(tasks * 0.70), "planned": int(tasks * 0.25), "weekly": int(tasks * 0.04)}
    kinds["daily"] = tasks - sum(kinds.values())
    rows: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    pushes: list[dict[str, object]] = []

    def flush(conn: Connection) -> None:
        for table, batch in ((Task, rows), (TaskGroup, links), (Push, pushes)):
            if batch:
                conn.execute(insert(table), batch)
                batch.clear()

    with engine.begin() as conn:
        n = 0
        for kind, count in kinds.items():
            for _ in range(count):
                n += 1
                task_id = str(uuid.uuid4())
                base = {
                    "id": task_id,
                    "org_id": org_id,
                    "name": f"基准任务 {kind} {n}",
                    "timezone": "Asia/Shanghai",
                    "interval": 1,
                    "content_text": "同学们好，明天上午 8 点开会",
                    "content_version": 1,
                    "priority": rng.choice((1, 2, 2, 3)),
                    "preview_state": "confirmed",
                    "creator_id": rng.choice(creators),
                    "misfire_grace_seconds": 600,
                    "send_late": False,
                    "feedback_enabled": False,
                    "schedule_calendar": "all",
                    # executemany wants every row to name the same columns
                    "last_push_id": None,
                    "recurring_interval": None,
                    "weekdays": None,
                    "paused_until": None,
                    "created_at": NOW - timedelta(days=400),
                    "updated_at": NOW - timedelta(days=1),
                }
                minute = rng.randrange(8 * 60, 20 * 60, 30)
                if kind == "past":
                    at = (NOW - timedelta(days=rng.randrange(1, 366))).replace(hour=0, minute=0) + timedelta(
                        minutes=minute - 8 * 60
                    )
                    row = {**base, "schedule_type": "once", "schedule_time": at, "status": "completed"}
                    row.update(next_fire_at=None, display_time=at, last_push_id=str(uuid.uuid4()))
                    pushes.append(
                        {
                            "id": row["last_push_id"],
                            "task_id": task_id,
                            "org_id": org_id,
                            "fire_at": at,
                            "trigger": "schedule",
                            "status": "completed",
                            "priority": base["priority"],
                            "content": {"text": base["content_text"]},
                            "content_version": 1,
                            "total": 1,
                            "sent_count": 1,
                            "created_at": at,
                            "finished_at": at + timedelta(seconds=2),
                        }
                    )
                elif kind == "planned":
                    at = (NOW + timedelta(days=rng.randrange(0, 366))).replace(hour=0, minute=0) + timedelta(
                        minutes=minute - 8 * 60
                    )
                    if at <= NOW:
                        at += timedelta(days=1)
                    row = {**base, "schedule_type": "once", "schedule_time": at, "status": "scheduled"}
                    row.update(next_fire_at=at, display_time=at)
                else:
                    start = (NOW - timedelta(days=rng.randrange(30, 200))).replace(hour=0, minute=0) + timedelta(
                        minutes=minute - 8 * 60
                    )
                    row = {**base, "schedule_type": "recurring", "schedule_time": start}
                    if kind == "weekly":
                        row.update(
                            recurring_interval="weekly",
                            weekdays=str(rng.randrange(1, 8)),
                            status="scheduled",
                            schedule_calendar=rng.choice(("all", "cn_workdays", "skip_cn_holidays")),
                        )
                        # Close enough for the calendar, which plans from the rule; the worker is not run.
                        row.update(next_fire_at=NOW + timedelta(days=rng.randrange(0, 7)), display_time=NOW)
                    else:
                        paused = rng.random() < 0.5
                        row.update(recurring_interval="daily", status="paused" if paused else "draft")
                        row.update(next_fire_at=None, display_time=NOW)
                        if paused:
                            row["paused_until"] = NOW + timedelta(days=rng.randrange(1, 40))
                rows.append(row)
                links.append({"task_id": task_id, "group_id": rng.choice(groups), "position": 0})
                if len(rows) >= BATCH:
                    flush(conn)
        flush(conn)
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="where the whole-organisation call spends its time")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (its name is printed)")
    parser.add_argument("--reuse", metavar="DB", help="time a database kept by an earlier --keep run (no seeding)")
    parser.add_argument("--url", default="mysql+pymysql://root@127.0.0.1:3306/test")
    args = parser.parse_args()
    base = make_url(args.url)
    name = args.reuse or f"pt_bench_cal_{uuid.uuid4().hex[:8]}"
    server = create_engine(base.set(database=None), isolation_level="AUTOCOMMIT")
    if args.reuse:
        args.keep = True
    else:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        engine = create_db_engine(url, pool_size=4)
        upgrade(engine)
        clock = FrozenClock()
        clock.now = NOW
        sessions = create_session_factory(engine)
        # A throwaway key ring (id:base64 of 32 zero bytes): nothing here is secret.
        keys = "k1:" + base64.b64encode(bytes(32)).decode()
        settings = Settings(database_url=url, secret_key="b" * 40, max_body_bytes=1024 * 1024, encryption_keys=keys)
        rt = build_runtime(settings, clock=clock, sessions=sessions)
        if not args.reuse:
            with unit_of_work(sessions) as db:
                ensure_initial_data(db, clock(), admin_password=PASSWORD, demo_data=True, timezone="Asia/Shanghai")
        with unit_of_work(sessions) as db:
            org_id = db.scalars(select(Organization.id)).one()
            creators = list(db.scalars(select(User.id)))
            groups = list(db.scalars(select(Group.id).where(Group.org_id == org_id)))
        if not args.reuse:
            started = time.perf_counter()
            kinds = seed(engine, args.tasks, org_id, creators, groups)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE TABLE t_tasks, t_pushes, t_task_groups"))
            print(f"seeded {args.tasks:,} tasks {kinds} in {time.perf_counter() - started:.0f} s")

        client = create_app(rt).test_client()
        token = client.post("/api/auth/login", json={"wechatId": "admin", "password": PASSWORD}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
        window = {
            "from": (NOW - timedelta(days=15)).isoformat(),
            "to": (NOW + timedelta(days=16)).isoformat(),
        }
        cases = {
            "whole organisation": {},
            "status=scheduled": {"status": "scheduled"},
            "one group": {"groupId": groups[0]},
            "one creator": {"creatorId": creators[0]},
        }
        for label, extra in cases.items():
            path = "/api/calendar?" + urlencode({**window, **extra})
            samples: list[float] = []
            cpu: list[float] = []
            body: dict[str, object] = {}
            for _ in range(args.runs + 1):
                t0, c0 = time.perf_counter(), time.process_time()
                answer = client.get(path, headers=headers)
                samples.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                assert answer.status_code == 200, answer.get_json()
                body = answer.get_json()
            samples, cpu = samples[1:], cpu[1:]  # the first call warms caches
            count = len(body["occurrences"])  # type: ignore[arg-type]
            print(
                f"{label:20s} {percentiles(samples)} (Python CPU p50 {sorted(cpu)[len(cpu) // 2] * 1000:.0f} ms)"
                f"  occurrences={count:,} truncated={body['truncated']}"
            )
            if args.profile and not extra:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.runcall(client.get, path, headers=headers)
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        engine.dispose()
    finally:
        with server.connect() as conn:
            if args.keep:
                print(f"kept database {name}")
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


if __name__ == "__main__":
    main()
