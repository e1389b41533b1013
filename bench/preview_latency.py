"""Preview send latency: POST /api/preview against `pushtask serve` and its in-process sandbox.

Starts a real `pushtask serve` (SQLite, sandbox on a free port, approval on), signs in as the
admin, and for each sample creates a draft task to one WeCom app-chat group with one WeCom
reviewer, then times POST /api/preview from request to answer (validation, recording, the app
messages and the 确认/修改 card through the sandbox, recording the outcome). Text only; text and
the same 2 MB JPEG (WeCom's media_id is cached after the first upload, as in production); and
text and a new 2 MB JPEG each time (media/upload inside every preview). Prints p50/p95/max in ms.

    .venv/bin/python bench/preview_latency.py --samples 200
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from PIL import Image

PASSWORD = "bench-password-123"  # noqa: S105 — a throwaway admin of a temporary data directory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def two_mb_jpeg() -> bytes:
    """A photo-like JPEG just under 2 MB (kept as uploaded: no recompression on upload)."""
    side = 1600
    while True:
        base = Image.effect_noise((side // 8, side // 8), 80).convert("RGB").resize((side, side))
        fine = Image.effect_noise((side, side), 40).convert("RGB")
        out = io.BytesIO()
        Image.blend(base, fine, 0.35).save(out, "JPEG", quality=92)
        if 1.8e6 <= len(out.getvalue()) <= 2 * 1024 * 1024:
            return out.getvalue()
        side = int(side * (1.9e6 / len(out.getvalue())) ** 0.5)


def start(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PUSHTASK_DATA_DIR": str(data_dir),
        "PUSHTASK_ADMIN_PASSWORD": PASSWORD,
        "PUSHTASK_SANDBOX_PORT": "0",
        "PUSHTASK_PREVIEW_RATE_PER_USER": "1000000",
        "PUSHTASK_LOG_LEVEL": "WARNING",
    }
    for key in ("PUSHTASK_DATABASE_URL", "PUSHTASK_REDIS_URL"):
        env.pop(key, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pushtask.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/health", timeout=1).status_code in (200, 503):
                return process, url
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("pushtask serve did not start")


def run(url: str, samples: int, image: bytes | None, *, fresh: bool = False) -> list[float]:
    http = requests.Session()
    token = http.post(f"{url}/api/auth/login", json={"wechatId": "admin", "password": PASSWORD}, timeout=10).json()
    http.headers["Authorization"] = f"Bearer {token['token']}"
    groups = http.get(f"{url}/api/groups", params={"limit": 100}, timeout=10).json()["groups"]
    group = next(g["groupId"] for g in groups if g["channel"] == "wecom_appchat")
    reviewers = http.get(f"{url}/api/recipients", timeout=10).json()["recipients"]
    reviewer = next(r["recipientId"] for r in reviewers if r["channel"] == "wecom")
    content: dict[str, Any] = {"text": "【课程提醒】{{群名}}的家长您好：{{日期}} 有课，请提前 10 分钟到校。[微笑]"}
    if image is not None:
        uploaded = http.post(f"{url}/api/media", files={"file": ("poster.jpg", image)}, timeout=30).json()
        content["image"] = uploaded["mediaId"]
    timings = []
    for i in range(samples):
        if fresh:
            # A new image each time: WeCom's media/upload is part of the preview (no cached media_id).
            uploaded = http.post(f"{url}/api/media", files={"file": ("p.jpg", two_mb_jpeg())}, timeout=30).json()
            content = {**content, "image": uploaded["mediaId"]}
        body = {
            "name": f"预览延迟 {i}",
            "schedule": {"type": "once", "time": "2030-01-01T09:00:00+08:00"},
            "content": content,
            "groups": [group],
            "status": "draft",
            "previewRecipients": [reviewer],
        }
        task_id = http.post(f"{url}/api/tasks", json=body, timeout=10).json()["taskId"]
        started = time.perf_counter()
        answer = http.post(f"{url}/api/preview", json={"taskId": task_id}, timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
        result = answer.json()
        if answer.status_code != 200 or result["recipients"][0]["status"] != "sent":
            raise SystemExit(f"preview failed: {answer.status_code} {result}")
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(
        f"{label:<22} n={len(ordered):<4} p50={statistics.median(ordered):7.1f} ms  "
        f"p95={p95:7.1f} ms  max={ordered[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--fresh-samples", type=int, default=40, help="samples with a new image each (uploaded)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start(Path(tmp))
        try:
            run(url, 5, None)  # warm-up: tokens fetched, connections open
            report("text only", run(url, args.samples, None))
            image = two_mb_jpeg()
            report(f"text + {len(image) / 1e6:.2f} MB JPEG", run(url, args.samples, image))
            report("text + new 2 MB JPEG", run(url, args.fresh_samples, image, fresh=True))
        finally:
            process.terminate()
            process.wait(20)


if __name__ == "__main__":
    main()
