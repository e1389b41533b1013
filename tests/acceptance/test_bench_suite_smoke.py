"""The side-by-side benchmark runs end to end on a tiny burst, for PushTask and every installed peer."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from bench import suite
from bench.__main__ import main
from tests.support import mariadb_url, redis_url

pytestmark = [pytest.mark.acceptance, pytest.mark.mariadb]


def installed_systems() -> list[str]:
    """PushTask and the PRD design always; APScheduler and Celery when `.[bench]` is installed."""
    systems = ["pushtask", "prd"]
    if importlib.util.find_spec("apscheduler"):
        systems.append("aps")
    if importlib.util.find_spec("celery") and redis_url()[0] is not None:
        systems.append("celery")
    return systems


def test_benchmark_suite_smoke_delivers_every_burst_exactly_once_on_every_system(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    results: dict[str, object] = {}
    original = suite.Bench.burst

    def burst(self: suite.Bench) -> None:
        original(self)
        results.update(self.results["burst"])

    monkeypatch.setattr(suite.Bench, "burst", burst)
    redis = (redis_url()[0] or "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/14"
    systems = installed_systems()
    assert (
        main(["suite", "--smoke", "--only", "burst", "--systems", ",".join(systems), "--db", url, "--redis", redis])
        == 0
    )
    assert "### Burst" in capsys.readouterr().out
    for key in systems:
        row = results[key]
        assert isinstance(row, dict)
        assert (row["complete"], row["duplicates"], row["lost"]) == (True, 0, 0), key


def test_benchmark_suite_runs_an_older_checkout_beside_this_one_and_counts_cpu_per_send(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--old <tree>`: that checkout's worker (its own migrations, seeding trimmed to its columns) beside this one."""
    url, reason = mariadb_url()
    if url is None:
        pytest.skip(reason)
    redis = (redis_url()[0] or "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/14"
    tree = str(Path(suite.__file__).resolve().parents[1])  # this checkout stands in for an older one
    args = ["suite", "--smoke", "--only", "throughput", "--systems", "pushtask", "--old", tree]
    assert main([*args, "--db", url, "--redis", redis]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| PushTask")]
    older = [row for row in rows if row.startswith("| PushTask at ")]
    assert len(rows) == 8 and len(older) == 4, rows  # 1 and 2 processes, 0 and 20 ms, each commit
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        worker, db, total = (float(x.replace(",", "")) for x in re.findall(r"[\d,]+", cells[5]))
        # (40 sends: the start-up taken off may be all the processes used, so only the sum is checked)
        assert worker >= 0 and db > 0 and total == pytest.approx(worker + db, abs=1), row
        assert cells[6] == "yes" and cells[7] == "0 / 0", row
