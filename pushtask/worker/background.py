"""Run a worker on its own thread and event loop (inside `pushtask serve`)."""

from __future__ import annotations

import asyncio
import logging
import threading

from pushtask.runtime import Runtime
from pushtask.wiring import build_notifier, build_sender
from pushtask.worker.runner import Worker, WorkerConfig

log = logging.getLogger("pushtask.worker")


class BackgroundWorker:
    """A worker thread that drains its sends when stopped."""

    def __init__(self, rt: Runtime, sandbox_url: str | None) -> None:
        self._rt = rt
        self._sandbox_url = sandbox_url
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
        sender = build_sender(self._rt.settings, self._sandbox_url)
        notices = build_notifier(self._rt.settings, self._rt.sessions, self._sandbox_url)
        worker = Worker(
            self._rt.sessions,
            sender,
            self._rt.clock,
            wakeup=self._rt.wakeup,
            config=WorkerConfig.from_settings(self._rt.settings),
            notifier=notices.notifier,
        )
        self._ready.set()
        try:
            await worker.run(self._stop)
        finally:
            await sender.close()
            await notices.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the worker to finish what is in flight, and wait for it."""
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("worker did not stop within %.0f s", timeout)
