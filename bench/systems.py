"""The four systems under one interface, each on its own private database and its own sandbox.

A run: `system.setup(groups)` → `system.add(specs)` → `system.start(workers)` → observe
(`confirmed()`, the sandbox log) → `close()`. Tasks are added before the workers start, the way
each system's own API would store them; fire times leave room for start-up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Engine, func, select

from bench.fleet import Fleet, _http_json
from bench.peers import TaskSpec, confirmed, create_tables, insert_tasks
from pushtask.models import Delivery

PRIORITY = {"high": 3, "medium": 2, "low": 1}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@dataclass
class System:
    """Base: a fleet (database + sandbox) and worker processes started by `command()`."""

    server_url: str
    workdir: Path
    redis_url: str | None = None
    fleet: Fleet = field(init=False)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    name: ClassVar[str] = ""
    key: ClassVar[str] = ""
    max_workers: ClassVar[int | None] = None  # None: any number of processes may run
    why_one: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self.fleet = Fleet(server_url=self.server_url, workdir=self.workdir)

    # -- lifecycle ---------------------------------------------------------------------------------

    def setup(self, groups: int) -> None:
        self.fleet.create_database(migrate=False)
        self.fleet.start_sandbox()
        self.refs = self.fleet.register_chats(groups)
        create_tables(self.engine)

    @property
    def engine(self) -> Engine:
        assert self.fleet.engine is not None
        return self.fleet.engine

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BENCH_DB_URL": self.fleet.database_url,
            "BENCH_SANDBOX_URL": self.fleet.sandbox_url,
        }

    def command(self) -> list[str]:
        raise NotImplementedError

    def add(self, specs: list[TaskSpec]) -> None:
        insert_tasks(self.engine, specs)

    def start(self, workers: int = 1) -> None:
        for _ in range(workers):
            self.start_one()

    def start_one(self) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{self.key}-{len(self.procs)}.log", "wb")  # noqa: SIM115 — closed on exit
        proc = subprocess.Popen(self.command(), env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def kill_one(self) -> None:
        """SIGKILL the first live worker process (and its process group's children, if any)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
                return

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.alive())

    def confirmed(self) -> int:
        return confirmed(self.engine)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        self.fleet.close()

    # -- the sandbox -------------------------------------------------------------------------------

    def set_latency(self, ms: int) -> None:
        if ms:
            _http_json(f"{self.fleet.sandbox_url}/_sandbox/faults", {"endpoint": "appchat/send", "latencyMs": ms})

    def sends_so_far(self) -> int:
        """Messages the sandbox logged so far (cheap: no message bodies)."""
        return int(_http_json(f"{self.fleet.sandbox_url}/_sandbox/stats")["messages"])

    def arrivals(self) -> list[tuple[str, str, str]]:
        """Every app-chat message the sandbox logged: (chat id, text, receivedAt)."""
        messages: list[dict[str, Any]] = _http_json(f"{self.fleet.sandbox_url}/_sandbox/messages", timeout=120)[
            "messages"
        ]
        out = []
        for m in messages:
            body = m["payload"].get("text")
            content = body.get("content") if isinstance(body, dict) else body
            out.append((str(m["target"]), str(content), str(m["receivedAt"])))
        return out


class PushTaskSystem(System):
    name = "PushTask"
    key = "pushtask"

    def setup(self, groups: int) -> None:
        self.fleet.create_database()
        self.fleet.start_sandbox()
        ids = self.fleet.seed_groups(groups, channels=("wecom_appchat",))
        self.group_by_ref = {self.fleet.refs[g]: g for g in ids}
        self.refs = [self.fleet.refs[g] for g in ids]

    def add(self, specs: list[TaskSpec]) -> None:
        batches: dict[tuple[str, tuple[str, ...]], list[TaskSpec]] = defaultdict(list)
        for spec in specs:
            batches[(spec.priority, spec.chat_ids)].append(spec)
        for (priority, chats), batch in batches.items():
            self.fleet.add_tasks(
                len(batch),
                [self.group_by_ref[c] for c in chats],
                [s.fire_at for s in batch],
                priority=PRIORITY[priority],
                texts=[s.text for s in batch],
            )

    def start_one(self) -> subprocess.Popen[bytes]:
        proc = self.fleet.start_worker()
        self.procs.append(proc)
        return proc

    def confirmed(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.scalar(select(func.count()).where(Delivery.state.in_(("sent", "failed", "uncertain", "missed"))))
                or 0
            )

    def uncertain(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).where(Delivery.state == "uncertain")) or 0)

    def close(self) -> None:
        self.procs.clear()  # the fleet owns them
        self.fleet.close()


OLDER = "pushtask-old"  # `--old <tree>`: PushTask at an older commit, beside this checkout


def older_pushtask(tree: str) -> type[PushTaskSystem]:
    """PushTask at an older commit (`python -m bench suite --old <tree>`): a checkout of it, e.g. a
    `git worktree`, first on its processes' PYTHONPATH; its database is migrated by its own code."""
    path = str(Path(tree).resolve())
    found = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    commit = found.stdout.strip() or Path(path).name

    class OlderPushTask(PushTaskSystem):
        name = f"PushTask at {commit} (older commit)"
        key = OLDER

        def __post_init__(self) -> None:
            super().__post_init__()
            self.fleet.env["PYTHONPATH"] = path

    return OlderPushTask


class PrdSystem(System):
    name = "PRD design (poll 60 s + gather)"
    key = "prd"
    max_workers = 1
    why_one = "no claim: a second copy sends every message again"
    interval = 60.0

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.peers.prd", "--interval", str(self.interval)]


class ApsSystem(System):
    name = "APScheduler 3 (SQLAlchemy job store)"
    key = "aps"
    max_workers = 1
    why_one = "job store must never be shared between schedulers (APScheduler 3 FAQ)"

    def add(self, specs: list[TaskSpec]) -> None:
        from bench.peers import aps

        insert_tasks(self.engine, specs)
        aps.add_jobs(self.fleet.database_url, specs)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.peers.aps", "--threads", "20"]


class CelerySystem(System):
    name = "Celery 5 (Redis broker, ETA tasks)"
    key = "celery"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.prefix = f"bench-{uuid.uuid4().hex[:10]}:"

    def env(self) -> dict[str, str]:
        assert self.redis_url
        return {**super().env(), "BENCH_REDIS_URL": self.redis_url, "BENCH_CELERY_PREFIX": self.prefix}

    def add(self, specs: list[TaskSpec]) -> None:
        from bench.peers import celery_app

        insert_tasks(self.engine, specs)
        assert self.redis_url
        celery_app.configure(self.redis_url, self.prefix)
        celery_app.enqueue(specs)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bench.peers.celery_app",
            "worker",
            "-P",
            "threads",
            "-c",
            "20",
            "-Q",
            "high,celery",
            "-n",
            f"w{len(self.procs)}-{self.prefix.strip(':')}@%h",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ]

    def close(self) -> None:
        super().close()
        if self.redis_url:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
            client.close()


SYSTEMS: dict[str, type[System]] = {
    "pushtask": PushTaskSystem,
    "prd": PrdSystem,
    "aps": ApsSystem,
    "celery": CelerySystem,
}


def wait_for(predicate: Any, timeout: float, every: float = 0.2) -> float | None:
    """Seconds until `predicate()` held, or None after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(every)
    return None
