"""bench/profile_shares: the shares bench/README quotes come from py-spy's stacks by these rules."""

from __future__ import annotations

from bench.profile_shares import STARTUP, shares

W = 'process 1:"";process 2:"/x/python -m pushtask.cli worker"'
SANDBOX = 'process 1:"";process 3:"/x/python -m pushtask.cli wechat-sim --port 1"'
LOOP = "run (asyncio/runners.py:190);Worker.run (pushtask/worker/runner.py:660)"


def test_samples_go_to_the_first_part_whose_frame_they_hold_and_start_up_is_kept_apart() -> None:
    lines = [
        f"{W};<module> (pushtask/cli.py:1);<module> (sqlalchemy/__init__.py:3) 40",
        f"{W};{LOOP};Worker._send (pushtask/worker/runner.py:530);ClientSession._request (aiohttp/client.py:5) 30",
        f"{W};_worker (concurrent/futures/thread.py:83);Worker._flush (pushtask/worker/runner.py:600);"
        "finalize (pushtask/worker/deliveries.py:350) 6",
        f"{W};_worker (concurrent/futures/thread.py:83);Worker._flush (pushtask/worker/runner.py:598) 4",
        f"{W};_worker (concurrent/futures/thread.py:83);Worker._fire (pushtask/worker/runner.py:330);"
        "fire_all (pushtask/worker/ahead.py:280) 2",
        f"{W};{LOOP};BaseEventLoop._run_once (asyncio/base_events.py:1922) 8",
        f"{SANDBOX};RequestHandler._handle_request (aiohttp/web_protocol.py:1) 500",
    ]
    parts, total = shares(lines)
    assert total == 90, "the sandbox's samples are not the worker's"
    assert parts[STARTUP] == 40
    assert parts["HTTP send path: channel, WeCom client, aiohttp"] == 30
    assert parts["finishing pushes (counts, notices)"] == 6, "finishing inside a result flush counts as finishing"
    assert parts["writing results"] == 4
    assert parts["firing"] == 2, "the fire's statement lives in ahead.py but is a fire, not planning"
    assert parts["event loop, tasks, hand-offs between threads"] == 8
