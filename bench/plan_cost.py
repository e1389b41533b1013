"""What planning ahead costs per delivery: `worker/ahead.plan` over tasks already in MariaDB.

    PYTHONPATH=. .venv/bin/python bench/plan_cost.py [--tasks 1000 --groups 10 --slice 50] [--profile]

Writes `--tasks` tasks to `--groups` groups (due 20–50 s from now) into a private database, then plans
them all, `--slice` tasks per transaction as a worker does, and prints the wall time per planned push
and per delivery; `--profile` adds the cProfile table (cumulative, top 30).
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from bench.fleet import Fleet
from bench.scheduler import DEFAULT_DB
from pushtask.db import unit_of_work
from pushtask.worker import ahead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--slice", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(server_url=DEFAULT_DB, workdir=Path(tmp))
        try:
            fleet.create_database()
            fleet.start_sandbox()
            group_ids = fleet.seed_groups(args.groups)
            start = datetime.now(UTC) + timedelta(seconds=20)
            fleet.add_tasks(
                args.tasks, group_ids, [start + timedelta(seconds=30 * i / args.tasks) for i in range(args.tasks)]
            )
            sessions = sessionmaker(bind=fleet.engine, expire_on_commit=False)
            tokens = (f"bench:f{n}" for n in itertools.count())
            profile = cProfile.Profile()
            planned = batches = 0
            started = time.perf_counter()
            if args.profile:
                profile.enable()
            while True:
                now = datetime.now(UTC)
                with unit_of_work(sessions) as session:
                    got = ahead.plan(
                        session, now, now + timedelta(seconds=60), "bench", tokens.__next__, limit=args.slice
                    )
                if not got:
                    break
                planned += len(got)
                batches += 1
            elapsed = time.perf_counter() - started
            profile.disable()
            print(
                f"planned {planned} pushes × {args.groups} groups in {batches} transactions: {elapsed:.2f} s, "
                f"{elapsed / planned * 1e3:.2f} ms per push, "
                f"{elapsed / planned / args.groups * 1e6:.0f} µs per delivery"
            )
            if args.profile:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        finally:
            fleet.close()


if __name__ == "__main__":
    main()
