"""A worker keeps full garbage collections and its background work out of the moment a push fires."""

from __future__ import annotations

import gc
import math
import threading
import time
import weakref

import pytest

from pushtask.worker.collector import NEVER, FullCollections
from pushtask.worker.gate import FireGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def collections():
    clock = Clock()
    full = FullCollections(quiet_s=0.25, min_interval_s=10, max_interval_s=120, clock=clock)
    before = gc.get_threshold()
    full.start()
    yield full, clock
    full.stop()
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("collections")
def test_the_interpreter_never_starts_a_full_collection_itself():
    assert gc.get_threshold()[2] == NEVER
    assert gc.get_freeze_count() > 0  # start-up's objects are not walked again


def test_a_full_collection_waits_for_a_quiet_moment_then_frees_old_cycles(collections):
    full, clock = collections
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.collect(1)  # the cycle reaches the old generation, which only a full collection walks
    gc.collect(1)
    del a, b
    gc.collect(1)
    assert gone() is not None

    clock.now += 5
    assert not full.maybe(quiet_for_s=10)  # too soon after the last one
    clock.now += 6
    assert not full.maybe(quiet_for_s=0.03)  # a push fires in 30 ms: not now
    assert full.maybe(quiet_for_s=0.5)
    assert gone() is None
    assert full.runs == 1


def test_a_full_collection_runs_after_the_longest_interval_even_when_never_quiet(collections):
    full, clock = collections
    clock.now += 119
    assert not full.maybe(quiet_for_s=0.01)
    clock.now += 1
    assert full.maybe(quiet_for_s=0.01)


def test_without_start_nothing_is_changed():
    full = FullCollections()
    before = gc.get_threshold()
    assert not full.maybe(quiet_for_s=math.inf)
    full.stop()
    assert gc.get_threshold() == before


def test_background_work_goes_on_when_no_fire_is_near():
    clock = Clock()
    gate = FireGate(margin_s=0.015, hold_s=0.02, clock=clock)
    assert gate.blocked_for(clock.now) == 0
    gate.expect(clock.now + 1.0)
    assert gate.blocked_for(clock.now) == 0


def test_background_work_waits_for_a_fire_due_within_the_margin_and_while_it_runs():
    clock = Clock()
    gate = FireGate(margin_s=0.015, hold_s=0.02, clock=clock)
    gate.expect(clock.now + 0.01)
    assert gate.blocked_for(clock.now) == pytest.approx(0.01 + 0.02)
    clock.now += 0.01
    gate.begin()
    assert gate.blocked_for(clock.now) == pytest.approx(0.02)
    clock.now += 0.005
    gate.end()  # the fire's first send returned
    assert gate.blocked_for(clock.now) == 0
    gate.begin()
    clock.now += 0.021  # a fire whose sends never returned holds background work at most hold_s
    assert gate.blocked_for(clock.now) == 0


def test_a_waiting_thread_goes_on_as_soon_as_the_fire_ends():
    gate = FireGate(margin_s=0.015, hold_s=5.0, max_wait_s=5.0)
    gate.begin()
    went: list[float] = []

    def background() -> None:
        gate.wait_clear()
        went.append(time.monotonic())

    worker = threading.Thread(target=background)
    worker.start()
    time.sleep(0.05)
    assert not went  # still held by the fire
    ended = time.monotonic()
    gate.end()
    worker.join(2)
    assert went and went[0] - ended < 1.0  # well before the 5 s hold
    assert gate.waits == 1


def test_background_work_is_never_held_longer_than_max_wait():
    gate = FireGate(margin_s=0.015, hold_s=60, max_wait_s=0.05)
    gate.begin()  # a fire that never ends
    started = time.monotonic()
    gate.wait_clear()
    assert 0.04 <= time.monotonic() - started < 2.0
