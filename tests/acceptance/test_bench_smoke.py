"""The benchmark harness runs end to end on a tiny workload, so it cannot rot between benchmark runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench import scheduler, soak
from tests.support import mariadb_url

pytestmark = [pytest.mark.acceptance, pytest.mark.mariadb]


def test_scheduler_benchmark_smoke_run_fires_and_delivers_everything(capsys: pytest.CaptureFixture[str]) -> None:
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    scheduler.DEFAULT_DB = url
    assert scheduler.main(["smoke"]) == 0
    out = capsys.readouterr().out
    assert "| PushTask |" in out and "group-sends/s" in out


@pytest.mark.slow
def test_soak_smoke_run_drives_the_api_while_pushes_fire_exactly_once(capsys: pytest.CaptureFixture[str]) -> None:
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    assert soak.main(["--smoke", "--db", url]) == 0, "a push was lost or doubled"
    out = capsys.readouterr().out
    for row in ("| list |", "| get |", "| create |", "| update |", "| pause |", "| resume |", "| api worker 1 |"):
        assert row in out, row
    assert "0 duplicates, 0 missing" in out and ", 0 errors" in out


def test_worker_memory_probe_runs_rounds_and_names_what_grew() -> None:
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    # Its own process: the probe builds a runtime, which installs a process-wide key ring.
    args = ["--rounds", "3", "--tasks", "4", "--groups", "5", "--trace", "--top", "1", "--db", url]
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker_memory", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "round 2: 60 sends, RSS" in done.stdout and "Grown since round 2" in done.stdout
