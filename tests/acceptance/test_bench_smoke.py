"""The benchmark harness runs end to end on a tiny workload, so it cannot rot between benchmark runs."""

from __future__ import annotations

import pytest

from bench import scheduler
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
