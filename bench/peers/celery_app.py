"""Celery with a Redis broker: one ETA task per one-off push (recurring ones would be beat entries).

    BENCH_DB_URL=... BENCH_SANDBOX_URL=... BENCH_REDIS_URL=redis://127.0.0.1:6379/14 \\
    BENCH_CELERY_PREFIX=bench-xyz: celery -A bench.peers.celery_app worker -P threads -c 20

The reliable settings an operator would pick: `task_acks_late` + `task_reject_on_worker_lost`
(a task whose worker dies is delivered again rather than dropped), the Redis transport's default
`visibility_timeout` (1 h: that is when an unacknowledged message comes back), a threads pool for
I/O-bound sends. Every key lives under BENCH_CELERY_PREFIX (kombu's `global_keyprefix`), so runs
share Redis DB 14 without touching each other. No workload here has recurring tasks, so beat is not
started; a recurring task would be a `beat_schedule` entry calling `push` on a crontab.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from celery import Celery
from sqlalchemy import Engine

from bench.peers import SyncSender, TaskSpec, engine_from_env, load_task, record_results

app = Celery("bench")


def configure(redis_url: str, prefix: str) -> None:
    app.conf.update(
        broker_url=redis_url,
        broker_transport_options={"global_keyprefix": prefix, "visibility_timeout": 3600},
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
    )


configure(
    os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"), os.environ.get("BENCH_CELERY_PREFIX", "bench:")
)
_engine: Engine | None = None
_sender: SyncSender | None = None


@app.task(name="bench.push")
def push(task_id: str) -> None:
    """Send the task's text to each of its groups, then record every group's result."""
    global _engine, _sender
    if _engine is None or _sender is None:
        _engine, _sender = engine_from_env(), SyncSender(os.environ["BENCH_SANDBOX_URL"])
    content, chat_ids = load_task(_engine, task_id)
    results = [(chat_id, _sender.send(chat_id, content)) for chat_id in chat_ids]
    record_results(_engine, task_id, results, "completed" if all(c == 0 for _, c in results) else "failed")


def enqueue(specs: Iterable[TaskSpec]) -> None:
    """What the API would do on create: one ETA task per one-off, high priority on its own queue."""
    # A fresh connection, so a re-`configure`d prefix applies (the app's pool keeps the old one).
    with app.connection_for_write() as connection, connection.Producer() as producer:
        for spec in specs:
            queue = "high" if spec.priority == "high" else "celery"
            push.apply_async((spec.task_id,), eta=spec.fire_at, producer=producer, queue=queue)
