"""Where a worker's memory goes: rounds of sends through one in-process worker, RSS after each;
with `--trace`, also the allocations that grew after round 2 (tracemalloc), with their tracebacks.

    python -m bench.worker_memory [--rounds 7 --tasks 40 --groups 50]   # RSS per round
    python -m bench.worker_memory --trace                              # what grew (tracemalloc's own
                                                                       # bookkeeping inflates RSS here)

A private MariaDB database and a `pushtask wechat-sim` process, as in the other benchmarks; the
worker is built the way `pushtask worker` builds it, so what it keeps is what production keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.fleet import Fleet
from bench.scheduler import DEFAULT_DB


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _run(fleet: Fleet, groups: list[str], rounds: int, tasks: int, top: int, trace: bool) -> None:
    from pushtask.config import load_settings
    from pushtask.wiring import build_runtime, worker_for

    rt = build_runtime(load_settings(fleet.process_env()))
    # Built as `pushtask worker` builds it: the sender and the notifier over one set of WeChat clients.
    async with worker_for(rt) as parts:
        await _measure(fleet, rt, parts.worker, groups, rounds, tasks, top, trace)


async def _measure(
    fleet: Fleet, rt: Any, worker: Any, groups: list[str], rounds: int, tasks: int, top: int, trace: bool
) -> None:
    from pushtask.models import Delivery, Push

    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    baseline = None
    due = 0
    try:
        for n in range(rounds):
            fleet.add_tasks(tasks, groups, datetime.now(UTC) + timedelta(seconds=0.5))
            due += tasks
            while True:
                await asyncio.sleep(0.5)
                with rt.sessions() as db:
                    pushes = db.scalar(select(func.count()).select_from(Push)) or 0
                    open_ = db.scalar(select(func.count()).where(Delivery.state != "sent")) or 0
                if pushes >= due and open_ == 0:
                    break
            gc.collect()
            print(f"round {n}: {due * len(groups):,} sends, RSS {rss_mb():.1f} MB", flush=True)
            if trace and n == 2:  # after warm-up: pools, tokens, imports
                tracemalloc.start(25)
                baseline = tracemalloc.take_snapshot()
        if baseline is not None:
            print("\nGrown since round 2 (largest first):")
            for stat in tracemalloc.take_snapshot().compare_to(baseline, "traceback")[:top]:
                print(stat)
                for line in stat.traceback.format()[-8:]:
                    print("   ", line)
    finally:
        stop.set()
        await running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_memory")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tasks", type=int, default=40, help="tasks per round")
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--trace", action="store_true", help="list what grew after round 2 (tracemalloc)")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(server_url=args.db, workdir=Path(tmp))
        try:
            fleet.create_database()
            fleet.start_sandbox()
            groups = fleet.seed_groups(args.groups, channels=("wecom_appchat",))
            asyncio.run(_run(fleet, groups, args.rounds, args.tasks, args.top, args.trace))
        finally:
            fleet.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
