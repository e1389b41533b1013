"""Run coroutines from synchronous code (Flask views) on one background event loop per process.

The WeChat clients are asyncio; request threads are not. One loop thread per process keeps one
connection pool and one token cache warm across requests instead of building them per call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("pushtask.async")


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("background WeChat call failed: %r", future.exception())


class AsyncBridge:
    """A daemon thread running an event loop; `run` submits a coroutine and waits for its result."""

    def __init__(self, name: str = "pushtask-async") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coro` on the bridge's loop; raise TimeoutError after `timeout` seconds (and cancel it)."""
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def submit(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Start `coro` on the loop without waiting (follow-ups that must not delay an answer)."""
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        future.add_done_callback(_log_failure)

    def close(self, cleanup: Coroutine[Any, Any, Any] | None = None) -> None:
        """Run an optional cleanup coroutine, then stop the loop and its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            if cleanup is not None:
                cleanup.close()
            return
        if cleanup is not None:
            # Closing: a failing cleanup has nothing more useful to report.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(cleanup, loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
