"""`python -m bench suite [--quick | --smoke] [--only ...] [--systems ...] [--old <tree>]`,
`python -m bench scheduler ...`, or `python -m bench soak [--minutes 10 | --smoke]`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import scheduler, soak
from bench.suite import FULL, QUICK, RESULTS, SMOKE, Bench, chart, machine, report
from bench.systems import OLDER, SYSTEMS, older_pushtask

WORKLOADS = ("lateness", "burst", "throughput", "kill", "idle", "api")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "scheduler":
        return scheduler.main(argv[1:])
    if argv and argv[0] == "soak":
        return soak.main(argv[1:])
    if argv and argv[0] == "api-compare":
        from bench import api_compare

        return api_compare.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("what", choices=["suite"])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller workloads (a few minutes)")
    size.add_argument("--smoke", action="store_true", help="tiny workloads (seconds); what `make test` runs")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"comma-separated: {','.join(WORKLOADS)}")
    parser.add_argument("--systems", default="pushtask,prd,aps,celery")
    parser.add_argument("--db", default=scheduler.DEFAULT_DB)
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--out", default=str(RESULTS), help="where summary.md, lateness.png and raw.json go")
    parser.add_argument("--idle-counts", default=None, help="future tasks for the idle runs, e.g. 1000,1000000")
    parser.add_argument(
        "--old", default=None, help="a checkout of an older commit (git worktree): its PushTask runs beside this one"
    )
    args = parser.parse_args(argv)
    systems = args.systems.split(",")
    if args.old:
        SYSTEMS[OLDER] = older_pushtask(args.old)
        at = systems.index("pushtask") + 1 if "pushtask" in systems else 0
        systems.insert(at, OLDER)
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.idle_counts:
        sizes = dataclasses.replace(sizes, idle_counts=tuple(int(n) for n in args.idle_counts.split(",")))
    bench = Bench(args.db, args.redis, sizes, systems)
    host = machine()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    started = time.monotonic()
    timings: dict[str, float] = {}
    for workload in args.only.split(","):
        began = time.monotonic()
        getattr(bench, workload)()
        timings[workload] = round(time.monotonic() - began, 1)
        print(f"[{time.monotonic() - started:6.0f} s] {workload} took {timings[workload]:.0f} s", flush=True)
    bench.results["workload_seconds"] = timings
    seconds = time.monotonic() - started
    command = "python -m bench " + " ".join(argv)
    lines = report(bench, command, seconds, stamp, host)
    print("\n".join(lines))
    if args.smoke:
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = chart(bench, out / "lateness.png")
    if png is not None:
        lines += [f"![lateness]({png.name})", ""]
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "raw.json").write_text(json.dumps(bench.results, default=str, indent=1), encoding="utf-8")
    print(f"wrote {out / 'summary.md'}" + (f" and {png}" if png else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
