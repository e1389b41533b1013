"""Run a worker on its own thread and event loop (inside `pushtask serve`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from pushtask.worker.runner import Worker

log = logging.getLogger("pushtask.worker")


class Parts(Protocol):
    @property
    def worker(self) -> Worker: ...


class BackgroundWorker:
    """A worker thread that drains its sends when stopped.

    `parts` is the composition root's `worker_for(rt)`: called on the thread's own loop, it yields
    the worker over that loop's WeChat clients and closes them when the worker has stopped.
    """

    def __init__(self, parts: Callable[[], AbstractAsyncContextManager[Parts]]) -> None:
        self._parts = parts
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="pushtask-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=10)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._run())
        self._loop.close()

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        async with self._parts() as parts:
            self._ready.set()
            await parts.worker.run(self._stop)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the worker to finish what is in flight, and wait for it."""
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("worker did not stop within %.0f s", timeout)
