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
import json
import os
import platform
import statistics
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

from bench.fleet import Fleet
from bench.peers import TaskSpec
from bench.scheduler import _bare_loop, percentiles
from bench.systems import SYSTEMS, PushTaskSystem, System, wait_for

RESULTS = Path(__file__).parent / "results"


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


FULL = Sizes(lateness_spread_s=120.0)
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

    # -- one run of one system ---------------------------------------------------------------------

    def make(self, key: str, tmp: Path) -> System:
        system = SYSTEMS[key](server_url=self.server_url, workdir=tmp, redis_url=self.redis_url)
        if key == "prd":
            system.interval = self.sizes.prd_interval_s  # type: ignore[attr-defined]
        return system

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
    ) -> dict[str, Any]:
        """Seed, start, wait until every group send is durably recorded (or `timeout` after the last fire)."""
        label = uuid.uuid4().hex[:6]
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
                system.start(workers)
                expected = tasks * groups
                killed = False
                if kill_at is not None:
                    if wait_for(lambda: system.sends_so_far() >= kill_at * expected, timeout, 0.05) is not None:
                        system.kill_one()
                        system.start_one()
                        killed = True
                last_fire = max(s.fire_at for s in specs)
                wait = max(0.0, (last_fire - datetime.now(UTC)).total_seconds()) + timeout
                cpu_before = system.cpu()
                wait_for(lambda: system.confirmed() >= expected, wait, 0.1)
                done_at = datetime.now(UTC)
                recorded = system.confirmed()
                cpu = system.cpu() - cpu_before
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
                )
                if isinstance(system, PushTaskSystem):
                    out["uncertain"] = system.uncertain()
                return out
            finally:
                system.close()

    # -- the workloads -----------------------------------------------------------------------------

    def lateness(self) -> None:
        s = self.sizes
        rows = {}
        for key in self.systems:
            self.log(f"lateness: {key}")
            spread = s.lateness_spread_s
            rows[key] = self.run(
                key,
                tasks=s.lateness_tasks,
                groups=s.lateness_groups,
                fires=lambda base, i: base + timedelta(seconds=spread * i / s.lateness_tasks),
                timeout=s.prd_interval_s + 30 if key == "prd" else 30,
            )
        self.results["lateness"] = rows

    def burst(self) -> None:
        s = self.sizes
        rows = {}
        for key in self.systems:
            self.log(f"burst: {key}")
            rows[key] = self.run(
                key,
                tasks=s.burst_tasks,
                groups=s.burst_groups,
                high=s.burst_high,
                fires=lambda base, _i: base,
                timeout=s.burst_timeout_s + (s.prd_interval_s if key == "prd" else 0),
                lead_s=6.0,
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
                            timeout=s.tput_timeout_s + (s.prd_interval_s if key == "prd" else 0),
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
            )
        self.results["kill"] = rows


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
    return {
        "duplicates": sum(n - 1 for pair, n in counts.items() if pair in expected and n > 1),
        "lost": sum(1 for pair in expected if counts[pair] == 0),
        "received": len(arrivals),
        "lateness_ms": lateness,
        "lateness": percentiles(lateness),
        "high_done_s": max(high_done) if high_done and len(high_done) == len(high) else None,
        "all_received_s": (stamps[-1] - min(s.fire_at for s in specs)).total_seconds() if stamps else None,
        "sends_per_s": len(stamps) / span if span > 0 else None,
    }


def bare_loop_ceiling(total: int, groups: int, latency_ms: int) -> float:
    """A bare aiohttp loop (64 connections, no database) posting to a fresh sandbox: sends/s."""
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(server_url="", workdir=Path(tmp))
        try:
            fleet.start_sandbox()
            refs = fleet.register_chats(groups)
            if latency_ms:
                from bench.fleet import _http_json

                _http_json(f"{fleet.sandbox_url}/_sandbox/faults", {"endpoint": "appchat/send", "latencyMs": latency_ms})
            return asyncio.run(_bare_loop(fleet.sandbox_url, refs, total, 64))
        finally:
            fleet.close()


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mariadb = ""
    try:
        mariadb = subprocess.run(["mariadb", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} vCPU {model}, Python {platform.python_version()}, {mariadb.split(',')[0]}, "
        f"load average {load:.1f} at start"
    )


def ms(value: float | None) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
