"""API latency with a full table: `pushtask api` (gunicorn, the production command) on MariaDB.

GET /api/tasks (20 per page, status + priority filters) from 50 concurrent clients, then create
(POST /api/tasks) and update (PUT /api/tasks/<id>) from 10 concurrent clients. Peers have no API:
the PRD's own API is what PushTask implements, so this row is PushTask's alone.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.fleet import Fleet
from bench.scheduler import _mariadb_pid, cpu_seconds, percentiles

PASSWORD = "bench-admin-password"  # noqa: S105 — a throwaway user in a throwaway database


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and its children (gunicorn's master and its workers)."""
    pids = [root]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == root:
                pids.append(int(proc.name))
    return sum(cpu_seconds(pid) for pid in pids)


def run_api(
    server_url: str,
    tasks: int,
    seconds: float,
    readers: int = 50,
    writers: int = 10,
    redis_url: str | None = None,
    env: dict[str, str] | None = None,
    db_pid: int | None = None,
) -> dict[str, Any]:
    """`env` is added to the API's environment (e.g. PYTHONPATH of an older tree, to compare commits)."""
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(server_url=server_url, workdir=Path(tmp), redis_url=redis_url, env=dict(env or {}))
        try:
            fleet.create_database()
            fleet.start_sandbox()
            group_ids = fleet.seed_groups(10, channels=("wecom_appchat",))
            later = datetime.now(UTC) + timedelta(days=30)
            for start in range(0, tasks, 20_000):
                n = min(20_000, tasks - start)
                for priority, share in ((3, n // 10), (2, n - n // 10)):
                    fleet.add_tasks(share, group_ids[:3], later, priority=priority, label=f"api{start}-{priority}-")
            fleet.create_admin("bench-admin", PASSWORD)
            url = fleet.start_api()
            assert fleet.api is not None
            api_pid, db_pid = fleet.api.pid, db_pid or _mariadb_pid()

            def cpu() -> tuple[float, float]:
                return process_tree_cpu(api_pid), cpu_seconds(db_pid) if db_pid else float("nan")

            result = asyncio.run(_drive(url, group_ids, seconds, readers, writers, cpu))
            log_lines = fleet.api_log().splitlines()
            result["server_errors"] = [line for line in log_lines if "CRITICAL" in line or "Error" in line][:5]
            return result | {"tasks": tasks}
        finally:
            fleet.close()


async def _drive(
    url: str,
    group_ids: list[str],
    seconds: float,
    readers: int,
    writers: int,
    cpu: Callable[[], tuple[float, float]] = lambda: (float("nan"), float("nan")),
) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=readers + writers)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for _ in range(300):
            try:
                async with session.get(f"{url}/api/health") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        async with session.post(f"{url}/api/auth/login", json={"wechatId": "bench-admin", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        errors: list[int] = []

        async def timed(method: str, path: str, body: Any = None) -> tuple[float, Any]:
            started = time.perf_counter()
            payload: Any = None
            try:
                async with session.request(method, f"{url}{path}", json=body, headers=headers) as response:
                    payload = await response.json(content_type=None)
                    if response.status >= 300:
                        errors.append(response.status)
            except (aiohttp.ClientError, TimeoutError):
                errors.append(0)  # connection reset or timed out: counted, and its time kept
            return (time.perf_counter() - started) * 1000, payload

        async def reader(out: list[float], until: float) -> None:
            while time.monotonic() < until:
                page = random.randint(1, 50)
                ms, _ = await timed("GET", f"/api/tasks?status=scheduled&priority=medium,high&limit=20&page={page}")
                out.append(ms)

        async def writer(creates: list[float], updates: list[float], until: float) -> None:
            while time.monotonic() < until:
                body = {
                    "name": "基准任务",
                    "schedule": {
                        "type": "once",
                        "time": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                        "timezone": "Asia/Shanghai",
                    },
                    "content": {"text": "家长您好，明天 8:00 上课，请准时到校"},
                    "groups": group_ids[:5],
                    "priority": "medium",
                    "status": "draft",
                }
                ms, created = await timed("POST", "/api/tasks", body)
                creates.append(ms)
                task_id = created.get("taskId") if isinstance(created, dict) else None
                if task_id:
                    ms, _ = await timed("PUT", f"/api/tasks/{task_id}", {"content": {"text": "改期：后天 8:00 上课"}})
                    updates.append(ms)

        alone: list[float] = []  # one client, one call at a time: the server's own time per call
        for page in range(1, 6):
            ms, _ = await timed("GET", f"/api/tasks?status=scheduled&priority=medium,high&limit=20&page={page}")
            alone.append(ms)

        async def person(out: list[float], until: float) -> None:
            # Someone paging through the admin: a list call, then a look at it (1 s on average).
            await asyncio.sleep(random.uniform(0, 1))
            while time.monotonic() < until:
                page = random.randint(1, 50)
                ms, _ = await timed("GET", f"/api/tasks?status=scheduled&priority=medium,high&limit=20&page={page}")
                out.append(ms)
                await asyncio.sleep(random.expovariate(1.0))

        lists: list[float] = []
        until = time.monotonic() + seconds
        api_before, db_before = cpu()
        began = time.monotonic()
        await asyncio.gather(*(reader(lists, until) for _ in range(readers)))
        elapsed = time.monotonic() - began
        api_after, db_after = cpu()
        paced: list[float] = []
        until = time.monotonic() + seconds
        await asyncio.gather(*(person(paced, until) for _ in range(readers)))
        creates: list[float] = []
        updates: list[float] = []
        until = time.monotonic() + seconds
        await asyncio.gather(*(writer(creates, updates, until) for _ in range(writers)))
    return {
        "list_alone": percentiles(alone),
        "list": percentiles(lists),
        "list_per_s": len(lists) / elapsed,
        # CPU per list call while saturated: the API processes (gunicorn master + workers) and MariaDB.
        "list_api_cpu_ms": (api_after - api_before) * 1000 / max(1, len(lists)),
        "list_db_cpu_ms": (db_after - db_before) * 1000 / max(1, len(lists)),
        "list_paced": percentiles(paced),
        "list_paced_per_s": len(paced) / seconds,
        "create": percentiles(creates),
        "update": percentiles(updates),
        "errors": len(errors),
        "error_codes": sorted(set(errors)),
        "readers": readers,
        "writers": writers,
    }
