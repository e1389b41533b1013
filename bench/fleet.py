"""A fleet of real processes for tests and benchmarks: a MariaDB database, a sandbox, N workers.

Everything talks over real connections: workers are `pushtask worker` subprocesses, the sandbox
is `pushtask wechat-sim`, and what each group received is read back from the sandbox's log.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from pushtask.db import create_db_engine
from pushtask.infra import fieldcrypt
from pushtask.infra.fieldcrypt import KeyRing
from pushtask.migrations import upgrade
from pushtask.models import Delivery, Group, Organization, Push, Task, TaskGroup, User, new_id

PUSHTASK = [sys.executable, "-m", "pushtask.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _http_json(url: str, body: Any | None = None, timeout: float = 30) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class Fleet:
    """Own a private database, a sandbox process and worker processes; clean them all up."""

    server_url: str
    workdir: Path
    redis_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    database_url: str = ""
    engine: Engine | None = None
    sandbox_url: str = ""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api: subprocess.Popen[bytes] | None = None
    _sandbox: subprocess.Popen[bytes] | None = None
    _server: Engine | None = None
    _db_name: str = ""
    _logs: list[Any] = field(default_factory=list)
    _old_schema: MetaData | None = None  # the tables as an older checkout's migrations made them

    # ---- setup ---------------------------------------------------------------------------------

    def __post_init__(self) -> None:
        # Workers and this process must share the key ring that encrypts the groups' channel refs.
        self.keys = KeyRing.generate_entry("fleet")
        fieldcrypt.install(KeyRing.parse(self.keys))

    def create_database(self, migrate: bool = True) -> None:
        base = make_url(self.server_url)
        self._db_name = f"{base.database or 'test'}_fleet_{uuid.uuid4().hex[:8]}"
        # pre-ping: a test may restart the server, and this engine must still drop the database afterwards.
        self._server = create_engine(base.set(database=None), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        with self._server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{self._db_name}` CHARACTER SET utf8mb4"))
        self.database_url = base.set(database=self._db_name).render_as_string(hide_password=False)
        self.engine = create_db_engine(self.database_url)
        if migrate and self.process_env().get("PYTHONPATH"):
            # An older checkout's processes (bench --old): its own migrations, or its worker refuses a
            # database whose revision it does not know. Seeding then writes only the columns that
            # revision has (`_insert`).
            subprocess.run(
                [*PUSHTASK, "db", "upgrade"], env=self.process_env(), cwd=self.workdir, check=True, capture_output=True
            )
            self._old_schema = MetaData()
        elif migrate:
            upgrade(self.engine)

    def _insert(self, conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` into `model`'s table; into an older revision's table, only the columns it has.

        The models' Python-side defaults are this checkout's: an older schema lacks some of those
        columns, so there the table is read from the database and the rows trimmed to it.
        """
        if self._old_schema is None:
            conn.execute(insert(model), rows)
            return
        name = model.__table__.name
        table = self._old_schema.tables.get(name)
        if table is None:
            table = Table(name, self._old_schema, autoload_with=conn)
        rows = [{k: v for k, v in row.items() if k in table.c} for row in rows]
        conn.execute(insert(table), rows)

    def register_chats(self, count: int) -> list[str]:
        """Register `count` WeCom app chats in the sandbox only (for peers that keep no PushTask tables)."""
        refs = [f"fleetchat{i:05d}" for i in range(count)]
        directory = [
            {"channel": "wecom_appchat", "ref": r, "name": f"群{i:05d}", "memberCount": 50} for i, r in enumerate(refs)
        ]
        _http_json(f"{self.sandbox_url}/_sandbox/directory", {"groups": directory})
        return refs

    def start_sandbox(self) -> str:
        port = free_port()
        self._sandbox = subprocess.Popen(
            [*PUSHTASK, "wechat-sim", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.sandbox_url = f"http://127.0.0.1:{port}"
        # A loaded machine (CI, several test runs at once) can take well over 10 s just to import.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _http_json(f"{self.sandbox_url}/_sandbox/directory", timeout=1)
                return self.sandbox_url
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the sandbox did not start within 60 s")

    @property
    def sandbox_pid(self) -> int:
        assert self._sandbox is not None, "start_sandbox() first"
        return self._sandbox.pid

    def sandbox_fault(self, **rule: Any) -> None:
        """Add a fault to the sandbox, e.g. `latencyMs=80, endpoint="appchat/send"` (docs/wechat.md)."""
        _http_json(f"{self.sandbox_url}/_sandbox/faults", rule)

    def seed_groups(self, count: int, channels: tuple[str, ...] = ("wecom_appchat", "bot_bridge")) -> list[str]:
        """Create an organisation with `count` groups, registered in the sandbox too; return their ids."""
        assert self.engine is not None
        now = datetime.now(UTC)
        self.org_id, self.user_id = new_id(), new_id()
        groups = []
        with self.engine.begin() as conn:
            self._insert(
                conn,
                Organization,
                [
                    {
                        "id": self.org_id,
                        "name": "fleet",
                        "timezone": "Asia/Shanghai",
                        "approval_required": False,
                        "created_at": now,
                    }
                ],
            )
            self._insert(
                conn,
                User,
                [
                    {
                        "id": self.user_id,
                        "org_id": self.org_id,
                        "wechat_id": f"fleet-{self.org_id}",
                        "name": "fleet",
                        "role": "admin",
                        "password_hash": "x",
                        "tokens_valid_after": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            for i in range(count):
                channel = channels[i % len(channels)]
                ref = f"{20000000000 + i}@chatroom" if channel == "bot_bridge" else f"fleetchat{i:05d}"
                groups.append(
                    {
                        "id": new_id(),
                        "org_id": self.org_id,
                        "name": f"群{i:05d}",
                        "channel": channel,
                        "channel_ref": ref,
                        "channel_ref_hash": fieldcrypt.lookup_hash(ref, "t_groups.channel_ref"),
                        "live": True,
                        "member_count": 50,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            self._insert(conn, Group, groups)
        directory = [
            {"channel": g["channel"], "ref": g["channel_ref"], "name": g["name"], "memberCount": 50} for g in groups
        ]
        _http_json(f"{self.sandbox_url}/_sandbox/directory", {"groups": directory})
        self.refs = {g["id"]: g["channel_ref"] for g in groups}
        return [g["id"] for g in groups]

    def add_tasks(
        self,
        count: int,
        group_ids: list[str],
        fire_at: datetime | Iterable[datetime],
        *,
        priority: int = 2,
        label: str = "任务",
        texts: list[str] | None = None,
    ) -> list[str]:
        """Insert scheduled one-off tasks whose text names the task, so receipts can be counted."""
        assert self.engine is not None
        now = datetime.now(UTC)
        times = [fire_at] * count if isinstance(fire_at, datetime) else list(fire_at)
        tasks, links = [], []
        for i, when in enumerate(times):
            task_id = new_id()
            tasks.append(
                {
                    "id": task_id,
                    "org_id": self.org_id,
                    "name": f"{label}{i}",
                    "schedule_type": "once",
                    "schedule_time": when,
                    "timezone": "Asia/Shanghai",
                    "interval": 1,
                    "content_text": texts[i] if texts is not None else f"{label} {i}：请注意查收",
                    "content_version": 1,
                    "priority": priority,
                    "status": "scheduled",
                    "preview_state": "none",
                    "creator_id": self.user_id,
                    "next_fire_at": when,
                    "display_time": when,
                    "created_at": now,
                    "updated_at": now,
                    "misfire_grace_seconds": 600,
                    "send_late": False,
                }
            )
            links += [{"task_id": task_id, "group_id": g, "position": n} for n, g in enumerate(group_ids)]
        with self.engine.begin() as conn:
            self._insert(conn, Task, tasks)
            for start in range(0, len(links), 5000):
                self._insert(conn, TaskGroup, links[start : start + 5000])
        return [t["id"] for t in tasks]

    # ---- workers -------------------------------------------------------------------------------

    def process_env(self, **extra_env: str) -> dict[str, str]:
        """The environment of a `pushtask` process of this fleet (workers, API, CLI commands)."""
        env = {
            **os.environ,
            "PUSHTASK_DATABASE_URL": self.database_url,
            "PUSHTASK_ENCRYPTION_KEYS": self.keys,
            "PUSHTASK_WECHAT_BASE_URL": self.sandbox_url,
            "PUSHTASK_DATA_DIR": str(self.workdir),
            "PUSHTASK_SECRET_KEY": "f" * 40,
            "PUSHTASK_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            **self.env,
            **extra_env,
        }
        env.pop("PUSHTASK_REDIS_URL", None)
        if self.redis_url:
            env["PUSHTASK_REDIS_URL"] = self.redis_url
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 — closed in close()
        self._logs.append(log)
        # Started in the work directory: `python -m` puts the current directory first on sys.path, which
        # would shadow a PYTHONPATH naming another checkout (bench api-compare --old).
        return subprocess.Popen([*PUSHTASK, *args], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)

    def start_worker(self, **extra_env: str) -> subprocess.Popen[bytes]:
        worker = self._spawn(f"worker-{len(self.workers)}", ["worker"], self.process_env(**extra_env))
        self.workers.append(worker)
        return worker

    def create_admin(self, wechat_id: str, password: str) -> None:
        """Add an admin to the seeded organisation with `pushtask user create`."""
        args = ["user", "create", "--wechat-id", wechat_id, "--role", "admin", "--password", password]
        subprocess.run(
            [*PUSHTASK, *args, "--org", self.org_id],
            env=self.process_env(),
            cwd=self.workdir,
            check=True,
            capture_output=True,
        )

    def start_api(self, timeout: float = 60, **extra_env: str) -> str:
        """Start `pushtask api` (gunicorn) on a free port; return its URL once /api/health answers."""
        port = free_port()
        self.api = self._spawn(
            "api", ["api", "--host", "127.0.0.1", "--port", str(port)], self.process_env(**extra_env)
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"pushtask api exited early:\n{self.api_log()}")
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                    return url  # 200 once the database answers (503 is an HTTPError)
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pushtask api did not answer in {timeout:.0f} s:\n{self.api_log()}")

    def stop_api(self, timeout: float = 30) -> int | None:
        if self.api is None:
            return None
        if self.api.poll() is None:
            self.api.terminate()
        try:
            return self.api.wait(timeout)
        except subprocess.TimeoutExpired:
            self.api.kill()
            return self.api.wait()

    def api_log(self) -> str:
        path = self.workdir / "api.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_workers(self, sig: int = signal.SIGTERM, timeout: float = 30) -> list[int]:
        codes = []
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(sig)
        for worker in self.workers:
            try:
                worker.wait(timeout)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            codes.append(worker.returncode)
        return codes

    # ---- observation ---------------------------------------------------------------------------

    def open_deliveries(self) -> int:
        assert self.engine is not None
        with self.engine.connect() as conn:
            # Planned ahead (not yet fired) counts as open work too.
            open_states = ("planned", "pending", "sending")
            return int(conn.scalar(select(func.count()).where(Delivery.state.in_(open_states))) or 0)

    def push_count(self) -> int:
        assert self.engine is not None
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Push)) or 0)

    def wait_until_done(self, pushes: int, timeout: float) -> float:
        """Wait until `pushes` exist and none has work left; return the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.push_count() >= pushes and self.open_deliveries() == 0:
                return time.monotonic() - started
            time.sleep(0.1)
        raise TimeoutError(f"not done in {timeout:.0f} s: {self.push_count()} pushes, {self.open_deliveries()} open")

    def delivery_states(self) -> Counter[str]:
        assert self.engine is not None
        with self.engine.connect() as conn:
            return Counter(dict(conn.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()))

    def received(self) -> Counter[tuple[str, str]]:
        """How often each (group ref, text) arrived in the sandbox."""
        messages = _http_json(f"{self.sandbox_url}/_sandbox/messages")["messages"]
        counts: Counter[tuple[str, str]] = Counter()
        for m in messages:
            payload = m["payload"]
            body = payload.get("text")
            content = body.get("content") if isinstance(body, dict) else body
            counts[(m["target"], str(content))] += 1
        return counts

    def state_by_pair(self) -> dict[tuple[str, str], str]:
        """Each delivery's state keyed by (group ref, task text)."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Group.channel_ref, Task.content_text, Delivery.state)
                .join(Group, Group.id == Delivery.group_id)
                .join(Push, Push.id == Delivery.push_id)
                .join(Task, Task.id == Push.task_id)
            ).all()
        return {(ref, str(text_)): state for ref, text_, state in rows}

    def groups_by_text(self) -> dict[str, list[str]]:
        """The group ids of every task, keyed by the task's text (tasks made through the API included)."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            rows = conn.execute(select(Task.content_text, TaskGroup.group_id).join(TaskGroup)).all()
        groups: dict[str, list[str]] = {}
        for text_, group_id in rows:
            groups.setdefault(str(text_), []).append(group_id)
        return groups

    def lateness_ms(self) -> list[float]:
        """First-send time minus fire time of every push, in milliseconds."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            rows = conn.execute(select(Push.fire_at, Push.first_sent_at).where(Push.first_sent_at.is_not(None))).all()
        return [(sent - fire).total_seconds() * 1000 for fire, sent in rows]

    def worker_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("worker-*.log")))

    def close(self) -> None:
        self.stop_api()
        self.stop_workers(signal.SIGKILL, timeout=5)
        for log in self._logs:
            log.close()
        if self._sandbox is not None:
            self._sandbox.terminate()
            self._sandbox.wait(10)
        if self.engine is not None:
            self.engine.dispose()
        if self._server is not None and self._db_name:
            with self._server.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{self._db_name}`"))
            self._server.dispose()


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
