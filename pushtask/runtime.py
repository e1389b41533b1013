"""The collaborators one process builds from its settings and hands to requests and workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pushtask.clock import Clock, system_clock
from pushtask.config import Settings, SettingsError, ensure_secret_key
from pushtask.db import create_db_engine, create_session_factory
from pushtask.domain.actor import Actor
from pushtask.infra import fieldcrypt
from pushtask.infra.listcache import ListCache, MemoryVersions, RedisVersions, Versions
from pushtask.infra.outage import Outage
from pushtask.infra.recent import Recent
from pushtask.infra.throttle import (
    AddressRate,
    Counter,
    FallbackCounter,
    LoginThrottle,
    MemoryCounter,
    RedisCounter,
)
from pushtask.infra.wakeup import RedisWakeup, Wakeup
from pushtask.security import TokenClaims, TokenSigner
from pushtask.services.task_list import track_writes

if TYPE_CHECKING:
    from pushtask.infra.wechatlink import WeChatLink


@dataclass
class Runtime:
    settings: Settings
    engine: Engine | None
    sessions: sessionmaker[Session]
    signer: TokenSigner
    clock: Clock
    wakeup: Wakeup
    login_throttle: LoginThrottle
    # One pooled client per process for the synchronous uses (wake-ups, throttling, health).
    redis: Any = None
    # Base URL of the WeChat sandbox this process started (embedded default), else None.
    sandbox_url: str | None = None
    # Reviewer messages from request threads: built on first use (pushtask.infra.wechatlink).
    wechat_link: WeChatLink | None = None
    # Pages of the task list, fresh by data version (None: off; see pushtask.infra.listcache).
    list_cache: ListCache | None = None
    # Who a token belongs to, for AUTH_CACHE_SECONDS (a revoked token stops working within that).
    token_cache: Recent[tuple[Actor, TokenClaims]] | None = None
    # Requests per address to the public short links (/l/<code>, /api/links/<code>/open).
    link_rate: AddressRate | None = None


# How long a process reuses a token's user and revocation lookups; other processes see a sign-out
# or a removed user within this (this process at once).
AUTH_CACHE_SECONDS = 0.5
# Short-link requests one address may make per minute (a family's phones share one address; a script does not).
LINK_RATE = (120, 60.0)


REDIS_MEANWHILE = (
    "sign-in failures are counted in this process, workers notice changes by polling every second "
    "and task lists are read from the database each time until it is back; check the Redis server"
)


def connect_redis(url: str) -> Any:
    """Return a pooled client with short timeouts: a slow Redis must not hold up a request."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    sessions: sessionmaker[Session] | None = None,
    sole_writer: bool = True,
) -> Runtime:
    """Create the engine, session factory and token signer for these settings.

    `sole_writer`: this process does every write (`pushtask serve`, tests), so the list cache may keep
    its data versions in the process when there is no Redis; `pushtask api` passes False.
    """
    settings = ensure_secret_key(settings)
    try:
        ring = fieldcrypt.load_or_create(settings.encryption_keys, settings.data_dir, embedded=settings.is_embedded)
    except fieldcrypt.KeyRingError as exc:
        raise SettingsError(str(exc)) from None
    fieldcrypt.install(ring)
    engine = None
    if sessions is None:
        engine = create_db_engine(settings.database_url, pool_size=max(5, settings.api_threads + 2))
        sessions = create_session_factory(engine)
    signer = TokenSigner(
        secret=settings.secret_key, issuer=settings.jwt_issuer, ttl=timedelta(seconds=settings.jwt_ttl_seconds)
    )
    redis_client = connect_redis(settings.redis_url) if settings.redis_url else None
    wakeup: Wakeup = Wakeup()
    counter: Counter = MemoryCounter()
    link_counter: Counter = MemoryCounter()
    versions: Versions | None = MemoryVersions() if sole_writer else None
    if settings.redis_url:
        outage = Outage("Redis", logging.getLogger("pushtask.redis"), meanwhile=REDIS_MEANWHILE)
        wakeup = RedisWakeup(settings.redis_url, redis_client, outage)
        counter = FallbackCounter(RedisCounter(redis_client), MemoryCounter(), outage)
        link_counter = FallbackCounter(RedisCounter(redis_client, "pushtask:links:"), MemoryCounter(), outage)
        versions = RedisVersions(redis_client, outage)
    throttle = LoginThrottle(counter, clock=lambda: clock().timestamp())
    token_cache: Recent[tuple[Actor, TokenClaims]] = Recent(AUTH_CACHE_SECONDS, lambda: clock().timestamp())
    list_cache = ListCache(versions) if versions is not None and settings.list_cache else None
    # Every process bumps the versions of what it writes (the worker too), whether or not it serves lists.
    track_writes(sessions, versions or MemoryVersions(), token_cache.clear)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        signer=signer,
        clock=clock,
        wakeup=wakeup,
        login_throttle=throttle,
        redis=redis_client,
        list_cache=list_cache,
        token_cache=token_cache,
        link_rate=AddressRate(link_counter, LINK_RATE[0], LINK_RATE[1], clock=lambda: clock().timestamp()),
    )
