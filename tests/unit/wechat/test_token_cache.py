"""The token cache on the in-memory store, with a hand-driven clock."""

from __future__ import annotations

import asyncio

import pytest

from pushtask.wechat.clock import FakeClock
from pushtask.wechat.errors import Platform, WeChatError
from pushtask.wechat.kv import MemoryStore
from pushtask.wechat.tokens import TokenCache, call_with_token


class Issuer:
    """A fake token endpoint that counts fetches."""

    def __init__(self, expires_in: int = 7200, delay_s: float = 0.0) -> None:
        self.count = 0
        self.expires_in = expires_in
        self.delay_s = delay_s

    async def __call__(self) -> tuple[str, int]:
        self.count += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)  # a slow network call, to make callers overlap
        return f"token-{self.count}", self.expires_in


def make(clock: FakeClock, issuer: Issuer, store: MemoryStore | None = None) -> TokenCache:
    return TokenCache(store or MemoryStore(clock), "token:test", issuer, clock=clock, refresh_margin_s=300)


def test_fetches_once_and_reuses() -> None:
    clock, issuer = FakeClock(), Issuer()
    cache = make(clock, issuer)

    async def scenario() -> list[str]:
        return [await cache.get() for _ in range(3)]

    assert asyncio.run(scenario()) == ["token-1"] * 3 and issuer.count == 1


def test_concurrent_callers_share_one_fetch() -> None:
    clock, issuer = FakeClock(), Issuer(delay_s=0.01)
    cache = make(clock, issuer)

    async def scenario() -> list[str]:
        return list(await asyncio.gather(*(cache.get() for _ in range(20))))

    assert set(asyncio.run(scenario())) == {"token-1"} and issuer.count == 1


def test_two_caches_on_one_store_share_one_fetch() -> None:
    clock, issuer = FakeClock(), Issuer(delay_s=0.01)
    store = MemoryStore(clock)
    first, second = make(clock, issuer, store), make(clock, issuer, store)

    async def scenario() -> list[str]:
        return list(await asyncio.gather(first.get(), second.get(), first.get(), second.get()))

    assert set(asyncio.run(scenario())) == {"token-1"} and issuer.count == 1


def test_refreshes_before_expiry() -> None:
    clock, issuer = FakeClock(), Issuer()
    cache = make(clock, issuer)

    async def scenario() -> list[str]:
        tokens = [await cache.get()]
        clock.advance(7200 - 300 - 1)
        tokens.append(await cache.get())
        clock.advance(2)
        tokens.append(await cache.get())
        return tokens

    assert asyncio.run(scenario()) == ["token-1", "token-1", "token-2"]


def test_while_another_refreshes_early_the_old_token_is_used() -> None:
    clock, issuer = FakeClock(), Issuer()
    store = MemoryStore(clock)
    cache = make(clock, issuer, store)

    async def scenario() -> str:
        await cache.get()
        clock.advance(7000)
        assert await store.acquire_lock("token:test:lock", "another-process", 15)
        return await cache.get()

    assert asyncio.run(scenario()) == "token-1" and issuer.count == 1


def test_invalidate_drops_only_the_failing_token() -> None:
    clock, issuer = FakeClock(), Issuer()
    cache = make(clock, issuer)

    async def scenario() -> tuple[bool, bool, str]:
        first = await cache.get()
        dropped = await cache.invalidate(first)
        second = await cache.get()
        stale = await cache.invalidate(first)  # a late failure with the old token
        return dropped, stale, await cache.get() + "|" + second

    dropped, stale, tokens = asyncio.run(scenario())
    assert dropped and not stale and tokens == "token-2|token-2"


def test_call_with_token_refreshes_once_and_retries_once() -> None:
    clock, issuer = FakeClock(), Issuer()
    cache = make(clock, issuer)
    seen: list[str] = []

    async def call(token: str) -> str:
        seen.append(token)
        if token == "token-1":
            raise WeChatError(42001, "access_token expired", Platform.WECOM)
        return "ok"

    assert asyncio.run(call_with_token(cache, call)) == "ok"
    assert seen == ["token-1", "token-2"] and issuer.count == 2


def test_call_with_token_gives_up_after_one_retry() -> None:
    clock, issuer = FakeClock(), Issuer()
    cache = make(clock, issuer)
    calls: list[str] = []

    async def call(token: str) -> str:
        calls.append(token)
        raise WeChatError(40014, "invalid access_token", Platform.WECOM)

    with pytest.raises(WeChatError):
        asyncio.run(call_with_token(cache, call))
    assert len(calls) == 2 and issuer.count == 2


def test_other_errors_are_not_retried() -> None:
    clock, issuer = FakeClock(), Issuer()
    cache = make(clock, issuer)
    calls: list[str] = []

    async def call(token: str) -> str:
        calls.append(token)
        raise WeChatError(86003, "chatid not exist", Platform.WECOM)

    with pytest.raises(WeChatError):
        asyncio.run(call_with_token(cache, call))
    assert len(calls) == 1 and issuer.count == 1


class CountingStore(MemoryStore):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.reads = 0

    async def get(self, key: str) -> str | None:
        self.reads += 1
        return await super().get(key)


def test_a_fresh_token_costs_no_store_round_trip() -> None:
    # With Redis as the store, a read per send would be a network call per send.
    clock, issuer = FakeClock(), Issuer()
    store = CountingStore(clock)
    cache = make(clock, issuer, store)

    async def scenario() -> None:
        await cache.get()
        reads = store.reads
        for _ in range(100):
            await cache.get()
        assert store.reads == reads

    asyncio.run(scenario())


def test_a_token_another_process_replaced_is_given_up_after_its_first_failure() -> None:
    clock, issuer = FakeClock(), Issuer()
    store = MemoryStore(clock)
    mine, theirs = make(clock, issuer, store), make(clock, issuer, store)
    used: list[str] = []

    async def call(token: str) -> str:
        used.append(token)
        if token == "token-1":
            raise WeChatError(42001, "access_token expired", Platform.WECOM)
        return "ok"

    async def scenario() -> str:
        assert await mine.get() == "token-1"
        # The other process saw token-1 fail, dropped it and fetched token-2.
        await theirs.invalidate("token-1")
        assert await theirs.get() == "token-2"
        return await call_with_token(mine, call)

    assert asyncio.run(scenario()) == "ok"
    # At most the one failed call on the old token, then the new one, and no third fetch.
    assert used[-1] == "token-2" and len(used) <= 2 and issuer.count == 2
