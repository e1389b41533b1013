"""When the engine asks a channel what became of an uncertain delivery, and when it stops asking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from pushtask.worker import readback
from pushtask.worker.readback import SCHEDULE_S, next_check

ATTEMPT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_asks_a_minute_after_the_attempt_then_at_5_15_60_minutes_and_6_hours() -> None:
    minutes = [(next_check(ATTEMPT, n) - ATTEMPT) / timedelta(minutes=1) for n in range(5)]  # type: ignore[operator]
    assert minutes == [1, 5, 15, 60, 360]


def test_stops_after_five_questions_so_a_person_decides() -> None:
    assert len(SCHEDULE_S) == 5
    assert next_check(ATTEMPT, 5) is None
    assert next_check(ATTEMPT, 9) is None


def test_counts_from_the_attempt_not_from_when_it_was_noticed() -> None:
    # A worker that was down for an hour asks at once (the time is already past), not an hour later.
    assert next_check(ATTEMPT, 0) == ATTEMPT + timedelta(seconds=60)


class _Reader:
    reads_back = True

    async def read_back(self, attempt: object) -> None:
        return None


class _Sender:
    def __init__(self, channels: dict[str, object]) -> None:
        self._channels = channels
        self.registry = self

    def names(self) -> list[str]:
        return sorted(self._channels)

    def channel(self, name: str) -> object | None:
        return self._channels.get(name)


def _rounds(sender: _Sender, moments: list[float], monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    asked: list[datetime] = []

    async def run_round(sessions: object, channel_of: object, channels: object, now: datetime, *a: object, **k: object):
        asked.append(now)
        return []

    monkeypatch.setattr(readback, "run_round", run_round)
    verifier = readback.Verifier(None, sender, "w1")  # type: ignore[arg-type]

    async def scenario() -> None:
        for seconds in moments:
            verifier.kick(ATTEMPT + timedelta(seconds=seconds), defer=True)
            await verifier.settle()

    asyncio.run(scenario())
    return asked


def test_a_round_runs_at_most_every_ten_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _rounds(_Sender({"bot_bridge": _Reader()}), [0, 1, 9, 10, 15, 21], monkeypatch)
    assert [(a - ATTEMPT).total_seconds() for a in asked] == [0, 10, 21]


def test_no_round_when_no_channel_can_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _rounds(_Sender({"wecom_appchat": object(), "wecom_robot": object()}), [0, 60, 120], monkeypatch) == []
