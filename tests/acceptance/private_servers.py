"""A MariaDB and a Redis that belong to one test, so it may stop and restart them.

The machine's own servers are shared with other runs and must never be touched; these run from a
temporary directory on free ports, as the current user, with nothing persisted beyond the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

MARIADBD = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec") or ""
INSTALL_DB = shutil.which("mariadb-install-db") or ""
REDIS_SERVER = shutil.which("redis-server") or ""


def missing_binaries() -> str | None:
    """Name the server binaries this machine lacks, or None when all are there."""
    missing = [
        name
        for name, path in (("mariadbd", MARIADBD), ("mariadb-install-db", INSTALL_DB), ("redis-server", REDIS_SERVER))
        if not path
    ]
    return f"{', '.join(missing)} not installed (apt install mariadb-server redis-server)" if missing else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"server did not listen on {port} in {timeout:.0f} s:\n{tail}")


@dataclass
class PrivateServer:
    """A server process this test may stop (SIGTERM), freeze (SIGSTOP) and start again on the same data."""

    workdir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.log)

    def stop(self, timeout: float = 30) -> None:
        """Shut down as an operator would (SIGTERM) and wait for the process to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        """Stop the process without closing its sockets: clients see a hang, not a refusal."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@dataclass
class PrivateMariaDB(PrivateServer):
    def __post_init__(self) -> None:
        self.datadir = self.workdir / "data"
        if not self.datadir.exists():
            subprocess.run(
                [
                    INSTALL_DB,
                    "--no-defaults",
                    "--auth-root-authentication-method=normal",
                    f"--datadir={self.datadir}",
                    f"--user={_user()}",
                ],
                check=True,
                capture_output=True,
            )

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/test"

    def command(self) -> list[str]:
        return [
            MARIADBD,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            f"--socket={self.workdir / 'mariadb.sock'}",
            f"--pid-file={self.workdir / 'mariadb.pid'}",
            "--bind-address=127.0.0.1",
            f"--user={_user()}",
            "--skip-log-bin",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=300",
        ]


@dataclass
class PrivateRedis(PrivateServer):
    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
