"""Where a worker's CPU goes, by part of the engine, from a py-spy profile of a benchmark run.

    .venv/bin/py-spy record --gil --subprocesses -r 200 -f raw -o /tmp/tput.raw -- \\
        .venv/bin/python -m bench.scheduler throughput --tasks 100 --groups 100 --workers 1
    .venv/bin/python -m bench.profile_shares /tmp/tput.raw

Reads py-spy's collapsed stacks (`-f raw`), keeps the samples of `pushtask … worker` processes, and
puts each in the first part whose frame it holds (the order of PARTS). Start-up (imports, the
migration check, connecting) is counted apart and left out of the shares of the run.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

STARTUP = "start-up (imports, migration check, connecting)"
# (part, frames any of which puts a sample in it), first match wins.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP send path: channel, WeCom client, aiohttp", ("Worker._send (", "Worker._send_batch (")),
    ("finishing pushes (counts, notices)", ("finalize (pushtask/worker/deliveries.py",)),
    ("writing results", ("Worker._flush (",)),
    ("claiming", ("Worker._claim (",)),
    ("creating due occurrences (the claim path)", ("materialize_due (", "create_push (")),
    ("firing", ("Worker._fire (", "Worker._fire_due (")),
    ("planning ahead and housekeeping", ("Worker._plan (", "pushtask/worker/ahead.py")),
    ("notifier", ("pushtask/worker/notices.py", "pushtask/notify/")),
    ("event loop, tasks, hand-offs between threads", ("asyncio/",)),
)
# Frames only a started worker has: a sample with none of them is start-up.
RUNNING = ("Worker.run (", "Worker._firer (", "Worker._fire (", "Worker._flush (", "Worker._plan (", "Worker._claim (",
           "Worker._send (", "_worker (concurrent/futures/thread.py")  # fmt: skip


def part_of(stack: str) -> str:
    if not any(frame in stack for frame in RUNNING):
        return STARTUP
    for part, frames in PARTS:
        if any(frame in stack for frame in frames):
            return part
    return "other"


def shares(lines: list[str], process: str = " worker") -> tuple[Counter[str], int]:
    """Samples per part, for the processes whose command line contains `process`; and their total."""
    parts: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or not any(f.startswith("process ") and process in f for f in frames[:2]):
            continue
        total += int(count)
        parts[part_of(stack)] += int(count)
    return parts, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_shares")
    parser.add_argument("raw", help="py-spy record -f raw output")
    parser.add_argument("--process", default=" worker", help="text of the profiled processes' command line")
    args = parser.parse_args(argv)
    parts, total = shares(Path(args.raw).read_text(encoding="utf-8").splitlines(), args.process)
    run = total - parts[STARTUP]
    print(f"{total} samples of '{args.process.strip()}' processes; {run} after start-up")
    for part, count in parts.most_common():
        share = "" if part == STARTUP or not run else f"{count / run:6.1%} of the run"
        print(f"{count:7d}  {share:>18}  {part}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
