"""Wake sleeping workers when a task changes: in-process always, across processes through Redis.

Redis only shortens the wait: a worker that misses a wake-up still polls at least every second,
so losing Redis costs latency, never a push.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from pushtask.infra.outage import Outage

CHANNEL = "pushtask:wake"


class Wakeup:
    """Wake every worker loop registered in this process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def register(self, event: asyncio.Event) -> None:
        """Have `event` (belonging to the running loop) set on every wake-up."""
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), event))

    def unregister(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters = [(loop, e) for loop, e in self._waiters if e is not event]

    def wake_local(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def notify(self) -> None:
        """Tell workers that something may be due sooner than they planned."""
        self.wake_local()

    async def listen(self, stop: asyncio.Event) -> None:
        """Relay wake-ups from other processes (nothing to do without Redis)."""
        await stop.wait()


class RedisWakeup(Wakeup):
    """Also publish wake-ups on Redis and relay other processes' ones to local workers."""

    PROBE_S = 2.0  # while Redis is away, try it again at most this often

    def __init__(self, url: str, client: Any, outage: Outage) -> None:
        super().__init__()
        self._url = url
        self._client = client
        self._outage = outage

    def notify(self) -> None:
        self.wake_local()
        if not self._outage.worth_trying(self.PROBE_S):
            return  # Redis away: workers in other processes notice within their poll interval
        try:
            self._client.publish(CHANNEL, b"1")
        except Exception as exc:  # noqa: BLE001 — Redis down: workers still poll every second
            self._outage.failed(exc)
        else:
            self._outage.succeeded()

    async def listen(self, stop: asyncio.Event) -> None:
        import redis.asyncio as aredis

        while not stop.is_set():
            client: Any = aredis.Redis.from_url(self._url, socket_connect_timeout=1)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(CHANNEL)
                self._outage.succeeded()
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                    if message is not None:
                        self.wake_local()
            except Exception as exc:  # noqa: BLE001 — reconnect after any Redis failure
                self._outage.failed(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2)
            finally:
                await client.aclose()
