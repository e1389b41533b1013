"""Time the engagement report over a million clicks on MariaDB.

Creates a private database, a task with the demo's 30 groups, P pushes to them (each group's delivery
sent, variants A/B by group), then N clicks spread over those deliveries (at most 60 visitors each)
and F feedback answers, each in one INSERT … SELECT over MariaDB's sequence engine. Then calls
GET /api/reports/engagement in-process — the whole organisation, one task, one group, and the CSV —
and prints the timings (first call and the median of the next runs). Usage:

    PYTHONPATH=. .venv/bin/python bench/engagement_report.py [--clicks 1000000] [--pushes 200] [--answers 20000]
        [--runs 5] [--url mysql+pymysql://root@127.0.0.1:3306/test]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import time
import uuid
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from pushtask.app import create_app
from pushtask.config import Settings
from pushtask.db import create_db_engine, create_session_factory, unit_of_work
from pushtask.migrations import upgrade
from pushtask.runtime import build_runtime
from pushtask.services.bootstrap import ensure_initial_data
from tests.support import FrozenClock

PASSWORD = "bench-password-123"  # noqa: S105 — a throwaway database's admin
PUSHES = (
    "INSERT INTO t_pushes (id, task_id, org_id, fire_at, `trigger`, status, priority, content, content_version,"
    " total, sent_count, failed_count, uncertain_count, missed_count, created_at, first_sent_at, finished_at)"
    " SELECT UUID(), t.id, t.org_id, :start + INTERVAL seq HOUR, 'schedule', 'completed', 2, '{}', 1,"
    " 30, 30, 0, 0, 0, :start + INTERVAL seq HOUR, :start + INTERVAL seq HOUR, :start + INTERVAL seq HOUR"
    " FROM seq_1_to_PUSHES JOIN t_tasks t ON t.id = :task"
)
DELIVERIES = (
    "INSERT INTO t_deliveries (push_id, group_id, org_id, channel, state, claim_rank, fire_at, next_attempt_at,"
    " attempts, sent_at, updated_at, variant)"
    " SELECT p.id, g.id, p.org_id, g.channel, 'sent', 2, p.fire_at, p.fire_at, 1, p.fire_at, p.fire_at,"
    " IF(MOD(CRC32(g.id), 2) = 0, 'A', 'B')"
    " FROM t_pushes p JOIN t_task_groups tg ON tg.task_id = p.task_id JOIN t_groups g ON g.id = tg.group_id"
    " WHERE p.task_id = :task"
)
# Delivery ids are 1..D in a fresh database: each click lands on one of them, pseudo-randomly.
CLICKS = (
    "INSERT INTO t_link_clicks (code, org_id, task_id, push_id, group_id, variant, kind, visitor, clicked_at)"
    " SELECT 'benchcode000', d.org_id, :task, d.push_id, d.group_id, d.variant, 'click',"
    " CONCAT('v:', MOD(seq * 7919, 60)), d.sent_at + INTERVAL MOD(seq * 13, 259200) SECOND"
    " FROM seq_1_to_CLICKS JOIN t_deliveries d ON d.id = 1 + MOD(seq * 104729, :deliveries)"
)
# The roll-ups each counted click writes (pushtask.services.links.record), built from the log in two statements.
VISITORS = (
    "INSERT INTO t_link_visitors (push_id, group_id, visitor, first_at)"
    " SELECT push_id, group_id, visitor, MIN(clicked_at) FROM t_link_clicks GROUP BY push_id, group_id, visitor"
)
DAILY = (
    "INSERT INTO t_link_daily (push_id, group_id, day, org_id, task_id, variant, clicks, visitors)"
    " SELECT push_id, group_id, DATE(clicked_at + INTERVAL 8 HOUR), MIN(org_id), MIN(task_id), MIN(variant),"
    " COUNT(*), 0 FROM t_link_clicks GROUP BY push_id, group_id, DATE(clicked_at + INTERVAL 8 HOUR)"
)
FIRST_VISITS = (
    "INSERT INTO t_link_daily (push_id, group_id, day, org_id, task_id, variant, clicks, visitors)"
    " SELECT push_id, group_id, DATE(first_at + INTERVAL 8 HOUR), '', '', NULL, 0, COUNT(*) FROM t_link_visitors"
    " GROUP BY push_id, group_id, DATE(first_at + INTERVAL 8 HOUR)"
    " ON DUPLICATE KEY UPDATE visitors = VALUES(visitors)"
)
ANSWERS = (
    "INSERT INTO t_feedback (org_id, task_id, group_id, push_id, member, member_hash, rating, content, token_hash,"
    " created_at)"
    " SELECT d.org_id, :task, d.group_id, d.push_id, CONCAT('m', seq), CONCAT('h:', seq), 1 + MOD(seq, 5),"
    " ELT(1 + MOD(seq, 4), '开放日安排很好', '时间太早了', '希望多一些户外活动', '老师讲得很清楚'),"
    " SHA2(CONCAT('t', seq), 256), d.sent_at + INTERVAL MOD(seq, 86400) SECOND"
    " FROM seq_1_to_ANSWERS JOIN t_deliveries d ON d.id = 1 + MOD(seq * 7, :deliveries)"
)


def _profile(engine: Any) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        took = time.perf_counter() - conn.info.pop("t0", time.perf_counter())
        if (took > 0.02 and "t_link_clicks" in statement) or ("t_feedback" in statement and took > 0.02):
            print(f"  {took * 1000:6.0f} ms  {' '.join(statement.split())[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--pushes", type=int, default=200)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default="mysql+pymysql://root@127.0.0.1:3306/test")
    parser.add_argument("--profile", action="store_true", help="print each statement slower than 20 ms")
    parser.add_argument("--cprofile", action="store_true", help="print where the organisation-wide report spends time")
    args = parser.parse_args()
    base = make_url(args.url)
    name = f"pt_bench_engage_{uuid.uuid4().hex[:8]}"
    server = create_engine(base.set(database=None), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        engine = create_db_engine(url, pool_size=8)
        upgrade(engine)
        if args.profile:
            _profile(engine)
        clock = FrozenClock()
        sessions = create_session_factory(engine)
        keys = "bench:" + base64.b64encode(os.urandom(32)).decode()
        settings = Settings(database_url=url, secret_key="b" * 40, encryption_keys=keys, max_body_bytes=1024 * 1024)
        rt = build_runtime(settings, clock=clock, sessions=sessions)
        with unit_of_work(sessions) as db:
            ensure_initial_data(db, clock(), admin_password=PASSWORD, demo_data=True, timezone="Asia/Shanghai")
        client = create_app(rt).test_client()
        token = client.post("/api/auth/login", json={"wechatId": "admin", "password": PASSWORD}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        groups = [g["groupId"] for g in client.get("/api/groups?limit=100", headers=headers).get_json()["groups"]][:30]
        body = {
            "name": "基准：开放日通知",
            "schedule": {"type": "once", "time": "2026-03-09T18:00:00+08:00"},
            "content": {"text": "开放日", "link": "https://school.example/open-day"},
            "groups": groups,
            "status": "draft",
        }
        answer = client.post("/api/tasks", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        task = answer.get_json()["taskId"]
        start = (clock().replace(tzinfo=None)).replace(microsecond=0)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text(PUSHES.replace("PUSHES", str(args.pushes))), {"start": start, "task": task})
            conn.execute(text(DELIVERIES), {"task": task})
            deliveries = conn.execute(text("SELECT COUNT(*) FROM t_deliveries")).scalar_one()
        with engine.begin() as conn:
            conn.execute(text(CLICKS.replace("CLICKS", str(args.clicks))), {"task": task, "deliveries": deliveries})
            conn.execute(text(VISITORS))
            conn.execute(text(DAILY))
            conn.execute(text(FIRST_VISITS))
        with engine.begin() as conn:
            conn.execute(text(ANSWERS.replace("ANSWERS", str(args.answers))), {"task": task, "deliveries": deliveries})
            conn.execute(text("ANALYZE TABLE t_link_daily, t_link_visitors, t_deliveries, t_feedback"))
        print(
            f"seeded {args.pushes} pushes × {len(groups)} groups = {deliveries:,} deliveries, {args.clicks:,} clicks,"
            f" {args.answers:,} answers in {time.perf_counter() - t0:.1f} s"
        )
        cases = {
            "organisation": {},
            "one task": {"taskId": task},
            "one group": {"groupId": groups[0]},
            "window of 1 day": {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"},
            "csv (organisation)": {"format": "csv"},
        }
        for label, query in cases.items():
            times = []
            for _ in range(args.runs + 1):
                t1 = time.perf_counter()
                response = client.get("/api/reports/engagement", query_string=query, headers=headers)
                times.append(time.perf_counter() - t1)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
            report = response.get_json() if query.get("format") != "csv" else None
            clicks = report["totals"]["clicks"] if report else "-"
            median = statistics.median(times[1:]) * 1000
            first = times[0] * 1000
            print(f"{label:20s} first {first:5.0f} ms, median of {args.runs} {median:5.0f} ms (clicks: {clicks})")
        if args.cprofile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            client.get("/api/reports/engagement", headers=headers)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        if report is None:
            report = client.get("/api/reports/engagement", headers=headers).get_json()
        print("comparison:", report["comparison"]["test"], report["comparison"]["verdictEn"])
    finally:
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE `{name}`"))


if __name__ == "__main__":
    main()
