"""The PRD's own scheduler (§7.2), as written there: poll MySQL every 60 s, `asyncio.gather` the due tasks.

    BENCH_DB_URL=... BENCH_SANDBOX_URL=... python -m bench.peers.prd [--interval 60]

Faithful to the pseudocode: one loop, one query `status='scheduled' AND schedule_time <= NOW()`, one
coroutine per task (here sending to each of the task's groups, gathered too), the database calls
blocking the event loop, and the task's status updated after its sends. The only additions: one
`t_send_results` row per group (so its durable-status work matches the others) and a token fetch
from `gettoken`. Nothing claims a task before sending it, so two copies send twice, and a crash
between send and UPDATE sends again on restart — the behaviour the benchmark is meant to show.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

import aiohttp
from sqlalchemy import Engine, text

from bench.peers import appchat_body, create_tables, engine_from_env, record_results, send_url, token_url


async def execute_task(task: Any, session: aiohttp.ClientSession, engine: Engine, sandbox: str, token: str) -> None:
    chat_ids: list[str] = json.loads(task.groups)

    async def one(chat_id: str) -> tuple[str, int]:
        try:
            async with session.post(send_url(sandbox, token), json=appchat_body(chat_id, task.content_text)) as resp:
                return chat_id, int((await resp.json(content_type=None)).get("errcode", -1))
        except aiohttp.ClientError:
            return chat_id, -1

    results = await asyncio.gather(*(one(c) for c in chat_ids))
    status = "completed" if all(code == 0 for _, code in results) else "failed"
    record_results(engine, task.task_id, list(results), status)


async def schedule_tasks(interval: float) -> None:
    engine = engine_from_env()
    create_tables(engine)
    sandbox = os.environ["BENCH_SANDBOX_URL"]
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(token_url(sandbox)) as resp:
                token = (await resp.json())["access_token"]
            with engine.connect() as conn:
                tasks = conn.execute(
                    text(
                        "SELECT task_id, schedule_time, content_text, `groups` FROM t_tasks"
                        " WHERE status = 'scheduled' AND schedule_time <= UTC_TIMESTAMP(6)"
                    )
                ).all()
            await asyncio.gather(*(execute_task(t, session, engine, sandbox, token) for t in tasks))
            await asyncio.sleep(interval)  # 每分钟检查


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.prd")
    parser.add_argument("--interval", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(schedule_tasks(args.interval))


if __name__ == "__main__":
    main()
