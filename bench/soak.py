"""Soak: steady API load for N minutes while pushes fire; latency, errors, exactly-once and memory.

`python -m bench soak --minutes 10` starts the sandbox, `pushtask api` (gunicorn) and one
`pushtask worker` on a private MariaDB database (bench/fleet.py), then:

- pushes: a seeded task to 10 groups falls due every 2 s for the whole run, and the API clients
  create more, due 10–40 s after they are made;
- API clients (asyncio + aiohttp, each with a short pause between calls) list tasks with filters,
  read one, create one, edit or pause and resume a task due next month;
- every 10 s the resident memory of each process is sampled from /proc (each gunicorn worker,
  the worker, the sandbox);
- at the end, what the groups received (the sandbox's log) is compared with what was due.

`--smoke` runs the same for 25 s (tests/acceptance/test_bench_smoke.py, so it cannot rot).
Exits 1 when a push was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.fleet import Fleet, soon
from bench.scheduler import DEFAULT_DB, percentiles
from bench.suite import RESULTS, machine, ms

PASSWORD = "soak-admin-password"  # noqa: S105 — a throwaway user in a throwaway database
OPS = (("list", 40), ("get", 25), ("create", 10), ("update", 10), ("pause+resume", 10), ("health", 5))


@dataclass
class Plan:
    seconds: float
    warmup_s: float
    sample_s: float
    clients: int = 8
    think_s: float = 0.1  # each client's pause between calls: steady load, not a stress test
    seed_every_s: float = 2.0
    groups_per_task: int = 10
    due_s: tuple[float, float] = (10, 40)  # tasks the clients create fall due this long after
    tail_s: float = 30  # nothing falls due in the last seconds of the load: the worker finishes it


@dataclass
class Calls:
    ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)

    def add(self, op: str, elapsed_ms: float, status: int) -> None:
        self.ms.setdefault(op, []).append(elapsed_ms)
        if not 200 <= status < 300:
            self.errors[op] += 1
            self.codes[f"{op} {status}"] += 1


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def processes(fleet: Fleet) -> dict[str, int]:
    """The processes to watch, by name: the gunicorn master and workers, the worker, the sandbox."""
    assert fleet.api is not None
    named = {"api master": fleet.api.pid}
    for n, pid in enumerate(sorted(children(fleet.api.pid)), start=1):
        named[f"api worker {n}"] = pid
    for n, worker in enumerate(fleet.workers, start=1):
        named[f"pushtask worker {n}"] = worker.pid
    named["sandbox"] = fleet.sandbox_pid
    return named


async def sample_memory(fleet: Fleet, plan: Plan, until: float, out: dict[str, list[tuple[float, int]]]) -> None:
    started = time.monotonic()
    while True:
        now = time.monotonic()
        for name, pid in processes(fleet).items():
            kb = rss_kb(pid)
            if kb is not None:
                out.setdefault(name, []).append((now - started, kb))
        if now >= until:
            return
        await asyncio.sleep(min(plan.sample_s, max(0.0, until - now)))


async def drive(url: str, fleet: Fleet, plan: Plan, groups: list[str], later: list[str]) -> dict[str, Any]:
    calls = Calls()
    created: list[str] = []  # the texts of the tasks the clients made, due within the run
    memory: dict[str, list[tuple[float, int]]] = {}
    rng = random.Random(7)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=plan.clients)) as http:
        async with http.post(f"{url}/api/auth/login", json={"wechatId": "soak-admin", "password": PASSWORD}) as r:
            headers = {"Authorization": f"Bearer {(await r.json())['token']}"}

        async def call(op: str, method: str, path: str, body: Any = None) -> Any:
            started = time.perf_counter()
            status, payload = 0, None
            try:
                async with http.request(method, f"{url}{path}", json=body, headers=headers) as response:
                    status = response.status
                    payload = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError):
                pass  # status 0: counted as an error, its time kept
            calls.add(op, (time.perf_counter() - started) * 1000, status)
            return payload

        async def one(op: str, end: float, mine: list[str]) -> None:
            if op == "list":
                query = rng.choice(
                    [
                        "status=scheduled&limit=20",
                        "status=scheduled,completed&priority=medium,high&limit=20&page=2",
                        f"groupId={rng.choice(groups)}&limit=20",
                        "q=soak&sort=-createdAt&limit=50",
                    ]
                )
                await call("list", "GET", f"/api/tasks?{query}")
            elif op == "get":
                await call("get", "GET", f"/api/tasks/{rng.choice(later)}")
            elif op == "create":
                due_in = rng.uniform(*plan.due_s)
                fire = datetime.now(UTC) + timedelta(seconds=due_in)
                if time.monotonic() + due_in > end - plan.tail_s:
                    return
                text = f"soak api {len(created)}-{rng.randrange(10**9)}"
                body = {
                    "name": "soak",
                    "schedule": {"type": "once", "time": fire.isoformat(), "timezone": "Asia/Shanghai"},
                    "content": {"text": text},
                    "groups": rng.sample(groups, 5),
                    "priority": "medium",
                    "status": "scheduled",
                }
                answer = await call("create", "POST", "/api/tasks", body)
                if isinstance(answer, dict) and answer.get("taskId"):
                    created.append(text)
            elif op == "update":
                body = {"content": {"text": f"下月的通知，第 {rng.randrange(1000)} 版"}}
                await call("update", "PUT", f"/api/tasks/{rng.choice(mine)}", body)
            elif op == "pause+resume":
                task = rng.choice(mine)
                await call("pause", "POST", f"/api/tasks/{task}/pause", {})
                await call("resume", "POST", f"/api/tasks/{task}/resume", {})
            else:
                await call("health", "GET", "/api/health")

        async def client(until: float, mine: list[str]) -> None:
            names, weights = zip(*OPS, strict=True)
            while time.monotonic() < until:
                await one(rng.choices(names, weights)[0], until, mine)
                await asyncio.sleep(plan.think_s)

        started = time.monotonic()
        until = started + plan.seconds
        sampler = asyncio.create_task(sample_memory(fleet, plan, until, memory))
        # Each client edits, pauses and resumes its own tasks: two clients pausing one task would get a 409.
        await asyncio.gather(*(client(until, later[n :: plan.clients]) for n in range(plan.clients)))
        load_at_end = os.getloadavg()[0]
        await sampler
    return {"calls": calls, "created": created, "memory": memory, "load_at_end": load_at_end}


def run(server_url: str, plan: Plan) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(server_url=server_url, workdir=Path(tmp))
        try:
            fleet.create_database()
            fleet.start_sandbox()
            fleet.sandbox_fault(latencyMs=20, endpoint="appchat/send")
            fleet.sandbox_fault(latencyMs=20, endpoint="bridge/send")
            groups = fleet.seed_groups(50)
            later = fleet.add_tasks(200, groups[:5], soon(30 * 86400), label="下月")
            count = int(plan.seconds // plan.seed_every_s)
            texts = [f"soak seeded {i}" for i in range(count)]
            seeded_groups = groups[: plan.groups_per_task]
            fleet.create_admin("soak-admin", PASSWORD)
            url = fleet.start_api()
            fleet.start_worker()
            # Seeded pushes fall due from the first seconds of the load to `tail_s` before its end.
            step = (plan.seconds - plan.tail_s) / max(1, count)
            fleet.add_tasks(count, seeded_groups, [soon(3 + i * step) for i in range(count)], texts=texts)
            result = asyncio.run(drive(url, fleet, plan, groups, later))
            created: list[str] = result["created"]
            fleet.wait_until_done(pushes=count + len(created), timeout=180)
            received = fleet.received()
            expected: set[tuple[str, str]] = {(fleet.refs[g], t) for g in seeded_groups for t in texts}
            by_text = fleet.groups_by_text()
            from_api = {(fleet.refs[g], text) for text in created for g in by_text[text]}
            expected |= from_api
            result["from_api"] = len(from_api)
            due_received = {pair: n for pair, n in received.items() if pair in expected}
            result["due"] = len(expected)
            result["sent"] = len(due_received)
            result["duplicates"] = sum(n - 1 for n in due_received.values())
            result["missing"] = len(expected - set(due_received))
            result["states"] = dict(fleet.delivery_states())
            result["api_errors"] = [line for line in fleet.api_log().splitlines() if '"ERROR"' in line][:5]
            result["worker_errors"] = [line for line in fleet.worker_logs().splitlines() if '"ERROR"' in line][:5]
            return result
        finally:
            fleet.close()


def memory_rows(memory: dict[str, list[tuple[float, int]]], warmup_s: float) -> list[str]:
    rows = []
    for name, samples in memory.items():
        after = [kb for t, kb in samples if t >= warmup_s] or [samples[-1][1]]
        start, middle, end, peak = after[0], after[len(after) // 2], after[-1], max(after)
        growth = end - start
        # A leak keeps growing; a cache or pool levels off: the second half tells them apart.
        rows.append(
            f"| {name} | {start / 1024:.1f} | {end / 1024:.1f} | {peak / 1024:.1f} | "
            f"{growth / 1024:+.1f} ({growth / start * 100:+.1f} %) | {(end - middle) / 1024:+.1f} | {len(after)} |"
        )
    return rows


def report(result: dict[str, Any], plan: Plan, command: str, stamp: str, host: str) -> list[str]:
    calls: Calls = result["calls"]
    total = sum(len(v) for v in calls.ms.values())
    errors = sum(calls.errors.values())
    lines = [
        "# Soak",
        "",
        f"Command: `{command}`, started {stamp}, {plan.seconds / 60:.1f} min of load; {host}, "
        f"{result['load_at_end']:.1f} at the end.",
        "",
        f"`pushtask api` (gunicorn, default workers/threads) and one `pushtask worker` on MariaDB, sandbox "
        f"with 20 ms per send; {plan.clients} API clients, {plan.think_s * 1000:.0f} ms pause between calls.",
        "",
        "| call | n | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for op in sorted(calls.ms):
        p = percentiles(calls.ms[op])
        lines.append(
            f"| {op} | {p['n']} | {ms(p['p50'])} | {ms(p['p95'])} | {ms(p['p99'])} | {ms(p['max'])} | "
            f"{calls.errors[op]} |"
        )
    rate = errors / total * 100 if total else 0.0
    lines += [
        "",
        f"{total} calls ({total / plan.seconds:.1f}/s), {errors} errors ({rate:.2f} %)"
        + (f": {dict(calls.codes)}" if calls.codes else "")
        + ".",
        "",
        f"Pushes: {result['sent']} of {result['due']} due (task, group) pairs received "
        f"({result['from_api']} of them from {len(result['created'])} tasks created through the API), "
        f"{result['duplicates']} duplicates, {result['missing']} missing; delivery states {result['states']}.",
        "",
        f"Memory (RSS, MB; from the first sample after {plan.warmup_s:.0f} s of warm-up to the end, "
        f"sampled every {plan.sample_s:.0f} s):",
        "",
        "| process | start | end | peak | growth | of which 2nd half | samples |",
        "|---|---|---|---|---|---|---|",
        *memory_rows(result["memory"], plan.warmup_s),
        "",
    ]
    for kind in ("api_errors", "worker_errors"):
        if result[kind]:
            lines += [f"First {kind.replace('_', ' ')} in the logs:", "", *[f"    {x[:300]}" for x in result[kind]], ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="25 s, nothing written; what `make test` runs")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--out", default=str(RESULTS / "soak.md"))
    args = parser.parse_args(argv)
    if args.smoke:
        plan = Plan(seconds=25, warmup_s=5, sample_s=5, clients=args.clients, due_s=(3, 8), tail_s=8)
    else:
        seconds = args.minutes * 60
        plan = Plan(seconds=seconds, warmup_s=min(60.0, seconds / 10), sample_s=10, clients=args.clients)
    host = machine()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result = run(args.db, plan)
    command = "python -m bench soak " + " ".join(argv if argv is not None else [])
    lines = report(result, plan, command.strip(), stamp, host)
    print("\n".join(lines))
    if not args.smoke:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0 if result["duplicates"] == 0 and result["missing"] == 0 else 1
