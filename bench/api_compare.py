"""The API workload (bench/api.py) on two commits in one run: `python -m bench api-compare --old <tree>`.

`<tree>` is a checkout of the older commit (e.g. `git worktree add --detach /tmp/pt-old main`); its
`pushtask api` runs with PYTHONPATH=<tree>, the newer one from this checkout, with the same Python,
the same gunicorn processes (PUSHTASK_API_WORKERS × PUSHTASK_API_THREADS), the same MariaDB and
Redis. Rounds alternate old, new, old, new, … so that a change in the machine's load touches both;
the table reports medians over the rounds and their ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.api import run_api
from bench.scheduler import DEFAULT_DB
from bench.suite import RESULTS, machine

FIGURES = (
    ("list_api_cpu_ms", "list call: CPU of the API processes (ms)", "lower"),
    ("list_db_cpu_ms", "list call: CPU of MariaDB (ms)", "lower"),
    ("list_cpu_ms", "list call: CPU, API + MariaDB (ms)", "lower"),
    ("list_per_s", "list calls/s, 50 clients back to back", "higher"),
    ("list_p50", "list p50 ms, 50 clients back to back", "lower"),
    ("list_p95", "list p95 ms, 50 clients back to back", "lower"),
    ("alone_p50", "list p50 ms, one client alone", "lower"),
    ("paced_p95", "list p95 ms, 50 people paging (~1 s pauses)", "lower"),
    ("create_p50", "create p50 ms (10 clients)", "lower"),
    ("update_p50", "update p50 ms (10 clients)", "lower"),
)


def _figures(result: dict[str, Any]) -> dict[str, float]:
    return {
        "list_api_cpu_ms": result["list_api_cpu_ms"],
        "list_db_cpu_ms": result["list_db_cpu_ms"],
        "list_cpu_ms": result["list_api_cpu_ms"] + result["list_db_cpu_ms"],
        "list_per_s": result["list_per_s"],
        "list_p50": result["list"]["p50"],
        "list_p95": result["list"]["p95"],
        "alone_p50": result["list_alone"]["p50"],
        "paced_p95": result["list_paced"]["p95"],
        "create_p50": result["create"]["p50"],
        "update_p50": result["update"]["p50"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench api-compare")
    parser.add_argument("--old", required=True, help="checkout of the older commit (a git worktree)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each commit, alternating")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument(
        "--private-db",
        action="store_true",
        help="start a MariaDB of this run's own (so that its CPU is this workload's alone) instead of --db",
    )
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--out", default=str(RESULTS / "api_compare.md"))
    args = parser.parse_args(argv)
    old = str(Path(args.old).resolve())
    started, stamp, host = time.monotonic(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), machine()
    with contextlib.ExitStack() as stack:
        db_url, db_pid = args.db, None
        if args.private_db:
            server = _private_mariadb(Path(stack.enter_context(tempfile.TemporaryDirectory())))
            stack.callback(server.stop)
            server.start()
            assert server.process is not None
            db_url, db_pid = server.url, server.process.pid
        return _compare(args, old, db_url, db_pid, started, stamp, host)


def _private_mariadb(workdir: Path) -> Any:
    from tests.acceptance.private_servers import PrivateMariaDB

    class BenchMariaDB(PrivateMariaDB):
        def command(self) -> list[str]:
            # The whole table in memory, as on the shared server: a 64 MB pool would measure disk reads.
            return [
                "--innodb-buffer-pool-size=1G" if arg.startswith("--innodb-buffer-pool-size") else arg
                for arg in super().command()
            ]

    return BenchMariaDB(workdir)


def _compare(
    args: argparse.Namespace, old: str, db_url: str, db_pid: int | None, started: float, stamp: str, host: str
) -> int:
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    raw: list[dict[str, Any]] = []
    for round_no in range(args.rounds):
        for label, env in (("old", {"PYTHONPATH": old}), ("new", {})):
            result = run_api(db_url, args.tasks, args.seconds, redis_url=args.redis, env=env, db_pid=db_pid)
            figures = _figures(result)
            runs[label].append(figures)
            raw.append({"round": round_no + 1, "commit": label, **result})
            print(f"round {round_no + 1} {label}: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
    lines = [
        f"Command: `python -m bench api-compare --old {args.old} --rounds {args.rounds} --tasks {args.tasks}"
        f" --seconds {args.seconds:g}{' --private-db' if args.private_db else ''}`, started {stamp},"
        f" {(time.monotonic() - started) / 60:.1f} min, on {host}.",
        "",
        f"| figure (median of {args.rounds} runs each) | old | new | new ÷ old |",
        "|---|---|---|---|",
    ]
    for key, title, _better in FIGURES:
        a = statistics.median(r[key] for r in runs["old"])
        b = statistics.median(r[key] for r in runs["new"])
        ratio = b / a if a else float("nan")
        lines.append(f"| {title} | {a:,.2f} | {b:,.2f} | {ratio:.2f}× |")
    lines += [
        "",
        "Every run: "
        + "; ".join(
            f"{r['commit']} {r['list_per_s']:.0f}/s {r['list_api_cpu_ms']:.2f}+{r['list_db_cpu_ms']:.2f} ms"
            for r in raw
        ),
    ]
    errors = sum(r["errors"] for r in raw)
    lines.append(f"Errors (HTTP ≥ 300, or reset): {errors}")
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(raw, default=str, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
