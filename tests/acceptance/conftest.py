"""Start the real `pushtask` command as a subprocess on a free port, and stop it with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ADMIN_PASSWORD = "acceptance-admin-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    data_dir: Path

    def stop(self) -> tuple[int, str]:
        """Send SIGTERM and return the exit code and everything the process printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return self.process.returncode, out


def start_serve(data_dir: Path, env: dict[str, str] | None = None, port: int | None = None) -> Server:
    port = port or free_port()
    full_env = {
        **os.environ,
        "PUSHTASK_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PUSHTASK_DATA_DIR": str(data_dir),
        "PUSHTASK_SANDBOX_PORT": "0",
        # Acceptance tests schedule tasks directly; approval has its own tests.
        "PUSHTASK_APPROVAL_REQUIRED": "0",
    }
    for key in ("PUSHTASK_DATABASE_URL", "PUSHTASK_REDIS_URL"):
        full_env.pop(key, None)
    full_env.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "pushtask.cli", "serve", "--port", str(port)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pushtask serve exited early:\n{process.communicate()[0]}")
        try:
            if requests.get(f"{url}/api/health", timeout=1).status_code == 200:
                return Server(url, process, data_dir)
        except (requests.ConnectionError, requests.Timeout):  # a loaded machine answers slowly at first
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"pushtask serve did not answer in 30 s:\n{process.communicate()[0]}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = start_serve(tmp_path / "data")
    yield running
    running.stop()
