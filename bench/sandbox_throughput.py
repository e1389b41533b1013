"""Measure how many sends per second the WeChat sandbox serves on one core.

Starts `python -m pushtask.sandbox` pinned to one CPU (taskset, when available), then drives it from
this process (pinned to another CPU) with keep-alive aiohttp connections, and prints sends/s per
endpoint. Usage: .venv/bin/python bench/sandbox_throughput.py [--requests 30000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import aiohttp
from yarl import URL

from pushtask.sandbox import directory as d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sandbox(port: int, cpu: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "pushtask.sandbox", "--port", str(port)]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/health", timeout=0.2)
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("sandbox did not start")


def cpu_seconds(pid: int) -> float:
    """User+system CPU time the process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(name: str, total: int, concurrency: int, make: object, server_pid: int) -> float:
    counter = iter(range(total))
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                url, body = make(i)  # type: ignore[operator]
                async with session.post(
                    URL(url, encoded=True),
                    data=body,
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {d.DEFAULT_BRIDGE_TOKEN}"},
                ) as r:
                    answer = await r.json(content_type=None)
                    if answer.get("errcode") != 0:
                        errors += 1

        cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(server_pid) - cpu_before
    rate, capacity = total / elapsed, total / max(cpu, 1e-9)
    print(
        f"{name:<14} {total:>6} sends in {elapsed:6.2f} s = {rate:7.0f} sends/s observed; "
        f"sandbox CPU {cpu:5.2f} s ({100 * cpu / elapsed:3.0f}% of one core) = {capacity:7.0f} sends per CPU-second"
        f"  (errors: {errors})"
    )
    return capacity


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    port = free_port()
    proc = start_sandbox(port, cpu=0)
    base = f"http://127.0.0.1:{port}"
    try:
        keys = [f"bench-robot-{i}" for i in range(args.requests // 20 + 1)]
        directory = {"groups": [{"channel": "wecom_robot", "ref": k, "name": k} for k in keys]}
        urllib.request.urlopen(
            urllib.request.Request(
                f"{base}/_sandbox/directory", json.dumps(directory).encode(), {"Content-Type": "application/json"}
            )
        )
        token = json.load(
            urllib.request.urlopen(
                f"{base}/cgi-bin/gettoken?corpid={d.DEFAULT_CORP_ID}&corpsecret={d.DEFAULT_CORP_SECRET}"
            )
        )["access_token"]
        text = json.dumps({"msgtype": "text", "text": {"content": "周一课程提醒 📚 18:00 开始"}}, ensure_ascii=False)
        appchat = json.dumps(
            {"chatid": "sandboxchat001", "msgtype": "text", "text": {"content": "周一课程提醒 📚 18:00 开始"}},
            ensure_ascii=False,
        ).encode()
        bridge = json.dumps(
            {"roomId": "20000000001@chatroom", "kind": "text", "text": "周一课程提醒 📚"}, ensure_ascii=False
        ).encode()
        rates = {
            "appchat/send": asyncio.run(
                drive(
                    "appchat/send",
                    args.requests,
                    args.concurrency,
                    lambda i: (f"{base}/cgi-bin/appchat/send?access_token={token}", appchat),
                    proc.pid,
                )
            ),
            "webhook/send": asyncio.run(
                drive(
                    "webhook/send",
                    args.requests,
                    args.concurrency,
                    lambda i: (f"{base}/cgi-bin/webhook/send?key={keys[i // 20]}", text.encode()),
                    proc.pid,
                )
            ),
            "bridge/send": asyncio.run(
                drive(
                    "bridge/send", args.requests, args.concurrency, lambda i: (f"{base}/bridge/send", bridge), proc.pid
                )
            ),
        }
        print(json.dumps({"sends_per_cpu_second": {k: round(v) for k, v in rates.items()}}))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
