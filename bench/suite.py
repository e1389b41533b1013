"""PushTask side by side with the PRD's design, APScheduler 3 and Celery: one command, one table, one chart.

    python -m bench suite            # the full suite (`make bench`), about 15 minutes
    python -m bench suite --quick    # the same runs, smaller (a couple of minutes)
    python -m bench suite --smoke    # seconds; `make test` runs it so the harness cannot rot
    python -m bench suite --only lateness,burst --systems pushtask,celery

Every system gets its own private MariaDB database and its own sandbox process, the same groups,
the same tasks (same texts, same fire times relative to the start) and is measured the same way:
lateness and duplicates/losses come from the sandbox's message log (what each group received),
completion from each system's own durable per-group status. Writes bench/results/summary.md and
bench/results/lateness.png.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.fleet import Fleet, _http_json
from bench.peers import TaskSpec
from bench.scheduler import _bare_loop, _mariadb_pid, cpu_seconds, percentiles, settled
from bench.systems import OLDER, SYSTEMS, PushTaskSystem, System, wait_for

RESULTS = Path(__file__).parent / "results"
BARE_CONCURRENCY = 256  # PUSHTASK_WORKER_CONCURRENCY's default


@dataclass(frozen=True)
class Sizes:
    lateness_tasks: int = 1000
    lateness_groups: int = 10
    lateness_spread_s: float = 300.0
    burst_tasks: int = 1000
    burst_groups: int = 100
    burst_high: int = 10
    burst_timeout_s: float = 120.0
    tput_tasks: int = 200
    tput_groups: int = 100
    tput_timeout_s: float = 40.0
    kill_tasks: int = 200
    kill_groups: int = 100
    kill_timeout_s: float = 60.0
    idle_counts: tuple[int, ...] = (1_000, 1_000_000)
    idle_window_s: float = 10.0
    api_tasks: int = 100_000
    api_seconds: float = 10.0
    prd_interval_s: float = 60.0


# The workloads, trimmed toward 15 minutes on 2 cores: lateness over 30 s instead of 300 s
# (denser, so harder), throughput and kill runs of 10,000 sends, idle cost at 10³ and 10⁵ (seeding
# 10⁶ tasks took 6 minutes per system: `--idle-counts 1000,1000000` on a quiet machine).
FULL = Sizes(
    lateness_spread_s=30.0,
    burst_timeout_s=60.0,
    tput_tasks=100,
    tput_timeout_s=30.0,
    kill_tasks=100,
    kill_timeout_s=45.0,
    idle_counts=(1_000, 100_000),
    idle_window_s=5.0,
)
QUICK = Sizes(
    lateness_tasks=200,
    lateness_spread_s=30.0,
    burst_tasks=200,
    burst_timeout_s=60.0,
    tput_tasks=50,
    kill_tasks=50,
    idle_counts=(1_000, 100_000),
    api_tasks=10_000,
    api_seconds=5.0,
)
SMOKE = Sizes(
    lateness_tasks=10,
    lateness_groups=3,
    lateness_spread_s=3.0,
    burst_tasks=10,
    burst_groups=10,
    burst_high=2,
    burst_timeout_s=30.0,
    tput_tasks=4,
    tput_groups=10,
    tput_timeout_s=20.0,
    kill_tasks=10,
    kill_groups=10,
    kill_timeout_s=30.0,
    idle_counts=(100,),
    idle_window_s=1.0,
    api_tasks=50,
    api_seconds=1.0,
    prd_interval_s=2.0,
)


@dataclass
class Bench:
    server_url: str
    redis_url: str | None
    sizes: Sizes
    systems: list[str]
    results: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print
    _startup: dict[str, float] = field(default_factory=dict)

    # -- one run of one system ---------------------------------------------------------------------

    def make(self, key: str, tmp: Path) -> System:
        system = SYSTEMS[key](server_url=self.server_url, workdir=tmp, redis_url=self.redis_url)
        if key == "prd":
            system.interval = self.sizes.prd_interval_s  # type: ignore[attr-defined]
        return system

    def startup_cpu(self, key: str) -> float:
        """CPU seconds one process of `key` spends starting up with nothing due (measured once per run).

        Each run's CPU counts from the start of its processes; this much per process is taken off, so
        that CPU per send is the cost of the sends and not of imports and connecting (seconds of CPU
        on a slow machine, against 10,000 sends).
        """
        if key not in self._startup:
            with tempfile.TemporaryDirectory() as tmp:
                system = self.make(key, Path(tmp))
                try:
                    system.setup(1)
                    self._startup[key] = settled([system.start_one().pid])
                finally:
                    system.close()
        return self._startup[key]

    def run(
        self,
        key: str,
        *,
        tasks: int,
        groups: int,
        fires: Callable[[datetime, int], datetime],
        workers: int = 1,
        latency_ms: int = 0,
        high: int = 0,
        timeout: float = 60.0,
        kill_at: float | None = None,
        lead_s: float = 4.0,
        poll_after_fire: bool = False,
    ) -> dict[str, Any]:
        """Seed, start, wait until every group send is durably recorded (or `timeout` after the last fire)."""
        label = uuid.uuid4().hex[:6]
        startup = self.startup_cpu(key)
        began = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            system = self.make(key, Path(tmp))
            if kill_at is not None and isinstance(system, PushTaskSystem):
                system.fleet.env["PUSHTASK_WORKER_LEASE_SECONDS"] = "10"
            try:
                system.setup(groups)
                system.set_latency(latency_ms)
                base = datetime.now(UTC) + timedelta(seconds=lead_s)
                specs = [
                    TaskSpec(
                        task_id=str(uuid.uuid4()),
                        text=f"{label} {i}：请注意查收",
                        fire_at=fires(base, i),
                        chat_ids=tuple(system.refs),
                        priority="high" if i < high else "medium",
                    )
                    for i in range(tasks)
                ]
                seeded = time.monotonic()
                system.add(specs)
                seed_s = time.monotonic() - seeded
                if poll_after_fire and key == "prd":
                    # Start the PRD loop just after the fire time: its first poll then finds the work at
                    # once, instead of the run idling up to a minute (its lateness is measured elsewhere).
                    time.sleep(max(0.0, (max(sp.fire_at for sp in specs) - datetime.now(UTC)).total_seconds()) + 0.2)
                prepared_s = time.monotonic() - began
                system.start(workers)
                expected = tasks * groups
                killed = False
                until_kill = timeout + lead_s + (self.sizes.prd_interval_s if key == "prd" else 0)
                started = wait_for(lambda: system.sends_so_far() >= (kill_at or 0) * expected, until_kill, 0.05)
                if kill_at is not None and started is not None:
                    system.kill_one()
                    system.start_one()
                    killed = True
                last_fire = max(s.fire_at for s in specs)
                wait = max(0.0, (last_fire - datetime.now(UTC)).total_seconds()) + timeout
                db_pid = _mariadb_pid()
                cpu_before, db_before = system.cpu(), cpu_seconds(db_pid) if db_pid else 0.0
                wait_for(lambda: system.confirmed() >= expected, wait, 0.1)
                done_at = datetime.now(UTC)
                recorded = system.confirmed()
                # (Of the live processes: after a kill, the killed one's CPU is gone from the sum, and its
                # replacement's start-up stays in; the kill workload reports no CPU.)
                cpu = max(0.0, system.cpu() - cpu_before - startup * workers)
                # The server is shared by every system, but they run one after another; its CPU in this
                # window is this run's durable work (and the completion polls: one COUNT per 0.1 s).
                db_cpu = cpu_seconds(db_pid) - db_before if db_pid else None
                out = analyse(specs, system.arrivals())
                out.update(
                    system=key,
                    workers=workers,
                    latency_ms=latency_ms,
                    expected=expected,
                    recorded=recorded,
                    complete=recorded >= expected,
                    done_s=(done_at - last_fire).total_seconds() if recorded >= expected else None,
                    seed_s=round(seed_s, 2),
                    killed=killed,
                    cpu_s=round(cpu, 2),
                    startup_cpu_s=round(startup, 2),
                    db_cpu_s=round(db_cpu, 2) if db_cpu is not None else None,
                )
                if isinstance(system, PushTaskSystem):
                    # Losses and duplicates PushTask shows an operator (state `uncertain`, or `failed` once
                    # read back from the channel as not received) are not silent.
                    states = system.fleet.state_by_pair()
                    out["uncertain"] = sum(1 for v in states.values() if v == "uncertain")
                    out["lost_silent"] = sum(
                        1 for p in out.pop("lost_pairs") if states.get(p) not in ("uncertain", "failed")
                    )
                    out["duplicates_silent"] = sum(
                        n for p, n in out.pop("dup_pairs").items() if states.get(p) != "uncertain"
                    )
                else:
                    out["lost_silent"], out["duplicates_silent"] = out["lost"], out["duplicates"]
                out.pop("lost_pairs", None)
                out.pop("dup_pairs", None)
                self.log(
                    f"  {key}: prepared in {prepared_s:.0f} s (seeding {seed_s:.0f} s), "
                    f"run {time.monotonic() - began:.0f} s"
                )
                return out
            finally:
                system.close()

    # -- the workloads -----------------------------------------------------------------------------

    def lateness(self) -> None:
        s = self.sizes
        rows = {}

        def fires(base: datetime, i: int) -> datetime:
            return base + timedelta(seconds=s.lateness_spread_s * i / s.lateness_tasks)

        for key in self.systems:
            self.log(f"lateness: {key}")
            rows[key] = self.run(
                key,
                tasks=s.lateness_tasks,
                groups=s.lateness_groups,
                fires=fires,
                timeout=s.prd_interval_s + 30 if key == "prd" else 30,
            )
        self.results["lateness"] = rows

    def burst(self) -> None:
        s = self.sizes
        rows = {}
        for key in self.systems:
            # As many processes as the system supports (PushTask and Celery scale out; the others cannot).
            workers = SYSTEMS[key].max_workers or 2
            self.log(f"burst: {key} ×{workers}")
            rows[key] = self.run(
                key,
                tasks=s.burst_tasks,
                groups=s.burst_groups,
                workers=workers,
                high=s.burst_high,
                fires=lambda base, _i: base,
                timeout=s.burst_timeout_s,
                lead_s=6.0,
                poll_after_fire=True,
            )
        self.results["burst"] = rows

    def throughput(self) -> None:
        s = self.sizes
        rows: list[dict[str, Any]] = []
        ceilings = {}
        for latency in (0, 20):
            ceilings[latency] = bare_loop_ceiling(s.tput_tasks * s.tput_groups, s.tput_groups, latency)
            for key in self.systems:
                for workers in (1, 2):
                    system_cls = SYSTEMS[key]
                    if system_cls.max_workers is not None and workers > system_cls.max_workers:
                        rows.append({"system": key, "workers": workers, "latency_ms": latency, "skipped": True})
                        continue
                    self.log(f"throughput: {key} ×{workers}, {latency} ms")
                    rows.append(
                        self.run(
                            key,
                            tasks=s.tput_tasks,
                            groups=s.tput_groups,
                            workers=workers,
                            latency_ms=latency,
                            fires=lambda base, _i: base,
                            timeout=s.tput_timeout_s,
                            poll_after_fire=True,
                        )
                    )
        self.results["throughput"] = {"rows": rows, "ceiling": ceilings}

    def kill(self) -> None:
        s = self.sizes
        rows = {}
        for key in self.systems:
            workers = SYSTEMS[key].max_workers or 2
            self.log(f"kill: {key} ×{workers}")
            rows[key] = self.run(
                key,
                tasks=s.kill_tasks,
                groups=s.kill_groups,
                workers=workers,
                fires=lambda base, _i: base,
                kill_at=0.3,
                timeout=s.kill_timeout_s,
                poll_after_fire=True,
            )
        self.results["kill"] = rows

    def api(self) -> None:
        from bench.api import run_api

        if "pushtask" not in self.systems:
            return
        self.log(f"api: {self.sizes.api_tasks:,} tasks")
        self.results["api"] = run_api(self.server_url, self.sizes.api_tasks, self.sizes.api_seconds)

    def idle(self) -> None:
        s = self.sizes
        rows: list[dict[str, Any]] = []
        for key in self.systems:
            if key == OLDER:
                continue  # the idle cost of this checkout only
            for count in s.idle_counts:
                limit = IDLE_LIMITS.get(key)
                if limit is not None and count > limit[0]:
                    rows.append({"system": key, "count": count, "skipped": limit[1]})
                    continue
                self.log(f"idle: {key} with {count:,} future tasks")
                rows.append(self.idle_one(key, count))
        self.results["idle"] = rows

    def idle_one(self, key: str, count: int) -> dict[str, Any]:
        """Seed `count` tasks due tomorrow, start the scheduler, measure its CPU and one tick's queries."""
        with tempfile.TemporaryDirectory() as tmp:
            system = self.make(key, Path(tmp))
            try:
                began = time.monotonic()
                system.setup(1)
                tomorrow = datetime.now(UTC) + timedelta(days=1)
                for start in range(0, count, 20_000):
                    system.add(
                        [
                            TaskSpec(str(uuid.uuid4()), f"idle {i}", tomorrow + timedelta(seconds=i), ())
                            for i in range(start, min(count, start + 20_000))
                        ]
                    )
                self.log(f"  {key}: {count:,} tasks seeded in {time.monotonic() - began:.0f} s")
                system.start(1)
                time.sleep(3)  # start-up is not idle cost
                cpu0, t0 = system.cpu(), time.monotonic()
                time.sleep(self.sizes.idle_window_s)
                cpu_pct = (system.cpu() - cpu0) / (time.monotonic() - t0) * 100
                rss = sum(rss_mb(p.pid) for p in system.alive())
                tick_ms, note = tick_time(key, system)
                return {
                    "system": key,
                    "count": count,
                    "cpu_pct": cpu_pct,
                    "rss_mb": rss,
                    "tick_ms": tick_ms,
                    "note": note,
                }
            finally:
                system.close()


IDLE_LIMITS = {
    "aps": (
        100_000,
        "each job is a pickled row added by add_job (one INSERT + commit each); 10⁶ did not fit the time budget",
    ),
    "celery": (10_000, "every ETA task is held in the worker's memory until due (Celery docs: ETA and countdown)"),
}


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tick_time(key: str, system: System) -> tuple[float | None, str]:
    """Median time of the database work one scheduler tick does, run here against the same database."""

    def median(work: Callable[[], object]) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times)[2]

    if key == "pushtask":
        from pushtask.db import create_session_factory
        from pushtask.worker.runner import Worker

        class NoSender:
            async def send(self, target: Any, message: Any) -> Any:
                raise AssertionError("nothing is due")

            def deduplicating(self) -> set[str]:
                return set()

        worker = Worker(create_session_factory(system.engine), NoSender(), lambda: datetime.now(UTC))

        def tick() -> None:
            worker._plan(datetime.now(UTC), True, True)
            worker._next_due()

        return median(tick), "housekeeping + plan + next due (runs every 1 s)"
    if key == "prd":
        from sqlalchemy import text

        query = text(
            "SELECT task_id, schedule_time, content_text, `groups` FROM t_tasks"
            " WHERE status = 'scheduled' AND schedule_time <= UTC_TIMESTAMP(6)"
        )

        def poll() -> None:
            with system.engine.connect() as conn:
                conn.execute(query).all()

        return median(poll), "its one poll query (every 60 s; the PRD schema has no index on it)"
    if key == "aps":
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        store = SQLAlchemyJobStore(url=system.fleet.database_url)
        store.start(BackgroundScheduler(timezone="UTC"), "default")

        def wake() -> None:
            store.get_due_jobs(datetime.now(UTC))
            store.get_next_run_time()

        try:
            return median(wake), "get_due_jobs + get_next_run_time (each wake-up)"
        finally:
            store.shutdown()
    return None, "no database: the broker is Redis and ETA tasks wait in worker memory"


def analyse(specs: list[TaskSpec], arrivals: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Duplicates, losses, lateness and sustained rate from what the groups received."""
    expected = {(chat, s.text) for s in specs for chat in s.chat_ids}
    counts = Counter((chat, text) for chat, text, _ in arrivals)
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    stamps = []
    for _chat, text, at in arrivals:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        stamps.append(when)
        first[text] = min(when, first.get(text, when))
        last[text] = max(when, last.get(text, when))
    lateness = [(first[s.text] - s.fire_at).total_seconds() * 1000 for s in specs if s.text in first]
    high = [s for s in specs if s.priority == "high"]
    high_done = [(last[s.text] - s.fire_at).total_seconds() for s in high if s.text in last]
    stamps.sort()
    span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0
    lost_pairs = [pair for pair in expected if counts[pair] == 0]
    dup_pairs = {pair: n - 1 for pair, n in counts.items() if pair in expected and n > 1}
    return {
        "duplicates": sum(dup_pairs.values()),
        "lost": len(lost_pairs),
        "lost_pairs": lost_pairs,
        "dup_pairs": dup_pairs,
        "received": len(arrivals),
        "lateness_ms": lateness,
        "lateness": percentiles(lateness),
        "high_done_s": max(high_done) if high_done and len(high_done) == len(high) else None,
        "all_received_s": (stamps[-1] - min(s.fire_at for s in specs)).total_seconds() if stamps else None,
        "sends_per_s": len(stamps) / span if span > 0 else None,
    }


def bare_loop_ceiling(total: int, groups: int, latency_ms: int) -> float:
    """A bare aiohttp loop (no database) posting to a fresh sandbox: sends/s.

    256 sends in flight over aiohttp's default pool of 100 connections: what a PushTask worker uses.
    """
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(server_url="", workdir=Path(tmp))
        try:
            fleet.start_sandbox()
            refs = fleet.register_chats(groups)
            if latency_ms:
                fault = {"endpoint": "appchat/send", "latencyMs": latency_ms}
                _http_json(f"{fleet.sandbox_url}/_sandbox/faults", fault)
            return asyncio.run(_bare_loop(fleet.sandbox_url, refs, total, BARE_CONCURRENCY))
        finally:
            fleet.close()


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mariadb = ""
    with contextlib.suppress(OSError):
        mariadb = subprocess.run(["mariadb", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} vCPU {model}, Python {platform.python_version()}, {mariadb.split(',')[0]}, "
        f"load average {load:.1f} at start"
    )


def ms(value: float | None) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def lost_cell(row: dict[str, Any]) -> str:
    """Losses of a finished run; for a run stopped at its deadline, what was still unsent then."""
    return str(row["lost"]) if row["complete"] else f"{row['lost']:,} unsent at the deadline"


def cpu_per_send(row: dict[str, Any]) -> str:
    """The run's CPU per group-send: its processes' and the MariaDB server's, as `w + db = total` µs."""
    sends = row.get("recorded") or 0
    if not sends or row.get("db_cpu_s") is None:
        return "—"
    worker, db = row["cpu_s"] / sends * 1e6, row["db_cpu_s"] / sends * 1e6
    return f"{worker:,.0f} + {db:,.0f} = {worker + db:,.0f}"


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


# -- the report ----------------------------------------------------------------------------------------


def name_of(key: str) -> str:
    """A system's name in the tables (from SYSTEMS, where `--old` registers the older commit too)."""
    return SYSTEMS[key].name


def report(bench: Bench, command: str, seconds: float, stamp: str, host: str) -> list[str]:
    s, r = bench.sizes, bench.results
    lines = [
        f"Run {stamp} with `{command}` in {seconds / 60:.1f} min on {host}.",
        "Each system: its own MariaDB database and sandbox process, same tasks, same groups (WeCom app chats).",
        "",
    ]
    if r.get("workload_seconds"):
        spent = ", ".join(f"{name} {sec / 60:.1f} min" for name, sec in r["workload_seconds"].items())
        lines += [f"Time per workload: {spent}.", ""]
    if "lateness" in r:
        lines += [
            f"### Lateness: {s.lateness_tasks} tasks × {s.lateness_groups} groups spread over "
            f"{s.lateness_spread_s:.0f} s, 1 process (first arrival in a group − fire time)",
            "",
            "| system | p50 ms | p95 ms | p99 ms | max ms | fired | duplicates | lost |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for key, row in r["lateness"].items():
            p = row["lateness"]
            lines.append(
                f"| {name_of(key)} | {ms(p['p50'])} | {ms(p['p95'])} | {ms(p['p99'])} | {ms(p['max'])} | "
                f"{p['n']}/{s.lateness_tasks} | {row['duplicates']} | {row['lost']} |"
            )
        lines.append("")
    if "burst" in r:
        total = s.burst_tasks * s.burst_groups
        lines += [
            f"### Burst: {s.burst_tasks} tasks × {s.burst_groups} groups = {total:,} sends due in the same second "
            f"({s.burst_high} tasks high priority), sandbox 0 ms",
            "",
            "| system | processes | all confirmed in DB after (s) | all received after (s) "
            "| high-priority tasks done after (s) | sends/s (first→last arrival) | duplicates | lost |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for key, row in r["burst"].items():
            done = (
                fmt_s(row["done_s"])
                if row["complete"]
                else (f"not done in {s.burst_timeout_s:.0f} s ({row['recorded']:,} of {total:,} recorded)")
            )
            lines.append(
                f"| {name_of(key)} | {row['workers']} | {done} | {fmt_s(row['all_received_s'])} | "
                f"{fmt_s(row['high_done_s'])} | {ms(row['sends_per_s'])} | {row['duplicates']} | {lost_cell(row)} |"
            )
        if "prd" in r["burst"]:
            lines.append(
                f"\nThe PRD design is started just after the fire time here, so its poll wait (0–"
                f"{s.prd_interval_s:.0f} s, see lateness) is not in its burst times."
            )
        lines.append("")
    if "throughput" in r:
        t = r["throughput"]
        lines += [
            f"### Throughput: {s.tput_tasks} tasks × {s.tput_groups} groups due at once, durable per-group status "
            "on MariaDB (sends ÷ first→last arrival)",
            "",
            "| system | processes | sandbox latency | group-sends/s | of bare-loop ceiling "
            "| CPU µs per send: processes (start-up excluded) + MariaDB | complete | dup / lost |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for latency, ceiling in t["ceiling"].items():
            lines.append(
                f"| bare aiohttp loop, {BARE_CONCURRENCY} in flight, no DB | 1 | {latency} ms | "
                f"{ceiling:,.0f} | 100 % | — | — |"
            )
        for row in t["rows"]:
            if row.get("skipped"):
                lines.append(
                    f"| {name_of(row['system'])} | {row['workers']} | {row['latency_ms']} ms | not run: "
                    f"{SYSTEMS[row['system']].why_one} | — | — | — | — |"
                )
                continue
            rate = row["sends_per_s"] or 0.0
            ratio = rate / t["ceiling"][row["latency_ms"]]
            complete = "yes" if row["complete"] else f"no ({row['recorded']:,}/{row['expected']:,} in time)"
            lines.append(
                f"| {name_of(row['system'])} | {row['workers']} | {row['latency_ms']} ms | {rate:,.0f} | {ratio:.0%} | "
                f"{cpu_per_send(row)} | {complete} | {row['duplicates']} / {lost_cell(row)} |"
            )
        lines.append("")
    if "kill" in r:
        lines += [
            f"### Correctness with a worker killed: {s.kill_tasks} tasks × {s.kill_groups} groups due at once; "
            "SIGKILL one process after 30 % of the sends, start a replacement at once",
            "",
            "| system | processes | killed | silent duplicates | silent losses | shown as uncertain | all recorded "
            "| after (s) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for key, row in r["kill"].items():
            killed = "yes" if row["killed"] else "no (30 % never reached)"
            lines.append(
                f"| {name_of(key)} | {row['workers']} | {killed} | {row['duplicates_silent']} | {row['lost_silent']} | "
                f"{row.get('uncertain', '—')} | {'yes' if row['complete'] else 'no'} "
                f"({row['recorded']:,}/{row['expected']:,}) | {fmt_s(row['done_s'])} |"
            )
        lines += [
            "",
            "PushTask ran with `PUSHTASK_WORKER_LEASE_SECONDS=10` here (default 60); Celery with the Redis "
            "transport's default `visibility_timeout` (3600 s): a dead worker's messages come back after an hour.",
            "",
        ]
    if "idle" in r:
        lines += [
            "### Idle cost: future tasks only, nothing due",
            "",
            "| system | future tasks | scheduler CPU (% of one core) | scheduler RSS MB | per-tick DB time ms | note |",
            "|---|---|---|---|---|---|",
        ]
        for row in r["idle"]:
            if row.get("skipped"):
                lines.append(f"| {name_of(row['system'])} | {row['count']:,} | — | — | — | not run: {row['skipped']} |")
                continue
            lines.append(
                f"| {name_of(row['system'])} | {row['count']:,} | {row['cpu_pct']:.1f} | {row['rss_mb']:.0f} | "
                f"{ms(row['tick_ms'])} | {row['note']} |"
            )
        lines.append("")
    if "api" in r:
        a = r["api"]
        lines += [
            f"### API: `pushtask api` (gunicorn, 2 processes × 4 threads) with {a['tasks']:,} tasks in MariaDB",
            "",
            "| call | clients | p50 ms | p95 ms | p99 ms | max ms | calls |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, what, clients in (
            ("list_alone", "the same list call, one client, 5 calls in a row", 1),
            (
                "list",
                "`GET /api/tasks?status=scheduled&priority=medium,high&limit=20&page=1..50`, back to back",
                a["readers"],
            ),
            ("list_paced", "the same list call, each client pausing ~1 s between calls (people paging)", a["readers"]),
            ("create", "`POST /api/tasks` (5 groups)", a["writers"]),
            ("update", "`PUT /api/tasks/<id>` (content)", a["writers"]),
        ):
            p = a.get(name)
            if p is None:
                continue
            lines.append(
                f"| {what} | {clients} | {ms(p['p50'])} | {ms(p['p95'])} | {ms(p['p99'])} | {ms(p['max'])} | {p['n']} |"
            )
        lines += [
            "",
            f"List calls per second: {a['list_per_s']:.0f} back to back, {a.get('list_paced_per_s', 0):.0f} paced.",
            f"Errors (HTTP ≥ 300; 0 = connection reset or timeout): {a['errors']} {a['error_codes'] or ''}",
        ]
        lines += [f"Server log: `{line}`" for line in a.get("server_errors", [])] + [""]
    return lines


def chart(bench: Bench, path: Path) -> Path | None:
    """Lateness distributions side by side (CDF, log scale)."""
    rows = bench.results.get("lateness")
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for key, row in rows.items():
        values = sorted(max(v, 0.1) for v in row["lateness_ms"])
        if not values:
            continue
        ys = [(i + 1) / len(values) for i in range(len(values))]
        p = row["lateness"]
        ax.step(values, ys, where="post", label=f"{name_of(key)} (p99 {ms(p['p99'])} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("lateness: first arrival in a group − fire time (ms, log scale)")
    ax.set_ylabel("share of tasks")
    s = bench.sizes
    ax.set_title(
        f"Fire-time lateness, {s.lateness_tasks} tasks × {s.lateness_groups} groups over {s.lateness_spread_s:.0f} s"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
