"""Build, run and stop the sandbox: alone (`wechat-sim`) or in a thread of `pushtask serve`."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from pushtask.sandbox import callbacks, control, login_api, routes
from pushtask.sandbox.state import SandboxState

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _bad_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (ValueError, UnicodeDecodeError) as exc:
        if not request.path.startswith("/_sandbox/"):
            raise
        return web.json_response({"error": f"bad request: {exc}"}, status=400)


def create_sandbox_app(state: SandboxState | None = None) -> web.Application:
    """Return the aiohttp application serving the wire endpoints, the control API and the web view."""
    app = web.Application(middlewares=[_bad_json], client_max_size=32 * 1024 * 1024)
    app[routes.STATE] = state or SandboxState()
    routes.add_routes(app)
    control.add_routes(app)
    login_api.add_routes(app)
    app.router.add_get("/", _to_view)
    return app


async def _to_view(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/_sandbox/")


@dataclass
class SandboxHandle:
    """A sandbox running on its own event loop in a background thread."""

    url: str
    state: SandboxState
    _loop: asyncio.AbstractEventLoop
    _runner: web.AppRunner
    _thread: threading.Thread

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        """Run a coroutine on the sandbox's loop from another thread and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return future.result(timeout)

    def reply(self, request: dict[str, Any]) -> dict[str, Any]:
        """Make a simulated person reply (see POST B/_sandbox/reply); return the delivery report."""
        return self.run(callbacks.reply(self.state, request)).to_json()

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if not self._loop.is_closed():
            self.run(self._runner.cleanup())
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def _start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 — only to print a reachable URL
    return f"http://{shown}:{port}"


def start_in_thread(host: str = "127.0.0.1", port: int = 0, state: SandboxState | None = None) -> SandboxHandle:
    """Start the sandbox on its own thread and loop; port 0 picks a free port."""
    state = state or SandboxState()
    app = create_sandbox_app(state)
    loop = asyncio.new_event_loop()
    started: Future[tuple[web.AppRunner, int]] = Future()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            started.set_result(loop.run_until_complete(_start(app, host, port)))
        except BaseException as exc:  # noqa: BLE001 — reported to the caller through the future
            started.set_exception(exc)
            loop.close()
            return
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=serve, name="wechat-sandbox", daemon=True)
    thread.start()
    runner, bound = started.result(timeout=30)
    state.base_url = _url(host, bound)
    return SandboxHandle(state.base_url, state, loop, runner, thread)


async def _serve_forever(host: str, port: int, state: SandboxState) -> None:
    runner, bound = await _start(create_sandbox_app(state), host, port)
    state.base_url = _url(host, bound)
    print(json.dumps({"sandbox": {"url": state.base_url}}), flush=True)
    print(f"WeChat sandbox listening at {state.base_url} (web view: {state.base_url}/_sandbox/)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the sandbox alone: `python -m pushtask.sandbox --port 8900`."""
    parser = argparse.ArgumentParser(prog="wechat-sim", description="Serve the WeChat/WeCom sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--seed", type=int, default=None, help="seed for probabilistic faults")
    args = parser.parse_args(argv)
    asyncio.run(_serve_forever(args.host, args.port, SandboxState(seed=args.seed)))
    return 0
