"""APScheduler 3 with its SQLAlchemy job store on MariaDB: one date job per task, run in a thread pool.

    BENCH_DB_URL=... BENCH_SANDBOX_URL=... python -m bench.peers.aps [--threads 20]

One process only: APScheduler 3's job stores "must never be shared" between schedulers (its FAQ
answers "You can't"), so there is no 2-worker figure. Jobs are added to the store before the
scheduler starts (`add_jobs`), as an API process would through the store. `misfire_grace_time` is
raised from the 1 s default to 600 s (the grace PushTask uses) so that a busy pool does not skip
jobs. Each job sends to its groups one after another and writes one row per group.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bench.peers import SyncSender, TaskSpec, create_tables, engine_from_env, load_task, record_results

JOB_DEFAULTS = {"misfire_grace_time": 600, "coalesce": True}
_engine = None
_sender: SyncSender | None = None


def push(task_id: str) -> None:
    """The job: send the task's text to each of its groups, then record every group's result."""
    global _engine, _sender
    if _engine is None or _sender is None:
        _engine, _sender = engine_from_env(), SyncSender(os.environ["BENCH_SANDBOX_URL"])
    content, chat_ids = load_task(_engine, task_id)
    results = [(chat_id, _sender.send(chat_id, content)) for chat_id in chat_ids]
    record_results(_engine, task_id, results, "completed" if all(c == 0 for _, c in results) else "failed")


def add_jobs(db_url: str, specs: Iterable[TaskSpec]) -> None:
    """Store one date job per task (the scheduler is started paused, so nothing runs here)."""
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=db_url)}, timezone="UTC")
    scheduler.start(paused=True)
    try:
        for spec in specs:
            scheduler.add_job(push, "date", run_date=spec.fire_at, args=[spec.task_id], id=spec.task_id, **JOB_DEFAULTS)
    finally:
        scheduler.shutdown(wait=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.aps")
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    create_tables(engine_from_env())
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=os.environ["BENCH_DB_URL"])},
        executors={"default": ThreadPoolExecutor(args.threads)},
        job_defaults=JOB_DEFAULTS,
        timezone="UTC",
    )
    scheduler.start()


if __name__ == "__main__":
    main()
