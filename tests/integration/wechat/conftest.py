"""A real sandbox on a free port, shared by the module's tests and reset before each one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.wechat.clock import FakeClock

START = 1_767_225_600.0


@pytest.fixture(scope="session")
def sandbox_clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(scope="session")
def sandbox_handle(sandbox_clock: FakeClock) -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(sandbox_clock, seed=7))
    yield handle
    handle.stop()


@pytest.fixture()
def sandbox(sandbox_handle: SandboxHandle, sandbox_clock: FakeClock) -> SandboxHandle:
    sandbox_clock.set(START)
    sandbox_handle.state.reset()
    return sandbox_handle


@pytest.fixture()
def clock(sandbox: SandboxHandle, sandbox_clock: FakeClock) -> FakeClock:
    """The clock the sandbox and the clients share in a test."""
    return sandbox_clock
