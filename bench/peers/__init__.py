"""The schedulers an operator would run instead of PushTask, as small idiomatic programs.

Every peer reads the same tasks from the PRD's own `t_tasks` table (§7.1: `groups` is a JSON list
of WeCom chat ids), sends through the same WeChat sandbox over HTTP (WeCom `appchat/send` with a
token from `cgi-bin/gettoken`, the sandbox's default credentials) and writes one durable row per
group send into `t_send_results`, so each is measured doing the same work as PushTask.

- `prd.py`      the PRD's §7.2 design: poll MySQL every 60 s, `asyncio.gather` what is due.
- `aps.py`      APScheduler 3, SQLAlchemy job store on MariaDB, one process (its documented limit).
- `celery_app.py`  Celery, Redis broker: ETA tasks for one-offs, beat for recurring tasks.

Configuration comes from the environment: BENCH_DB_URL (SQLAlchemy URL, MariaDB), BENCH_SANDBOX_URL,
BENCH_REDIS_URL (Celery only).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import Engine, create_engine, text

from pushtask.sandbox import directory as sandbox_dir

# The PRD's t_tasks (§7.1, verbatim but for the engine: `groups` quoted, utf8mb4), plus the
# per-group result table every peer writes. The PRD schema has no index on status/schedule_time.
DDL = [
    """
    CREATE TABLE IF NOT EXISTS t_tasks (
      task_id VARCHAR(36) PRIMARY KEY,
      name VARCHAR(50) NOT NULL,
      schedule_type ENUM('once', 'recurring') NOT NULL,
      schedule_time DATETIME(6) NOT NULL,
      recurring_interval ENUM('daily', 'weekly', 'monthly') DEFAULT NULL,
      recurring_end DATETIME DEFAULT NULL,
      content_text TEXT(500),
      content_image VARCHAR(255),
      content_link VARCHAR(255),
      content_miniprogram JSON,
      `groups` JSON,
      priority ENUM('high', 'medium', 'low') DEFAULT 'medium',
      status ENUM('draft', 'scheduled', 'running', 'completed', 'failed', 'paused') DEFAULT 'draft',
      creator_id VARCHAR(50) NOT NULL,
      preview_recipients JSON,
      created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
      updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
    ) CHARACTER SET utf8mb4
    """,
    """
    CREATE TABLE IF NOT EXISTS t_send_results (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      task_id VARCHAR(36) NOT NULL,
      chat_id VARCHAR(64) NOT NULL,
      status ENUM('sent', 'failed') NOT NULL,
      errcode INT NOT NULL,
      sent_at DATETIME(6) NOT NULL,
      KEY ix_send_results_task (task_id)
    ) CHARACTER SET utf8mb4
    """,
]


@dataclass(frozen=True)
class TaskSpec:
    """One one-off task of a workload: what every system is asked to send."""

    task_id: str
    text: str
    fire_at: datetime  # UTC aware
    chat_ids: tuple[str, ...]
    priority: str = "medium"  # high | medium | low


def engine_from_env() -> Engine:
    return create_engine(os.environ["BENCH_DB_URL"], pool_size=16, max_overflow=16, pool_pre_ping=True)


def create_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in DDL:
            conn.execute(text(statement))


def naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def insert_tasks(engine: Engine, specs: Iterable[TaskSpec]) -> None:
    rows = [
        {
            "task_id": s.task_id,
            "name": s.task_id[:50],
            "schedule_time": naive_utc(s.fire_at),
            "content_text": s.text,
            "groups": json.dumps(list(s.chat_ids)),
            "priority": s.priority,
        }
        for s in specs
    ]
    statement = text(
        "INSERT INTO t_tasks (task_id, name, schedule_type, schedule_time, content_text, `groups`, priority,"
        " status, creator_id) VALUES (:task_id, :name, 'once', :schedule_time, :content_text, :groups, :priority,"
        " 'scheduled', 'bench')"
    )
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(statement, rows[start : start + 5000])


def load_task(engine: Engine, task_id: str) -> tuple[str, list[str]]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT content_text, `groups` FROM t_tasks WHERE task_id = :id"), {"id": task_id}
        ).one()
    return str(row[0]), list(json.loads(row[1]))


def record_results(engine: Engine, task_id: str, results: list[tuple[str, int]], status: str | None) -> None:
    """One row per group send, and the task's status, in one transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        if results:
            conn.execute(
                text(
                    "INSERT INTO t_send_results (task_id, chat_id, status, errcode, sent_at)"
                    " VALUES (:task_id, :chat_id, :status, :errcode, :sent_at)"
                ),
                [
                    {
                        "task_id": task_id,
                        "chat_id": chat,
                        "status": "sent" if code == 0 else "failed",
                        "errcode": code,
                        "sent_at": now,
                    }
                    for chat, code in results
                ],
            )
        if status is not None:
            conn.execute(text("UPDATE t_tasks SET status = :s WHERE task_id = :id"), {"s": status, "id": task_id})


def confirmed(engine: Engine) -> int:
    """Group sends recorded durably so far."""
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT COUNT(*) FROM t_send_results")) or 0)


def token_url(sandbox_url: str) -> str:
    return (
        f"{sandbox_url}/cgi-bin/gettoken?corpid={sandbox_dir.DEFAULT_CORP_ID}"
        f"&corpsecret={sandbox_dir.DEFAULT_CORP_SECRET}"
    )


def send_url(sandbox_url: str, token: str) -> str:
    return f"{sandbox_url}/cgi-bin/appchat/send?access_token={token}"


def appchat_body(chat_id: str, content: str) -> dict[str, Any]:
    return {"chatid": chat_id, "msgtype": "text", "text": {"content": content}, "safe": 0}


class SyncSender:
    """A blocking WeCom app-chat client for thread-pool jobs: one keep-alive session per thread, token cached."""

    def __init__(self, sandbox_url: str) -> None:
        self.sandbox_url = sandbox_url
        self._local = threading.local()
        self._token = ""
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def token(self, refresh: bool = False) -> str:
        with self._lock:
            if refresh or not self._token:
                self._token = self._session().get(token_url(self.sandbox_url), timeout=10).json()["access_token"]
            return self._token

    def send(self, chat_id: str, content: str) -> int:
        code = -1
        for attempt in range(2):
            url = send_url(self.sandbox_url, self.token(refresh=attempt > 0))
            try:
                code = int(self._session().post(url, json=appchat_body(chat_id, content), timeout=10).json()["errcode"])
            except (requests.RequestException, ValueError, KeyError):
                code = -1
            if code not in (40014, 42001):
                return code
        return code
